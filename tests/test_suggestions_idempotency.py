"""Suggestions and the committee's votes on amendments retried under an ``Idempotency-Key``,
against a real server on SQLite and PostgreSQL: every POST sent twice under its key gets the
first answer again and is done once (a suggestion, a reply, an acceptance, a vote on
amendments opened, cast and closed); when the first answer was never kept (the crash window),
what the key made is found again by its id; through ``lome-3g``, a vote on an amendment whose
answer a cut lost is retried and counts once."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any
from uuid import UUID, uuid4

import httpx
from palabre.client import PalabreClient
from palabre.client.suggestions import Suggestions
from palabre.domain.application import PalabreApplication
from palabre.domain.ids import DocumentId, request_id
from palabre.domain.suggestion import Passage

from tests.conftest import Seed
from tests.support.link import PROFILES, Link
from tests.support.lost import answer_lost
from tests.support.people import acting
from tests.support.server import ServerProcess
from tests.test_suggestions_http import TEXT, member_id, typed

Json = dict[str, Any]


def bearer(token: str, key: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    return headers if key is None else headers | {"Idempotency-Key": key}


def stored(application: PalabreApplication) -> Counter[str]:
    """How many events of each kind the log holds (``SuggestionMade``, ``Contributed``...)."""
    found = application.recorder.select_notifications(0, 100_000)
    return Counter(n.topic.rsplit(".", 1)[-1] for n in found)


async def voting_meeting(server: ServerProcess, seed: Seed) -> None:
    """Yann's organisation votes; a meeting is open."""
    async with (
        PalabreClient(server.base_url, seed.coordinator) as coordinator,
        PalabreClient(server.base_url, seed.editor) as editor,
    ):
        me = await member_id(editor, seed.document_id)
        await coordinator.change_member(seed.document_id, me, votes=True)
        await coordinator.open_meeting(seed.document_id, "Comité de pilotage", "2026-11-23")


async def test_every_post_sent_twice_under_its_key_gets_the_first_answer_and_is_done_once(
    server: ServerProcess, seed: Seed, application: PalabreApplication
) -> None:
    await typed(server, seed)
    await voting_meeting(server, seed)
    base = f"/api/documents/{seed.document_id}"
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:

        async def twice(token: str, path: str, body: Json | None = None) -> Json:
            key = uuid4().hex
            first = await http.post(base + path, json=body, headers=bearer(token, key))
            assert first.is_success, first.text
            again = await http.post(base + path, json=body, headers=bearer(token, key))
            assert (again.status_code, again.headers.get("idempotent-replayed")) == (
                first.status_code,
                "true",
            )
            assert again.content == first.content  # byte for byte
            return dict(first.json())

        before = stored(application)
        made = await twice(
            seed.commenter, "/suggestions", {"quote": "Relier", "replacement": "Unir"}
        )
        await twice(seed.editor, f"/suggestions/{made['id']}/replies", {"body": "Oui."})
        accepted = await twice(seed.editor, f"/suggestions/{made['id']}/accept")
        voted = await twice(seed.commenter, "/suggestions", {"quote": "Togo", "replacement": "TG"})
        vote = await twice(seed.coordinator, "/amendments", {"suggestion_ids": [voted["id"]]})
        cast = {"suggestion_id": voted["id"], "vote": "approve"}
        await twice(seed.editor, f"/amendments/{vote['id']}/votes", cast)
        closed = await twice(seed.coordinator, f"/amendments/{vote['id']}/close")
        listed = (await http.get(base + "/suggestions", headers=bearer(seed.editor))).json()
        text = (await http.get(base + "/text", headers=bearer(seed.editor))).text
    assert accepted["status"] == "accepted"
    assert [a["status"] for a in closed["amendments"]] == ["accepted"]
    assert [len(s["replies"]) for s in listed["suggestions"]] == [1, 0]
    done = stored(application) - before
    assert {kind: done[kind] for kind in done if "uggestion" in kind or "mendment" in kind} == {
        "SuggestionMade": 2,
        "SuggestionReplied": 1,
        "SuggestionAccepted": 2,  # one by Yann, one by the committee
        "SuggestionPutToVote": 1,
        "AmendmentsOpened": 1,
        "AmendmentVoteCast": 1,
        "AmendmentsClosed": 1,
    }
    expected = TEXT.replace("Relier", "Unir").replace("Togo", "TG")
    assert text == expected


