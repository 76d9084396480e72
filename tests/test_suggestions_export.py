"""Suggestions in exports, read back by independent readers: the annex (``suggestions=open``
or ``all``) lists each suggestion with its fate, and a version's cover lists the amendments
decided in its meeting. One committee, on a real server, serves the module."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import docx
import httpx
import orjson
import pypdf
import pytest
from palabre.client import LiveDocument, PalabreClient
from palabre.client.suggestions import Suggestions
from palabre.domain.roles import Country, Role
from palabre.server.storage.database import Database, open_application

from tests.support.server import ServerProcess
from tests.test_cli import palabre

TEXT = "# Référentiel commun\n\nRelier les acteurs de l’ESS en Bretagne et au Togo.\n"


@dataclass(frozen=True)
class World:
    server: ServerProcess
    database_url: str
    document_id: str
    coordinator: str

    def export(self, **params: str) -> bytes:
        path = f"{self.server.base_url}/api/documents/{self.document_id}/export"
        headers = {"Authorization": f"Bearer {self.coordinator}"}
        response = httpx.get(path, params=params, headers=headers, timeout=60)
        assert response.status_code == 200, response.text
        return response.content


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    url = f"sqlite:///{tmp_path_factory.mktemp('suggestions') / 'palabre.sqlite3'}"
    app = open_application(Database(url))
    document = app.create_document("Référentiel commun").id
    tokens = {
        "coordinator": app.add_member(
            "Awa Koffi", "Coordination Lomé", Country.TG, Role.COORDINATOR
        ).token,
        "yann": app.add_member(
            "Yann Le Gall", "CRESS Bretagne", Country.FR, Role.EDITOR, document, votes=True
        ).token,
        "afi": app.add_member(
            "Afi Mensah", "FONGTO", Country.TG, Role.EDITOR, document, votes=True
        ).token,
        "maelle": app.add_member(
            "Maëlle Tanguy", "Université Rennes 2", Country.FR, Role.COMMENTER, document
        ).token,
    }
    app.close()
    server = ServerProcess(url).start()
    try:
        asyncio.run(_committee(server, str(document), tokens))
        yield World(server, url, str(document), tokens["coordinator"])
    finally:
        server.kill()


async def _committee(server: ServerProcess, doc: str, tokens: dict[str, str]) -> None:
    """Yann types the text; Maëlle suggests five changes: one accepted by Yann, one rejected,
    one withdrawn, two put to the committee (one adopted, one refused); one more stays open.
    Then the committee approves the text as v1 in the same meeting."""
    async with LiveDocument(server.base_url, doc, tokens["yann"]) as live:
        await live.wait_synced()
        live.insert(0, TEXT)
        await live.wait_saved()
    async with (
        PalabreClient(server.base_url, tokens["maelle"]) as maelle_http,
        PalabreClient(server.base_url, tokens["yann"]) as yann_http,
        PalabreClient(server.base_url, tokens["afi"]) as afi_http,
        PalabreClient(server.base_url, tokens["coordinator"]) as coordinator_http,
    ):
        maelle, yann = Suggestions(maelle_http), Suggestions(yann_http)
        coordinator = Suggestions(coordinator_http)
        accepted = await maelle.make(doc, "Relier", "Rassembler", "Plus chaleureux")
        await yann.reply(doc, accepted["id"], "Volontiers.")
        await yann.accept(doc, accepted["id"])
        rejected = await maelle.make(doc, "au Togo", "en Afrique de l’Ouest")
        await yann.reject(doc, rejected["id"], "Le projet est franco-togolais.")
        withdrawn = await maelle.make(doc, "acteurs", "structures")
        await maelle.withdraw(doc, withdrawn["id"])
        adopted = await maelle.make(doc, "l’ESS", "l’économie sociale et solidaire")
        refused = await maelle.make(doc, "Bretagne", "Bretagne (Rennes)")
        await maelle.make(doc, "Référentiel commun", "Référentiel commun 2026", "Millésime")
        await coordinator_http.open_meeting(doc, "Comité de pilotage", "2026-11-23")
        vote = await coordinator.put_to_vote(doc, [adopted["id"], refused["id"]])
        for http, choices in [
            (yann_http, ("approve", "object")),
            (afi_http, ("approve", "object")),
        ]:
            for sid, choice in zip((adopted["id"], refused["id"]), choices, strict=True):
                await Suggestions(http).vote(doc, vote["id"], sid, choice, "Motif")
        await coordinator.close_vote(doc, vote["id"])
        proposal = await coordinator_http.propose(doc, "Première lecture")
        for http in (yann_http, afi_http):
            await http.vote(doc, proposal["id"], "approve")
        await coordinator_http.close_proposal(doc, proposal["id"])


class Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_text(body: bytes) -> str:
    parser = Text()
    parser.feed(body.decode("utf-8"))
    return " ".join(" ".join(parser.parts).split())


def test_the_bundle_lists_every_suggestion_with_its_fate_and_the_meetings_amendments(
    world: World,
) -> None:
    bundle = orjson.loads(world.export(format="json", version="1", suggestions="all"))
    fates = [(s["quote"], s["status"], s["by_committee"]) for s in bundle["suggestions"]]
    assert fates == [
        ("Relier", "accepted", False),
        ("au Togo", "rejected", False),
        ("acteurs", "withdrawn", False),
        ("l’ESS", "accepted", True),
        ("Bretagne", "rejected", True),
        ("Référentiel commun", "open", False),
    ]
    first = bundle["suggestions"][0]
    assert (first["decided_by"]["name"], first["replies"][0]["body"]) == (
        "Yann Le Gall",
        "Volontiers.",
    )
    assert bundle["suggestions"][1]["decision_reason"] == "Le projet est franco-togolais."
    amendments = [
        (a["quote"], a["outcome"], a["applied"], a["approve"]) for a in bundle["amendments"]
    ]
    assert amendments == [("l’ESS", "accepted", True, 2), ("Bretagne", "rejected", False, 0)]
    assert "Rassembler les acteurs de l’économie sociale et solidaire" in bundle["markdown"]
    plain = orjson.loads(world.export(format="json", version="1"))
    assert plain["suggestions"] is None  # not asked for
    assert len(plain["amendments"]) == 2  # the cover's: always


def test_the_html_annex_in_french_and_english(world: World) -> None:
    french = html_text(world.export(format="html", suggestions="open"))
    annex = french[french.index("Suggestions en attente") :]
    assert "Référentiel commun 2026" in annex
    assert "Motif : Millésime" in annex.replace("\u00a0", " ")
    assert "en attente de décision" in annex
    assert "Rassembler" not in annex  # decided: not an open one
    english = html_text(world.export(format="html", version="1", suggestions="all", lang="en"))
    assert "Amendments decided in the meeting" in english
    assert "adopted" in english
    assert "rejected" in english
    annex = english[english.index("Suggestions", english.index("Amendments decided")) :]
    assert "by the committee, by a vote on amendments" in annex
    assert "rejected on" in annex
    assert "Le projet est franco-togolais." in annex
    assert "withdrawn on" in annex


def test_word_and_pdf_carry_the_annex_and_the_cover(world: World) -> None:
    word = docx.Document(io.BytesIO(world.export(format="docx", version="1", suggestions="all")))
    paragraphs = " ".join(p.text for p in word.paragraphs)
    assert "Amendements décidés en séance" in paragraphs
    assert "Suite donnée" in paragraphs
    struck = [r.text for p in word.paragraphs for r in p.runs if r.font.strike]
    assert "«\u00a0au Togo\u00a0»" in struck
    pdf = pypdf.PdfReader(io.BytesIO(world.export(format="pdf", version="1", suggestions="all")))
    text = " ".join(page.extract_text() for page in pdf.pages)
    assert "Amendements" in text
    assert "Suggestions" in text
    assert world.export(format="odt", version="1", suggestions="all")[:2] == b"PK"


def test_the_command_line_and_bad_values(world: World, tmp_path: Path) -> None:
    target = tmp_path / "v1.json"
    written = palabre(
        world.database_url,
        *("export", world.document_id, "--format", "json", "--version", "1"),
        *("--suggestions", "open", "-o", str(target)),
    )
    assert written.returncode == 0, written.stderr
    bundle = orjson.loads(target.read_bytes())
    assert [s["status"] for s in bundle["suggestions"]] == ["open"]
    path = f"{world.server.base_url}/api/documents/{world.document_id}/export"
    headers = {"Authorization": f"Bearer {world.coordinator}"}
    bad = httpx.get(path, params={"format": "md", "suggestions": "some"}, headers=headers)
    assert (bad.status_code, "suggestions" in bad.json()["error"]["message"]) == (400, True)
