"""Interviews as sources over HTTP, against a real server with live typing (SQLite and
PostgreSQL): links that follow edits and detach, coverage and the balance of French and
Togolese sources by section and by organisation, the live channel, the command line."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from typing import Any

import orjson
import pytest
from palabre.client import LiveDocument, PalabreClient, PalabreHTTPError
from palabre.client.exports import Exports
from palabre.client.interviews import Interviews

from tests.conftest import Seed
from tests.support.positions import quote_positions
from tests.support.server import ServerProcess
from tests.test_cli import palabre

Json = dict[str, Any]
TEXT = (
    "# Le projet\n"
    "Relier les acteurs de l'ESS en Bretagne et au Togo.\n"
    "## Les acteurs\n"
    "Le département finance. Les ONG togolaises forment.\n"
    "## Les attentes\n"
    "Des échanges de jeunes.\n"
)
NOTES = "Notes internes : « le budget reste à confirmer »"


@dataclass
class Sourced:
    """The seeded document: the text typed live, four interviews, their passages linked."""

    doc: str
    http: PalabreClient  # the coordinator
    interviews: Interviews
    ids: dict[str, str]  # interview letter -> id
    organisations: dict[str, str]  # name -> id
    members: dict[str, str]  # token name -> member id
    positions: dict[str, tuple[bytes, bytes]]  # quote -> relative positions


QUOTES = {
    "projet": "Relier les acteurs",
    "finance": "Le département finance.",
    "forment": "Les ONG togolaises forment.",
    "across": "forment.\n## Les attentes\nDes échanges",
}


async def member_id(server: ServerProcess, doc: str, token: str) -> str:
    async with PalabreClient(server.base_url, token) as http:
        return str((await http._json("GET", f"/api/documents/{doc}/me"))["id"])


async def seed_sources(server: ServerProcess, seed: Seed, http: PalabreClient) -> Sourced:
    doc = seed.document_id
    async with LiveDocument(server.base_url, doc, seed.editor) as live:
        await live.wait_synced()
        live.insert(0, TEXT)
        await live.wait_saved()
        client = live.doc.client_id
    positions = {key: quote_positions(client, TEXT, quote) for key, quote in QUOTES.items()}
    members = {
        name: await member_id(server, doc, getattr(seed, name))
        for name in ("coordinator", "editor", "editor2", "commenter", "observer")
    }
    organisations = {o["name"]: o["id"] for o in await http.document_organisations(doc)}
    for name, country in (("Département", "FR"), ("ONG Lomé Solidaire", "TG")):
        organisations[name] = (await http.create_organisation(name, country))["id"]
    interviews = Interviews(http)
    heard = {
        "A": ["Département"],
        "B": ["Fédération des ONG du Togo", "ONG Lomé Solidaire"],
        "C": ["Département", "ONG Lomé Solidaire"],
        "D": ["Université"],
    }
    ids: dict[str, str] = {}
    for letter, names in heard.items():
        recorded = await interviews.record(
            doc,
            [organisations[n] for n in names],
            f"2026-07-1{len(ids) + 1}",
            "on_site" if letter in "AC" else "video",
            [members["editor"]],
            summary=f"Entretien {letter}",
            notes=NOTES,
        )
        ids[letter] = recorded["id"]
    links = {"A": ["projet", "finance"], "B": ["forment"], "C": ["across"]}
    for letter, keys in links.items():
        for key in keys:
            await interviews.link(doc, ids[letter], QUOTES[key], "", *positions[key])
    return Sourced(doc, http, interviews, ids, organisations, members, positions)


def section(report: Json, heading: str) -> Json:
    return next(s for s in report["sections"] if s["heading"] == heading)


def summary(report: Json, ids: dict[str, str]) -> dict[str, tuple[list[str], int, int]]:
    """Per section: the interviews cited (by letter), then how many heard France and Togo."""
    letters = {value: key for key, value in ids.items()}
    return {
        s["heading"]: (
            [letters[i] for i in s["interviews"]],
            s["countries"]["FR"],
            s["countries"]["TG"],
        )
        for s in report["sections"]
    }


async def test_coverage_and_balance_by_section_and_by_organisation(
    server: ServerProcess, seed: Seed
) -> None:
    async with PalabreClient(server.base_url, seed.coordinator) as http:
        world = await seed_sources(server, seed, http)
        report = await world.interviews.sources(world.doc)
    assert summary(report, world.ids) == {
        "Le projet": (["A"], 1, 0),
        "Les acteurs": (["A", "B", "C"], 2, 2),
        "Les attentes": (["C"], 1, 1),
    }
    assert [o["name"] for o in section(report, "Les acteurs")["organisations"]] == [
        "Département",
        "Fédération des ONG du Togo",
        "ONG Lomé Solidaire",
    ]
    assert section(report, "Les acteurs")["links"] == 3
    assert report["countries"] == {"FR": 3, "TG": 2}  # A, C, D heard France; B, C Togo
    organisations = {
        o["name"]: (o["country"], o["committee"], o["interviewed"], o["sections"])
        for o in report["organisations"]
    }
    assert list(organisations) == [
        "Chambre régionale de l'ESS",
        "Département",
        "Université",
        "Association Akwaba",
        "Coordination Lomé",
        "Fédération des ONG du Togo",
        "ONG Lomé Solidaire",
    ]
    assert organisations == {
        "Chambre régionale de l'ESS": ("FR", True, False, []),
        "Département": ("FR", False, True, ["Le projet", "Les acteurs", "Les attentes"]),
        "Université": ("FR", True, True, []),
        "Association Akwaba": ("TG", True, False, []),
        "Coordination Lomé": ("TG", True, False, []),
        "Fédération des ONG du Togo": ("TG", True, True, ["Les acteurs"]),
        "ONG Lomé Solidaire": ("TG", False, True, ["Les acteurs", "Les attentes"]),
    }
    per_interview = {i["id"]: i["sections"] for i in report["interviews"]}
    assert per_interview[world.ids["D"]] == []
    assert per_interview[world.ids["C"]] == ["Les acteurs", "Les attentes"]


async def test_links_follow_edits_around_them_and_detach_when_their_text_goes(
    server: ServerProcess, seed: Seed
) -> None:
    async with PalabreClient(server.base_url, seed.coordinator) as http:
        world = await seed_sources(server, seed, http)
        a = world.ids["A"]
        async with LiveDocument(server.base_url, world.doc, seed.editor2) as live:
            await live.wait_synced()
            live.insert(0, "Préambule à Lomé.\n")
            finance = live.value.index(QUOTES["finance"])
            live.insert(finance, "En Bretagne, ")
            await live.wait_saved()
            found = await world.interviews.get(world.doc, a)
            placed = {k["quote"]: k for k in found["links"]}
            where = live.value.index(QUOTES["finance"])
            assert placed[QUOTES["finance"]]["range"] == {
                "start": where,
                "end": where + len(QUOTES["finance"]),
            }
            assert not placed[QUOTES["finance"]]["detached"]
            report = await world.interviews.sources(world.doc)
            assert summary(report, world.ids)[""] == ([], 0, 0)  # the new preamble
            live.delete(live.value.index(QUOTES["finance"]), len(QUOTES["finance"]))
            await live.wait_saved()
            found = await world.interviews.get(world.doc, a)
            placed = {k["quote"]: k for k in found["links"]}
            assert placed[QUOTES["finance"]]["detached"]
            assert not placed[QUOTES["projet"]]["detached"]
            report = await world.interviews.sources(world.doc)
        assert summary(report, world.ids)["Les acteurs"] == (["B", "C"], 1, 2)
        assert summary(report, world.ids)["Le projet"] == (["A"], 1, 0)


async def test_interview_events_reach_the_live_channel_without_notes(
    server: ServerProcess, seed: Seed
) -> None:
    async with (
        PalabreClient(server.base_url, seed.observer) as observer,
        observer.events(seed.document_id, read_timeout=30) as events,
        PalabreClient(server.base_url, seed.coordinator) as http,
    ):
        world = await seed_sources(server, seed, http)
        a = world.ids["A"]
        await world.interviews.revise(world.doc, a, notes=NOTES + " (revues)", place="Rennes")
        link = (await world.interviews.get(world.doc, a))["links"][0]
        await world.interviews.unlink(world.doc, a, link["id"])
        seen: list[tuple[str, Json]] = []
        while len(seen) < 10:
            event = await anext(events)
            if event.event.startswith("interview."):
                seen.append((event.event, event.data))
    kinds = [kind for kind, _ in seen]
    assert kinds == [
        *["interview.recorded"] * 4,
        *["interview.linked"] * 4,
        "interview.revised",
        "interview.notes",
    ]
    for _, data in seen:
        assert data["notes"] is None
        assert data["notes_visible"] is False
        assert "budget" not in orjson.dumps(data).decode()
    assert seen[4][1]["link"]["quote"] == QUOTES["projet"]


async def test_refusals_over_http(server: ServerProcess, seed: Seed) -> None:
    async with (
        PalabreClient(server.base_url, seed.coordinator) as http,
        PalabreClient(server.base_url, seed.observer) as observer_http,
        PalabreClient(server.base_url, seed.editor2) as editor2_http,
    ):
        world = await seed_sources(server, seed, http)
        observer, editor2 = Interviews(observer_http), Interviews(editor2_http)
        a = world.ids["A"]
        with pytest.raises(PalabreHTTPError) as refused:
            await observer.link(world.doc, a, "Relier")
        assert refused.value.status == 403
        with pytest.raises(PalabreHTTPError) as refused:
            await editor2.revise(world.doc, a, summary="Pas à moi")
        assert refused.value.status == 403
        with pytest.raises(PalabreHTTPError) as refused:
            await world.interviews.record(world.doc, [], "2026-07-01", "video", [])
        assert refused.value.status == 400
        with pytest.raises(PalabreHTTPError) as refused:
            await world.interviews.get(world.doc, "pas-un-id")
        assert refused.value.status == 400
        raw = await http._http.post(f"/api/documents/{world.doc}/interviews", content=b"[")
        assert raw.status_code == 400
        assert (await observer.get(world.doc, a))["notes"] is None
        assert (await editor2.link(world.doc, a, "Des échanges de jeunes"))["detached"] is False


async def test_the_command_line_lists_shows_adds_and_reports(
    server: ServerProcess, seed: Seed, database_url: str, tmp_path: Any
) -> None:
    async with PalabreClient(server.base_url, seed.coordinator) as http:
        world = await seed_sources(server, seed, http)
    listed = palabre(database_url, "interviews", "list", world.doc)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert len(lines) == 4
    assert lines[0].split("\t")[1:5] == [
        "2026-07-11",
        "on_site",
        "Département (FR)",
        "2/2 links",
    ]
    shown = palabre(database_url, "interviews", "show", world.doc, world.ids["B"])
    assert shown.returncode == 0, shown.stderr
    assert orjson.loads(shown.stdout)["notes"] == NOTES  # the operator reads them
    notes = tmp_path / "notes.md"
    notes.write_text("Notes de l'entretien E", encoding="utf-8")
    added = palabre(
        database_url,
        "interviews",
        "add",
        world.doc,
        "--organisation",
        "Département",
        "--organisation",
        world.organisations["ONG Lomé Solidaire"],
        "--date",
        "2026-08-01",
        "--mode",
        "phone",
        "--led-by",
        world.members["editor2"],
        "--notes-file",
        str(notes),
    )
    assert added.returncode == 0, added.stderr
    async with PalabreClient(server.base_url, seed.editor2) as http:
        found = await Interviews(http).get(world.doc, added.stdout.strip())
    assert (found["notes"], found["recorded_by"], found["countries"]) == (
        "Notes de l'entretien E",
        None,
        ["FR", "TG"],
    )
    sources = palabre(database_url, "sources", world.doc)
    assert sources.returncode == 0, sources.stderr
    rows = sources.stdout.splitlines()
    assert rows[1].split("\t") == [
        "section",
        "Les acteurs",
        "3 interviews",
        "FR 2",
        "TG 2",
        "Département, Fédération des ONG du Togo, ONG Lomé Solidaire",
    ]
    assert rows[-1] == "FR 4\tTG 3"
    unknown = palabre(database_url, "interviews", "list", "00000000-0000-0000-0000-000000000000")
    assert unknown.returncode == 2


async def test_exports_append_the_sources_annex(server: ServerProcess, seed: Seed) -> None:
    async with PalabreClient(server.base_url, seed.coordinator) as http:
        world = await seed_sources(server, seed, http)
        html = await Exports(http).export(world.doc, "html", sources="true")
        bundle = await Exports(http).export(world.doc, "json", sources="true", lang="en")
    text = unescape(re.sub(r"<[^>]+>", " ", html.content.decode()))
    flat = " ".join(text.split())
    assert "Entretiens enregistrés : 4 ; cités par ce texte : 3, dont 2 avec des structures" in flat
    assert (
        "dimanche 12 juillet 2026 Fédération des ONG du Togo (Togo), ONG Lomé Solidaire (Togo) "
        "visio Les acteurs" in flat
    )
    assert "Les acteurs ; Les attentes" in flat
    assert "Sources par section" in flat
    assert NOTES not in text
    annex = orjson.loads(bundle.content)["sources"]
    assert annex["recorded"] == 4
    assert [
        (i["date"], [o["name"] for o in i["organisations"]], i["sections"]) for i in annex["cited"]
    ] == [
        ("2026-07-11", ["Département"], ["Le projet", "Les acteurs"]),
        ("2026-07-12", ["Fédération des ONG du Togo", "ONG Lomé Solidaire"], ["Les acteurs"]),
        ("2026-07-13", ["Département", "ONG Lomé Solidaire"], ["Les acteurs", "Les attentes"]),
    ]
    assert annex["sections"][1] == {
        "heading": "Les acteurs",
        "interviews": 3,
        "countries": {"FR": 2, "TG": 2},
    }