async def test_what_a_key_made_is_found_again_when_its_first_answer_was_never_kept(
    server: ServerProcess, seed: Seed, application: PalabreApplication
) -> None:
    """The crash window: each command ran under the key's id, and the process died before
    the answer was kept. The retry finds what it made instead of making another."""
    await typed(server, seed)
    await voting_meeting(server, seed)
    doc, base = DocumentId(UUID(seed.document_id)), f"/api/documents/{seed.document_id}"
    async with (
        PalabreClient(server.base_url, seed.commenter) as maelle_http,
        PalabreClient(server.base_url, seed.editor) as yann_http,
        PalabreClient(server.base_url, seed.coordinator) as awa_http,
        httpx.AsyncClient(base_url=server.base_url + base, timeout=30) as http,
    ):
        people = (maelle_http, yann_http, awa_http)
        maelle, yann, awa = [UUID(await member_id(h, seed.document_id)) for h in people]
        key = uuid4().hex
        with acting(maelle):
            first = application.suggest(
                doc, Passage.parse("Bretagne", "Breizh"), "", request_id(maelle, key, "suggestion")
            )
        body = {"quote": "Bretagne", "replacement": "Breizh"}
        again = await http.post("/suggestions", json=body, headers=bearer(seed.commenter, key))
        assert again.status_code == 201, again.text
        assert "idempotent-replayed" not in again.headers  # no receipt: the domain found it
        assert again.json()["id"] == str(first.id)
        other = await http.post("/suggestions", json=body, headers=bearer(seed.editor, key))
        assert other.json()["id"] != str(first.id)  # another member's key names another

        key = uuid4().hex  # Yann's key above served his own suggestion
        with acting(yann):
            reply_id = str(request_id(yann, key, "suggestion-reply"))
            application.reply_to_suggestion(doc, first.id, "Pourquoi ?", reply_id)
        replied = await http.post(
            f"/suggestions/{first.id}/replies",
            json={"body": "Pourquoi ?"},
            headers=bearer(seed.editor, key),
        )
        assert (replied.status_code, replied.json()["reply"]["id"]) == (201, reply_id)
        assert len(replied.json()["replies"]) == 1

        with acting(awa):
            opened = application.open_amendments(
                doc, [first.id], request_id(awa, key, "amendments")
            )
        put = {"suggestion_ids": [str(first.id)]}
        reopened = await http.post("/amendments", json=put, headers=bearer(seed.coordinator, key))
        assert (reopened.status_code, reopened.json()["id"]) == (201, str(opened.id))
        assert len(await Suggestions(awa_http).amendments(seed.document_id)) == 1
    assert stored(application)["SuggestionReplied"] == 1


async def test_a_vote_on_an_amendment_retried_after_a_cut_on_lome_3g_counts_once(
    server: ServerProcess, seed: Seed, application: PalabreApplication
) -> None:
    await typed(server, seed)
    await voting_meeting(server, seed)
    doc = seed.document_id
    key = uuid4().hex
    async with (
        Link(PROFILES["lome-3g"], server.address, seed=7) as link,
        PalabreClient(link.url, seed.editor) as phone_http,
        PalabreClient(server.base_url, seed.commenter) as maelle_http,
        PalabreClient(server.base_url, seed.coordinator) as office_http,
    ):
        made = await Suggestions(maelle_http).make(doc, "Bretagne", "Breizh")
        vote = await Suggestions(office_http).put_to_vote(doc, [made["id"]])
        phone = Suggestions(phone_http)
        sending = asyncio.create_task(
            phone.vote(doc, vote["id"], made["id"], "object", "Trop local", key=key)
        )

        async def arrived() -> bool:
            return stored(application)["AmendmentVoteCast"] > 0

        await answer_lost(link, sending, arrived)
        link.restore()
        retried = await phone.vote(doc, vote["id"], made["id"], "object", "Trop local", key=key)
    [amendment] = retried["amendments"]
    assert [(v["member"], v["vote"]) for v in amendment["votes"]] == [("Yann Le Gall", "object")]
    assert stored(application)["AmendmentVoteCast"] == 1
