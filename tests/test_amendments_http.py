"""The committee's votes on amendments over HTTP, against a real server (SQLite and
PostgreSQL): suggestions put to the committee in a meeting, voted under majority and under
consent, the accepted ones written into the text in the set's order (one whose words the one
before it replaced conflicts and stays open), the live channel's events, and the proposal
that follows pinning the resulting text."""

from __future__ import annotations

import hashlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from palabre.client import LiveDocument, PalabreClient
from palabre.client.http import EventStream
from palabre.client.suggestions import Suggestions

from tests.conftest import Seed
from tests.support.server import ServerProcess
from tests.test_suggestions_http import TEXT, code_of, member_id, status_of, typed


@dataclass(frozen=True)
class Committee:
    """HTTP clients of the seed's members, once the editor typed the text and the editors'
    organisations were given a vote."""

    commenter: PalabreClient
    editor: PalabreClient
    editor2: PalabreClient
    coordinator: PalabreClient


@pytest.fixture
async def committee(server: ServerProcess, seed: Seed) -> AsyncIterator[Committee]:
    doc = seed.document_id
    await typed(server, seed)
    async with (
        PalabreClient(server.base_url, seed.commenter) as commenter,
        PalabreClient(server.base_url, seed.editor) as editor,
        PalabreClient(server.base_url, seed.editor2) as editor2,
        PalabreClient(server.base_url, seed.coordinator) as coordinator,
    ):
        for voter in (editor, editor2):
            await coordinator.change_member(doc, await member_id(voter, doc), votes=True)
        yield Committee(commenter, editor, editor2, coordinator)


async def test_amendments_voted_in_a_meeting_then_pinned_by_a_proposal(
    server: ServerProcess, seed: Seed, committee: Committee
) -> None:
    doc, members = seed.document_id, committee
    async with LiveDocument(server.base_url, doc, seed.editor) as live:
        await live.wait_synced()
        commenter, coordinator = Suggestions(members.commenter), Suggestions(members.coordinator)
        first = await commenter.make(doc, "Relier", "Rassembler")
        second = await commenter.make(doc, "Bretagne", "Bretagne (FR)")
        refused = await commenter.make(doc, "Togo", "Togo (TG)")
        assert await status_of(coordinator.put_to_vote(doc, [first["id"]])) == 409  # no meeting
        meeting = await members.coordinator.open_meeting(doc, "Comité de pilotage", "2026-11-23")
        before = await members.coordinator.propose(doc, "Avant les amendements")  # becomes v1
        for http in (members.editor, members.editor2):
            await http.vote(doc, before["id"], "approve")
        await members.coordinator.close_proposal(doc, before["id"])
        ids = [first["id"], second["id"], refused["id"]]
        vote = await coordinator.put_to_vote(doc, ids)
        assert await code_of(commenter.withdraw(doc, refused["id"])) == (
            "409 suggestion_before_committee"
        )
        assert (await commenter.get(doc, refused["id"]))["before_committee"]
        assert [a["suggestion_id"] for a in vote["amendments"]] == ids
        for http, choices in [
            (members.editor, ["approve", "approve", "object"]),
            (members.editor2, ["approve", "abstain", "object"]),
        ]:
            for sid, choice in zip(ids, choices, strict=True):
                await Suggestions(http).vote(doc, vote["id"], sid, choice, "Motif")
        closed = await coordinator.close_vote(doc, vote["id"])
        assert [(a["decision"], a["status"]) for a in closed["amendments"]] == [
            ("accepted", "accepted"),
            ("accepted", "accepted"),
            ("rejected", "rejected"),
        ]
        expected = TEXT.replace("Relier", "Rassembler").replace("Bretagne", "Bretagne (FR)")
        await live.wait_for_text(expected)
        assert not (await commenter.get(doc, refused["id"]))["before_committee"]
        proposal = await members.coordinator.propose(doc, "Après les amendements")
        assert proposal["sha256"] == hashlib.sha256(expected.encode()).hexdigest()
        assert proposal["meeting_id"] == meeting["id"]
        assert await status_of(Suggestions(members.editor).close_vote(doc, vote["id"])) == 403
        again = await coordinator.close_vote(doc, vote["id"])  # nothing left to write
        assert again["amendments"] == closed["amendments"]
        assert await members.coordinator.text(doc) == expected
        note = await members.coordinator.changes(doc, 1, "current")  # the change note since v1
        assert [a["summary"] for a in note["amendments"]] == [
            "«\u00a0Relier\u00a0» → «\u00a0Rassembler\u00a0» (Maëlle Tanguy, Université)",
            "«\u00a0Bretagne\u00a0» → «\u00a0Bretagne (FR)\u00a0» (Maëlle Tanguy, Université)",
        ]


