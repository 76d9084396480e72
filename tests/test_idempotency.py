"""Idempotent committee actions over HTTP, on SQLite and PostgreSQL: a vote, a comment or a
reply sent again under the same ``Idempotency-Key`` gets the first answer and is not done
twice, across a restart and across two server instances; the crash window between a command
and its receipt is closed by the domain (an identical vote records nothing; a comment or reply
created under a key is found again by its id). Through ``lome-3g``, a vote whose answer a cut
lost is retried after the cut and counts once."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import httpx
import orjson
import pytest
from palabre.client import LiveDocument, PalabreClient
from palabre.domain.actor import acting_member
from palabre.domain.application import PalabreApplication
from palabre.domain.comment import Anchor
from palabre.domain.ids import request_id
from palabre.domain.roles import Country, Role

from tests.conftest import Seed
from tests.support.link import PROFILES, Link
from tests.support.lost import answer_lost
from tests.support.server import ServerProcess

Json = dict[str, Any]
VOTE_CAST = "Document.VoteCast"
COMMENT_EVENTS = ("Comment.Created", "Comment.Replied")


@dataclass(frozen=True)
class Ballot:
    document_id: str
    proposal_id: str
    voter: str  # token
    voter_id: str

    @property
    def votes(self) -> str:
        return f"/api/documents/{self.document_id}/proposals/{self.proposal_id}/votes"

    @property
    def proposal(self) -> str:
        return f"/api/documents/{self.document_id}/proposals/{self.proposal_id}"


@pytest.fixture
def ballot(application: PalabreApplication, server: ServerProcess, seed: Seed) -> Ballot:
    voter = application.add_member(
        "Kossi Agbeko",
        "Fédération des ONG du Togo",
        Country.TG,
        Role.EDITOR,
        UUID(seed.document_id),
        votes=True,
    )
    answer = httpx.post(
        f"{server.base_url}/api/documents/{seed.document_id}/proposals",
        json={"label": "Texte de la séance"},
        headers=bearer(seed.coordinator),
    )
    assert answer.status_code == 201, answer.text
    return Ballot(seed.document_id, answer.json()["id"], voter.token, str(voter.member.id))


def bearer(token: str, key: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return headers


def audit_topics(server: ServerProcess, seed: Seed) -> list[str]:
    answer = httpx.get(
        f"{server.base_url}/api/documents/{seed.document_id}/audit",
        headers=bearer(seed.coordinator),
    )
    answer.raise_for_status()
    return [orjson.loads(line)["topic"] for line in answer.text.splitlines()]


def votes_cast(server: ServerProcess, seed: Seed) -> int:
    return sum(topic.endswith(VOTE_CAST) for topic in audit_topics(server, seed))


# Votes ----------------------------------------------------------------------------------------


def test_a_vote_sent_twice_under_one_key_gets_the_first_answer_and_is_cast_once(
    server: ServerProcess, seed: Seed, ballot: Ballot
) -> None:
    key = uuid4().hex
    url = server.base_url + ballot.votes
    body = {"vote": "object", "reason": "Il manque les structures de Kara."}
    first = httpx.post(url, json=body, headers=bearer(ballot.voter, key))
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    again = httpx.post(url, json=body, headers=bearer(ballot.voter, key))
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content  # the first answer, byte for byte
    assert votes_cast(server, seed) == 1

    # The same key for another request is refused, and changes nothing.
    other = httpx.post(url, json={"vote": "approve"}, headers=bearer(ballot.voter, key))
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    proposal = httpx.get(server.base_url + ballot.proposal, headers=bearer(seed.coordinator))
    assert [v["vote"] for v in proposal.json()["votes"]] == ["object"]
    assert votes_cast(server, seed) == 1


def test_without_a_key_an_identical_vote_again_records_nothing(
    server: ServerProcess, seed: Seed, ballot: Ballot
) -> None:
    """What a retry without a key (or after a lost receipt) does: the last vote counts, and
    the same vote again is no new fact."""
    url = server.base_url + ballot.votes
    for _ in range(3):
        answer = httpx.post(url, json={"vote": "approve"}, headers=bearer(ballot.voter))
        assert answer.status_code == 201
        assert answer.json()["voted"] == 1
    assert votes_cast(server, seed) == 1
    changed = httpx.post(url, json={"vote": "abstain"}, headers=bearer(ballot.voter))
    assert changed.json()["vote"] == "abstain"  # a different vote is a new one: the last counts
    assert votes_cast(server, seed) == 2


def test_a_malformed_key_is_refused_before_anything_is_done(
    server: ServerProcess, seed: Seed, ballot: Ballot
) -> None:
    url = server.base_url + ballot.votes
    for key in ("short", "x" * 129, "espace interdite", "pas/de/barres"):
        answer = httpx.post(url, json={"vote": "approve"}, headers=bearer(ballot.voter, key))
        assert answer.status_code == 400, key
        assert answer.json()["error"]["code"] == "idempotency_key_invalid"
    assert votes_cast(server, seed) == 0


def test_a_refusal_is_not_kept_and_the_key_serves_once_the_request_is_valid(
    server: ServerProcess, seed: Seed, ballot: Ballot
) -> None:
    key, url = uuid4().hex, server.base_url + ballot.votes
    refused = httpx.post(url, json={"vote": "object"}, headers=bearer(ballot.voter, key))
    assert refused.json()["error"]["code"] == "reason_required"
    body = {"vote": "object", "reason": "Pas prêt."}
    # The page corrects the request and sends it under a new key; the old key is free too.
    assert httpx.post(url, json=body, headers=bearer(ballot.voter, key)).status_code == 201
    assert votes_cast(server, seed) == 1


def test_answers_under_a_key_hold_across_a_restart_and_another_instance(
    server: ServerProcess, seed: Seed, ballot: Ballot, database_url: str
) -> None:
    key, body = uuid4().hex, {"vote": "approve"}
    first = httpx.post(server.base_url + ballot.votes, json=body, headers=bearer(ballot.voter, key))
    assert first.status_code == 201
    server.stop()
    server.restart()
    again = httpx.post(server.base_url + ballot.votes, json=body, headers=bearer(ballot.voter, key))
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content
    other = ServerProcess(database_url).start()  # a second instance on the same store
    try:
        url = other.base_url + ballot.votes
        there = httpx.post(url, json=body, headers=bearer(ballot.voter, key))
        assert there.headers["idempotent-replayed"] == "true"
        assert there.content == first.content
    finally:
        other.kill()
    assert votes_cast(server, seed) == 1


# Comments and replies -------------------------------------------------------------------------


def test_a_comment_and_a_reply_sent_twice_under_their_keys_are_created_once(
    application: PalabreApplication, server: ServerProcess, seed: Seed
) -> None:
    write_text(server, seed, "Référentiel commun du projet.")
    comments = f"{server.base_url}/api/documents/{seed.document_id}/comments"
    body = {"body": "À préciser.", "quote": "Référentiel", "section": ""}
    key = uuid4().hex
    first = httpx.post(comments, json=body, headers=bearer(seed.editor, key))
    assert first.status_code == 201, first.text
    again = httpx.post(comments, json=body, headers=bearer(seed.editor, key))
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content
    listed = httpx.get(comments, headers=bearer(seed.editor)).json()["comments"]
    assert [c["id"] for c in listed] == [first.json()["id"]]

    replies = f"{comments}/{first.json()['id']}/replies"
    reply_key = uuid4().hex
    for _ in range(2):
        answer = httpx.post(
            replies, json={"body": "D’accord."}, headers=bearer(seed.editor2, reply_key)
        )
        assert answer.status_code == 201
    thread = httpx.get(f"{comments}/{first.json()['id']}", headers=bearer(seed.editor)).json()
    assert [r["body"] for r in thread["replies"]] == ["D’accord."]
    stored = application.recorder.select_notifications(0, 10_000)
    topics = [n.topic.rsplit(":", 1)[1] for n in stored if n.topic.endswith(COMMENT_EVENTS)]
    assert topics == ["Comment.Created", "Comment.Replied"]


def test_a_comment_whose_receipt_was_lost_is_found_again_not_created_twice(
    application: PalabreApplication, server: ServerProcess, seed: Seed
) -> None:
    """The crash window: the comment was stored under the key's id, and the process died
    before the answer was kept. The retry finds the comment instead of making another."""
    write_text(server, seed, "Le comité valide le texte.")
    key = uuid4().hex
    me = httpx.get(
        f"{server.base_url}/api/documents/{seed.document_id}/me", headers=bearer(seed.editor)
    ).json()
    comment_id = request_id(UUID(me["id"]), key, "comment")
    acting = acting_member.set(UUID(me["id"]))
    try:
        stored = application.comment(
            UUID(seed.document_id), "Qui valide ?", Anchor("comité", ""), comment_id
        )
    finally:
        acting_member.reset(acting)
    comments = f"{server.base_url}/api/documents/{seed.document_id}/comments"
    body = {"body": "Qui valide ?", "quote": "comité", "section": ""}
    retried = httpx.post(comments, json=body, headers=bearer(seed.editor, key))
    assert retried.status_code == 201, retried.text
    assert "idempotent-replayed" not in retried.headers  # no receipt: the domain found it
    assert retried.json()["id"] == str(stored.id)
    listed = httpx.get(comments, headers=bearer(seed.editor)).json()["comments"]
    assert [c["id"] for c in listed] == [str(comment_id)]
    # Another member's request under the same key names another comment.
    other = httpx.post(comments, json=body, headers=bearer(seed.editor2, key))
    assert other.json()["id"] != str(comment_id)


def write_text(server: ServerProcess, seed: Seed, text: str) -> None:
    """Type ``text`` through a live client and wait until it is stored."""

    async def typing() -> None:
        async with LiveDocument(server.base_url, seed.document_id, seed.editor) as live:
            live.insert(0, text)
            await live.wait_saved()

    asyncio.run(typing())


# Through a weak link ---------------------------------------------------------------------------


async def test_a_vote_on_lome_3g_retried_after_a_cut_counts_once(
    server: ServerProcess, seed: Seed, ballot: Ballot
) -> None:
    key = uuid4().hex
    async with (
        Link(PROFILES["lome-3g"], server.address, seed=5) as link,
        PalabreClient(link.url, ballot.voter) as phone,
        PalabreClient(server.base_url, seed.coordinator) as office,
    ):
        sending = asyncio.create_task(
            phone.vote(ballot.document_id, ballot.proposal_id, "approve", key=key)
        )

        async def arrived() -> bool:
            return bool((await office.proposal(ballot.document_id, ballot.proposal_id))["votes"])

        # The vote reaches the server; the phone loses its network before the answer comes
        # back (its connection is reset, as a lost cell resets it): it does not know whether
        # its vote counted.
        await answer_lost(link, sending, arrived)
        link.restore()
        retried = await phone.vote(ballot.document_id, ballot.proposal_id, "approve", key=key)
        proposal = await office.proposal(ballot.document_id, ballot.proposal_id)
    assert retried["voted"] == 1
    assert votes_cast(server, seed) == 1
    assert [(v["member_id"], v["vote"]) for v in proposal["votes"]] == [
        (ballot.voter_id, "approve")
    ]
