"""Suggestions over HTTP against a real server (SQLite and PostgreSQL), with live Yjs clients
and the live event channel: making, deciding, the replacement written into the text and
credited to the suggester (through a loaded room, or into the log when none is), conflicts,
rights for every role, and the command line. The committee's votes on amendments are in
``test_amendments_http.py``."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable
from typing import Any

import pytest
from palabre.client import LiveDocument, PalabreClient, PalabreHTTPError
from palabre.client.history import History
from palabre.client.suggestions import Suggestions

from tests.conftest import Seed
from tests.support.positions import point_positions, quote_positions
from tests.support.server import ServerProcess
from tests.test_cli import palabre

Json = dict[str, Any]
QUOTE = "économie sociale et solidaire"
TEXT = f"# Le projet\n\nRelier les acteurs de l'{QUOTE} en Bretagne et au Togo.\n"
BETTER = "ESS 🌍"


async def status_of(call: Awaitable[Any]) -> int:
    try:
        await call
    except PalabreHTTPError as error:
        return error.status
    return 200


async def code_of(call: Awaitable[Any]) -> str:
    try:
        await call
    except PalabreHTTPError as error:
        return f"{error.status} {error.code}"
    return "200"


async def typed(server: ServerProcess, seed: Seed, text: str = TEXT) -> int:
    """The editor types the text live and leaves; returns their client id (for anchors)."""
    async with LiveDocument(server.base_url, seed.document_id, seed.editor) as live:
        await live.wait_synced()
        live.insert(0, text)
        await live.wait_saved()
        return int(live.doc.client_id)


async def typed_quote(server: ServerProcess, seed: Seed) -> tuple[bytes, bytes]:
    """The editor types the text; the anchor of QUOTE in it."""
    return quote_positions(await typed(server, seed), TEXT, QUOTE)


async def no_room_loaded(http: PalabreClient, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while (await http.health())["rooms"] != 0:
        assert time.monotonic() < deadline, "the room was never unloaded"
        await asyncio.sleep(0.05)


def credited(authorship: Json, text: str) -> set[str]:
    """Who the authorship report credits for the characters of ``text`` (found once)."""
    runs, start = authorship["runs"], "".join(r["text"] for r in authorship["runs"]).index(text)
    who, offset = set(), 0
    for run in runs:
        if offset < start + len(text) and offset + len(run["text"]) > start:
            who.add(run["member"])
        offset += len(run["text"])
    return who


async def test_accepted_through_the_live_room_credits_the_suggester(
    server: ServerProcess, seed: Seed
) -> None:
    doc = seed.document_id
    start, end = await typed_quote(server, seed)
    async with (
        PalabreClient(server.base_url, seed.commenter) as commenter_http,
        PalabreClient(server.base_url, seed.editor) as editor_http,
        editor_http.events(doc, read_timeout=30) as events,
        LiveDocument(server.base_url, doc, seed.editor2) as watcher,
    ):
        await watcher.wait_synced()
        commenter, editor = Suggestions(commenter_http), Suggestions(editor_http)
        made = await commenter.make(doc, QUOTE, BETTER, "Plus court", start, end, "Le projet")
        assert (made["status"], made["conflict"], made["author"]["name"]) == (
            "open",
            False,
            "Maëlle Tanguy",
        )
        assert made["range"] == {"start": TEXT.index(QUOTE), "end": TEXT.index(QUOTE) + 29}
        assert made["passage_authors"] == [await member_id(editor_http, doc)]
        assert await commenter_http.text(doc) == TEXT  # suggesting changes nothing
        replied = await editor.reply(doc, made["id"], "Bonne idée")
        assert replied["reply"]["author"]["name"] == "Yann Le Gall"
        accepted = await editor.accept(doc, made["id"])
        expected = TEXT.replace(QUOTE, BETTER)
        await watcher.wait_for_text(expected)  # sent at once to those editing
        assert await editor_http.text(doc) == expected
        assert (accepted["status"], accepted["decided_by"]["name"]) == ("accepted", "Yann Le Gall")
        assert await code_of(editor.accept(doc, made["id"])) == "409 suggestion_decided"
        kinds = [(await anext(events)).event for _ in range(3)]
        assert kinds == ["suggestion.made", "suggestion.replied", "suggestion.accepted"]
        authorship = await History(editor_http).authorship(doc)
        assert credited(authorship, BETTER) == {"Maëlle Tanguy"}
        assert credited(authorship, "Relier les acteurs") == {"Yann Le Gall"}
        sessions = await History(editor_http).sessions(doc)
        theirs = [s for s in sessions if s["member"] == "Maëlle Tanguy"]
        assert [(s["added"], s["removed"]) for s in theirs] == [(len(BETTER), len(QUOTE))]
        position = accepted["position"]
        assert await History(editor_http).text_at(doc, position) == expected
        assert await History(editor_http).text_at(doc, position - 1) == TEXT
        audit = await editor_http._http.get(f"/api/documents/{doc}/audit")
        lines = [json.loads(line) for line in audit.text.splitlines()]
        topics = [e["topic"].rsplit(".", 1)[1] for e in lines if e["originator_id"] == made["id"]]
        assert topics == ["SuggestionMade", "SuggestionReplied", "SuggestionAccepted"]
        [written] = [e for e in lines if e["event"].get("session_id") == f"suggestion-{made['id']}"]
        assert (written["originator_version"], written["event"]["member_id"]) == (
            position,
            made["author"]["id"],
        )


async def member_id(http: PalabreClient, document_id: str) -> str:
    return str((await http._json("GET", f"/api/documents/{document_id}/me"))["id"])


async def test_accepted_with_no_room_loaded_goes_into_the_log(
    server: ServerProcess, seed: Seed
) -> None:
    doc = seed.document_id
    client = await typed(server, seed)
    async with (
        PalabreClient(server.base_url, seed.commenter) as commenter_http,
        PalabreClient(server.base_url, seed.coordinator) as coordinator_http,
    ):
        commenter, coordinator = Suggestions(commenter_http), Suggestions(coordinator_http)
        insertion = TEXT.index(" en Bretagne")
        at = point_positions(client, TEXT, insertion)
        added = await commenter.make(doc, "", " (ESS)", "Le sigle", *at)
        await no_room_loaded(coordinator_http)
        accepted = await coordinator.accept(doc, added["id"])
        expected = TEXT[:insertion] + " (ESS)" + TEXT[insertion:]
        assert await coordinator_http.text(doc) == expected
        assert accepted["position"] == (await coordinator_http.document(doc))["contributions"]
        authorship = await History(coordinator_http).authorship(doc)
        assert credited(authorship, " (ESS)") == {"Maëlle Tanguy"}
    async with LiveDocument(server.base_url, doc, seed.editor) as live:
        await live.wait_for_text(expected)


async def test_a_passage_edited_meanwhile_conflicts_and_is_never_applied(
    server: ServerProcess, seed: Seed
) -> None:
    doc = seed.document_id
    start, end = await typed_quote(server, seed)
    async with (
        PalabreClient(server.base_url, seed.commenter) as commenter_http,
        PalabreClient(server.base_url, seed.coordinator) as coordinator_http,
        LiveDocument(server.base_url, doc, seed.editor) as live,
    ):
        await live.wait_synced()
        commenter, coordinator = Suggestions(commenter_http), Suggestions(coordinator_http)
        made = await commenter.make(doc, QUOTE, BETTER, "Plus court", start, end)
        unanchored = await commenter.make(doc, "Bretagne", "Bretagne (FR)")
        live.insert(live.value.index("sociale"), "très ")
        live.insert(0, "Préambule.\n")
        await live.wait_saved()
        now = await commenter.get(doc, made["id"])
        assert (now["conflict"], now["status"]) == (True, "open")
        assert not (await commenter.get(doc, unanchored["id"]))["conflict"]
        before = await coordinator_http.text(doc)
        with pytest.raises(PalabreHTTPError, match=r"409 suggestion_conflict: .*passage changed"):
            await coordinator.accept(doc, made["id"])
        assert await coordinator_http.text(doc) == before
        assert (await commenter.get(doc, made["id"]))["status"] == "open"
        stale = commenter.make(doc, QUOTE, BETTER, "", start, end)
        assert await code_of(stale) == "409 suggestion_conflict"  # it must stand in the text
        revised = await commenter.revise(doc, made["id"], "Préambule.", "Introduction.")
        assert (revised["conflict"], revised["reason"]) == (False, "Plus court")  # kept
        await coordinator.accept(doc, made["id"])
        await coordinator.accept(doc, unanchored["id"])
        await live.wait_for_text(
            before.replace("Préambule.", "Introduction.").replace("Bretagne", "Bretagne (FR)")
        )


async def test_rights_of_every_role_over_http(server: ServerProcess, seed: Seed) -> None:
    doc = seed.document_id
    await typed(server, seed)
    async with (
        PalabreClient(server.base_url, seed.commenter) as commenter_http,
        PalabreClient(server.base_url, seed.editor) as editor_http,
        PalabreClient(server.base_url, seed.editor2) as editor2_http,
        PalabreClient(server.base_url, seed.observer) as observer_http,
        PalabreClient(server.base_url, seed.coordinator) as coordinator_http,
    ):
        commenter, editor = Suggestions(commenter_http), Suggestions(editor_http)
        editor2, observer = Suggestions(editor2_http), Suggestions(observer_http)
        coordinator = Suggestions(coordinator_http)
        made = [
            (await s.make(doc, "Bretagne", f"Bretagne {i}"))["id"]
            for i, s in enumerate((commenter, editor2, coordinator))
        ]
        assert await status_of(observer.make(doc, "Bretagne", "Non")) == 403
        assert await status_of(observer.reply(doc, made[0], "Non")) == 403
        assert len(await observer.list(doc)) == 3
        for outsider in (commenter, editor2, observer):  # none of them wrote "Bretagne"
            assert await status_of(outsider.accept(doc, made[0])) == 403
            assert await status_of(outsider.reject(doc, made[0], "Non")) == 403
        assert await status_of(editor.withdraw(doc, made[0])) == 403
        assert await status_of(editor.reject(doc, made[0], "")) == 400
        assert (await editor.reject(doc, made[0], "Trop précis"))["decision_reason"] == (
            "Trop précis"
        )
        assert await status_of(editor.reject(doc, made[0], "Encore")) == 409
        assert (await editor2.withdraw(doc, made[1]))["status"] == "withdrawn"
        assert await code_of(coordinator.accept(doc, made[1])) == "409 suggestion_decided"
        assert (await coordinator.accept(doc, made[2]))["status"] == "accepted"
        assert [s["status"] for s in await observer.list(doc)] == [
            "rejected",
            "withdrawn",
            "accepted",
        ]
        assert [s["id"] for s in await observer.list(doc, "rejected")] == [made[0]]
        assert await status_of(observer.list(doc, "fermée")) == 400
        assert await status_of(commenter.make(doc, "absent du texte", "x")) == 409
        assert await status_of(commenter.make(doc, "e", "x")) == 409  # occurs many times
        assert await status_of(commenter.make(doc, "", "x")) == 400  # an insertion, where?
        assert await status_of(commenter.get(doc, "pas-un-id")) == 400


async def test_the_command_line_lists_and_decides_while_people_edit(
    server: ServerProcess, seed: Seed, database_url: str
) -> None:
    """The operator accepts from another process: the replacement goes into the log, and the
    server's room, with an editor in it, picks it up at once (the relay sees the acceptance)."""
    doc = seed.document_id
    await typed(server, seed)
    async with (
        PalabreClient(server.base_url, seed.commenter) as commenter_http,
        LiveDocument(server.base_url, doc, seed.editor) as live,
    ):
        await live.wait_synced()
        commenter = Suggestions(commenter_http)
        kept = await commenter.make(doc, "Bretagne", "Bretagne (FR)", "Précision")
        dropped = await commenter.make(doc, "Togo", "Togo (TG)")
        listing = palabre(database_url, "suggestions", "list", doc, "--status", "open")
        assert listing.returncode == 0, listing.stderr
        assert [row.split("\t") for row in listing.stdout.splitlines()] == [
            [kept["id"], "open", "anchored", "Maëlle Tanguy", "Bretagne", "Bretagne (FR)"],
            [dropped["id"], "open", "anchored", "Maëlle Tanguy", "Togo", "Togo (TG)"],
        ]
        accepted = palabre(database_url, "suggestions", "accept", doc, kept["id"])
        assert accepted.returncode == 0, accepted.stderr
        assert accepted.stdout.strip() == "accepted at position 2"
        await live.wait_for_text(TEXT.replace("Bretagne", "Bretagne (FR)"))
        rejected = palabre(
            database_url, "suggestions", "reject", doc, dropped["id"], "--reason", "Non"
        )
        assert rejected.returncode == 0, rejected.stderr
        again = palabre(
            database_url, "suggestions", "reject", doc, dropped["id"], "--reason", "Non"
        )
        assert (again.returncode, "rejected already" in again.stderr) == (2, True)
        final = await commenter.get(doc, dropped["id"])
        assert (final["status"], final["decision_reason"], final["decided_by"]) == (
            "rejected",
            "Non",
            None,
        )
        assert live.value == TEXT.replace("Bretagne", "Bretagne (FR)")