async def test_under_consent_amendments_are_applied_in_the_sets_order_then_pinned(
    server: ServerProcess, seed: Seed, committee: Committee
) -> None:
    """Two amendments touch the same words: the one first in the set is written, the other
    then conflicts and stays open (never applied blindly); an objection refuses a third under
    consent; every accepted one is written after the one before it in the set."""
    doc, members = seed.document_id, committee
    async with members.coordinator.events(doc, read_timeout=30) as events:
        commenter, coordinator = Suggestions(members.commenter), Suggestions(members.coordinator)
        await members.coordinator.set_rule(doc, mode="consent")
        wider = await commenter.make(doc, "Relier les acteurs", "Unir les structures")
        later = await commenter.make(doc, "Bretagne", "Bretagne (FR)")
        narrower = await commenter.make(doc, "Relier", "Rassembler")
        objected = await commenter.make(doc, "Togo", "Togo (TG)")
        order = [wider["id"], later["id"], narrower["id"], objected["id"]]
        await members.coordinator.open_meeting(doc, "Comité de pilotage", "2026-11-23")
        assert await status_of(Suggestions(members.editor).put_to_vote(doc, order)) == 403
        vote = await coordinator.put_to_vote(doc, order)
        for http, objection in [(members.editor, objected["id"]), (members.editor2, None)]:
            for sid in order:
                choice = "object" if sid == objection else "approve"
                await Suggestions(http).vote(doc, vote["id"], sid, choice, "Motif")
        closed = await coordinator.close_vote(doc, vote["id"])
        assert closed["rule"]["mode"] == "consent"
        assert [(a["decision"], a["status"]) for a in closed["amendments"]] == [
            ("accepted", "accepted"),
            ("accepted", "accepted"),
            ("accepted", "open"),  # its words were replaced by the one before it
            ("rejected", "rejected"),
        ]
        assert (await commenter.get(doc, narrower["id"]))["conflict"]
        positions = [(await commenter.get(doc, sid))["position"] for sid in order[:2]]
        assert positions[0] < positions[1]
        expected = TEXT.replace("Relier les acteurs", "Unir les structures").replace(
            "Bretagne", "Bretagne (FR)"
        )
        assert await members.coordinator.text(doc) == expected
        proposal = await members.coordinator.propose(doc, "Après les amendements")
        assert proposal["sha256"] == hashlib.sha256(expected.encode()).hexdigest()
        assert await decisions_relayed(events, 2) == [
            "amendments.opened",
            *["amendments.vote"] * 8,
            "amendments.closed",
            "suggestion.rejected",  # in the same transaction as the decisions
            "suggestion.accepted",
            "suggestion.accepted",
        ]


async def decisions_relayed(events: EventStream, accepted: int, timeout: float = 30) -> list[str]:
    """The live channel's amendment events and decisions on suggestions, in order, until
    ``accepted`` suggestions were accepted."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while seen.count("suggestion.accepted") < accepted:
        assert time.monotonic() < deadline, f"only {seen}"
        kind = (await anext(events)).event
        if kind.startswith("amendments.") or kind in ("suggestion.accepted", "suggestion.rejected"):
            seen.append(kind)
    return seen
