"""The committee over HTTP, against a real server on SQLite and PostgreSQL: sixteen French and
Togolese organisations, a meeting, live typing, proposals, votes, decisions, minutes, the live
event channel, and every refusal a member can meet.

Why one file of over 400 lines: its sections share one committee of sixteen organisations
(``build_committee``) and the event helpers at the end."""

from __future__ import annotations

import asyncio
import hashlib
import os
import sys
import time
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
from palabre.client import LiveDocument, LiveError, PalabreClient, PalabreHTTPError
from palabre.client.http import EventStream, ServerEvent
from palabre.domain.ids import DocumentId
from palabre.domain.roles import Country, Role
from palabre.server.channel.hub import EventHub
from palabre.server.storage.database import Database, open_application

from tests.conftest import Seed
from tests.support.live import converged
from tests.support.server import ServerProcess

Json = dict[str, Any]

FRENCH = [
    "Chambre régionale de l'ESS de Bretagne",
    "Réseau Bretagne Solidaire",
    "Pôle ESS du Pays de Morlaix",
    "Département du Finistère",
    "Université de Bretagne Occidentale",
    "Coopérative d'activités Avant-Premières",
    "Fédération des centres sociaux de Bretagne",
    "Association Bretagne-Togo",
]
TOGOLESE = [
    "Fédération des ONG du Togo",
    "Réseau togolais de l'économie sociale et solidaire",
    "Association des femmes entrepreneures de Lomé",
    "Union des coopératives agricoles de Kara",
    "Mutuelle de solidarité de Kpalimé",
    "Association Akwaba Togo",
    "Coordination des associations de Sokodé",
    "Université de Lomé",
]
PEOPLE = [
    *("Nolwenn Riou", "Erwan Kerjean", "Soazig Le Bihan", "Gwenaël Morvan"),
    *("Maëlle Cariou", "Loïc Guillou", "Anne Le Roux", "Ronan Quéré"),
    *("Kossi Agbeko", "Ama Dzifa", "Akossiwa Lawson", "Yao Amouzou"),
    *("Komi Adjo", "Essi Ayivi", "Kodjo Sena", "Abla Tchalla"),
]


@dataclass
class Voter:
    organisation: Json
    member: Json
    token: str


@dataclass
class Committee:
    """A document with one voting editor per organisation, run by the seed's coordinator."""

    base_url: str
    document_id: str
    coordinator: PalabreClient
    voters: list[Voter]

    def client(self, token: str) -> PalabreClient:
        return PalabreClient(self.base_url, token)

    async def vote(self, voter: Voter, proposal_id: str, vote: str, reason: str = "") -> Json:
        async with self.client(voter.token) as http:
            return await http.vote(self.document_id, proposal_id, vote, reason or None)


async def build_committee(
    server: ServerProcess, seed: Seed, coordinator: PalabreClient, count: int = 16
) -> Committee:
    names = [(n, "FR") for n in FRENCH] + [(n, "TG") for n in TOGOLESE]
    voters = []
    for person, (name, country) in zip(PEOPLE, names[:count], strict=False):
        organisation = await coordinator.create_organisation(name, country)
        added = await coordinator.add_member(
            seed.document_id, person, organisation["id"], "editor", votes=True
        )
        member = {k: v for k, v in added.items() if k != "token"}
        voters.append(Voter(organisation, member, added["token"]))
    return Committee(server.base_url, seed.document_id, coordinator, voters)


@pytest.fixture
async def coordinator(server: ServerProcess, seed: Seed) -> AsyncIterator[PalabreClient]:
    async with PalabreClient(server.base_url, seed.coordinator) as http:
        yield http


async def status_of(call: Awaitable[object]) -> int:
    try:
        await call
    except PalabreHTTPError as error:
        return error.status
    return 200


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# The whole story ---------------------------------------------------------------------------


async def test_a_committee_validates_three_versions(
    server: ServerProcess, seed: Seed, coordinator: PalabreClient
) -> None:
    committee = await build_committee(server, seed, coordinator)
    doc, voters = seed.document_id, committee.voters
    organisations = await coordinator.document_organisations(doc)
    assert sum(o["votes"] for o in organisations) == 16
    assert {o["country"] for o in organisations} == {"FR", "TG"}
    assert await coordinator.set_rule(doc, 0.5, "majority", "open") == {
        "quorum": 0.5,
        "mode": "majority",
        "ballot": "open",
    }
    meeting = await coordinator.open_meeting(doc, "Comité de pilotage n° 1", "2026-11-23")
    present = [v.member["id"] for v in voters[:6] + voters[8:13]]
    record = await coordinator.record_attendance(doc, meeting["id"], present)
    assert sorted(record["present"]) == sorted(present)
    assert len(record["attendance"]) == 11

    # Typed live, then proposed as it stands.
    async with LiveDocument(server.base_url, doc, voters[0].token) as live:
        live.insert(0, "# Référentiel commun\n\nLe projet relie l'ESS bretonne et togolaise.\n")
        await live.wait_saved()
        first_text = live.value
    first = await coordinator.propose(doc, "Version soumise au comité du 23 novembre")
    assert first["status"] == "open"
    assert first["sha256"] == sha256(first_text)
    assert first["position"] == (await coordinator.document(doc))["contributions"]
    assert first["meeting_id"] == meeting["id"]

    # Nine organisations vote at once; one objects, with a reason.
    choices = ["approve"] * 7 + ["abstain", "object"]
    reason = "Il manque les attentes des mutuelles."
    await asyncio.gather(
        *(
            committee.vote(v, first["id"], c, reason if c == "object" else "")
            for v, c in zip(voters, choices, strict=False)
        )
    )
    decided = await coordinator.close_proposal(doc, first["id"])
    assert (decided["decision"], decided["version"]) == ("accepted", 1)
    tally = decided["tally"]
    assert (tally["approve"], tally["abstain"], tally["object"]) == (7, 1, 1)
    assert (tally["voted"], tally["voting_organisations"], tally["quorum_met"]) == (9, 16, True)
    objection = tally["votes"][voters[8].organisation["id"]]
    assert objection["reason"] == reason
    assert await status_of(committee.vote(voters[9], first["id"], "approve")) == 409

    # More edits; under consent, one objection rejects.
    async with LiveDocument(server.base_url, doc, voters[9].token) as live:
        live.insert(len(live.value), "\n## Les mutuelles\n\nElles attendent un cadre commun.\n")
        await live.wait_saved()
        second_text = live.value
    await coordinator.set_rule(doc, 0.5, "consent", "open")
    second = await coordinator.propose(doc, "Ajout des mutuelles")
    assert second["sha256"] == sha256(second_text)
    assert second["position"] > first["position"]
    for voter in voters[:8]:
        await committee.vote(voter, second["id"], "approve")
    await committee.vote(voters[12], second["id"], "object", "Le Togo n'a pas été consulté.")
    rejected = await coordinator.close_proposal(doc, second["id"])
    assert (rejected["decision"], rejected["version"]) == ("rejected", None)

    # The objection is answered; the third proposal is accepted as v2.
    async with LiveDocument(server.base_url, doc, voters[12].token) as live:
        live.insert(len(live.value), "Consultation faite à Lomé et à Kara.\n")
        await live.wait_saved()
        third_text = live.value
    third = await coordinator.propose(doc, "Ajout des mutuelles, après consultation")
    assert third["sha256"] == sha256(third_text)
    await asyncio.gather(*(committee.vote(v, third["id"], "approve") for v in voters[:10]))
    accepted = await coordinator.close_proposal(doc, third["id"])
    assert (accepted["decision"], accepted["version"]) == ("accepted", 2)

    # The meeting's record and its minutes.
    record = await coordinator.meeting(doc, meeting["id"])
    assert [p["decision"] for p in record["proposals"]] == ["accepted", "rejected", "accepted"]
    groups = {g["organisation"]: g for g in record["attendance"]}
    assert set(groups) == {v.organisation["name"] for v in voters[:6] + voters[8:13]}
    assert groups[FRENCH[0]]["members"] == [
        {"id": voters[0].member["id"], "name": voters[0].member["name"]}
    ]
    closed = await coordinator.close_meeting(doc, meeting["id"])
    assert closed["status"] == "closed"
    minutes = await coordinator.minutes(doc, meeting["id"])
    for expected in (
        "# Procès-verbal : Comité de pilotage n° 1",
        "lundi 23 novembre 2026",
        "## Présents par structure",
        "### France",
        "### Togo",
        f"- {FRENCH[0]} : {voters[0].member['name']}",
        "11 présent(s), 11 structure(s) représentée(s).",
        "Ajout des mutuelles",
        "**Adoptée** : le texte devient la version validée v1.",  # the page's word too
        "**Adoptée** : le texte devient la version validée v2.",
        "**Rejetée**",
        "| Objection | Le Togo n'a pas été consulté. |",
        "Quorum atteint : 9 structure(s) sur 16 ayant voix.",
    ):
        assert expected in minutes, expected
    assert [p["number"] for p in await coordinator.proposals(doc)] == [1, 2, 3]

    # The approved versions, rebuilt from the events, and exactly the edits between them.
    versions = await coordinator.versions(doc)
    assert [(v["number"], v["sha256"], v["ok"]) for v in versions] == [
        (1, first["sha256"], True),
        (2, third["sha256"], True),
    ]
    assert all(len(v["chain_head"]) == 64 for v in versions)  # sealed by each decision
    assert versions[0]["chain_position"] < versions[1]["chain_position"]
    assert (await coordinator.version(doc, 1))["markdown"] == first_text
    assert (await coordinator.version(doc, 2))["markdown"] == third_text
    diff = await coordinator.diff(doc, 1, 2)
    assert third_text.startswith(first_text)  # every later edit was appended
    inserted = "".join(w["text"] for w in diff["words"] if w["op"] == "insert")
    assert "".join(inserted.split()) == "".join(third_text[len(first_text) :].split())
    assert not [w for w in diff["words"] if w["op"] == "delete"]
    assert "+## Les mutuelles" in diff["unified"]
    verify = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "palabre.server.cli",
        "verify",
        doc,
        env=os.environ | {"PALABRE_DATABASE": server.database_url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(verify.communicate(), 60)
    assert verify.returncode == 0, output.decode()
    assert "all 2 approved versions match their pinned hash" in output.decode()


async def test_minutes_are_markdown_in_utf8(
    server: ServerProcess, seed: Seed, coordinator: PalabreClient
) -> None:
    meeting = await coordinator.open_meeting(seed.document_id, "Séance d'ouverture", "2026-12-01")
    headers = {"Authorization": f"Bearer {seed.observer}"}
    path = f"/api/documents/{seed.document_id}/meetings/{meeting['id']}/minutes"
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
        response = await http.get(path)
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"
    assert "mardi 1er décembre 2026" in response.text
    assert "Aucune présence enregistrée." in response.text
    assert "Aucune proposition" in response.text
    assert [m["id"] for m in await coordinator.meetings(seed.document_id)] == [meeting["id"]]


# Pinning the text as it stands -------------------------------------------------------------


async def test_a_proposal_pins_what_the_room_received(seed: Seed, database_url: str) -> None:
    """With a long batch window, what was typed is not stored yet when the proposal comes:
    the proposal flushes the room first, so it pins exactly what people see."""
    server = ServerProcess(database_url, {"PALABRE_BATCH_WINDOW_MS": "60000"}).start()
    try:
        async with (
            LiveDocument(server.base_url, seed.document_id, seed.editor) as writer,
            LiveDocument(server.base_url, seed.document_id, seed.observer) as reader,
        ):
            writer.insert(0, "Texte tapé à l'instant, pas encore enregistré.")
            text = await converged(writer, reader)
            async with PalabreClient(server.base_url, seed.coordinator) as http:
                proposal = await http.propose(seed.document_id, "Ce qui est à l'écran")
                stored = (await http.document(seed.document_id))["contributions"]
        assert proposal["sha256"] == sha256(text)
        assert proposal["position"] == stored >= 1
    finally:
        server.kill()


# Who may do what ---------------------------------------------------------------------------


async def test_who_may_not_vote(
    server: ServerProcess, seed: Seed, coordinator: PalabreClient
) -> None:
    committee = await build_committee(server, seed, coordinator, count=3)
    doc, silenced = seed.document_id, committee.voters[2]
    await coordinator.set_organisation_voting(doc, silenced.organisation["id"], False)
    proposal = await coordinator.propose(doc, "Texte initial")
    refusals = []
    for token in (seed.commenter, seed.observer, seed.editor, silenced.token):
        async with PalabreClient(server.base_url, token) as http:
            with pytest.raises(PalabreHTTPError) as refused:
                await http.vote(doc, proposal["id"], "approve")
        refusals.append((refused.value.status, refused.value.message))
    assert [status for status, _ in refusals] == [403] * 4
    assert "commenters and observers cannot vote" in refusals[0][1]
    assert "no voting rights" in refusals[2][1]  # the seed's editors have no vote
    assert "organisation has no vote" in refusals[3][1]
    with pytest.raises(PalabreHTTPError) as no_reason:
        await committee.vote(committee.voters[0], proposal["id"], "object")
    assert no_reason.value.status == 400
    assert "reason" in no_reason.value.message
    assert (await coordinator.proposal(doc, proposal["id"]))["votes"] == []


async def test_non_coordinators_cannot_run_the_committee(
    server: ServerProcess, seed: Seed, coordinator: PalabreClient
) -> None:
    doc = seed.document_id
    proposal = await coordinator.propose(doc, "Texte initial")
    organisation = await coordinator.create_organisation("Réseau Bretagne Solidaire", "FR")
    members = {m["name"]: m for m in await coordinator.members(doc)}
    async with PalabreClient(server.base_url, seed.editor) as editor:
        attempts = [
            editor.open_meeting(doc, "Séance pirate", "2026-11-23"),
            editor.propose(doc, "Ma version"),
            editor.close_proposal(doc, proposal["id"]),
            editor.set_rule(doc, 0.1, "majority", "open"),
            editor.set_organisation_voting(doc, organisation["id"], True),
            editor.add_member(doc, "Intrus", organisation["id"], "coordinator"),
            editor.change_member(doc, members["Afi Mensah"]["id"], role="observer"),
            editor.remove_member(doc, members["Afi Mensah"]["id"]),
            editor.create_organisation("Association fantôme", "TG"),
        ]
        statuses = [await status_of(attempt) for attempt in attempts]
    assert statuses == [403] * len(attempts)
    assert (await coordinator.proposal(doc, proposal["id"]))["status"] == "open"


@pytest.mark.parametrize(
    ("body", "path", "code"),
    [
        ({"title": "Séance", "date": "23/11/2026"}, "meetings", "invalid_date"),
        ({"title": "Séance"}, "meetings", "invalid_input"),
        ({"quorum": 2}, "rule", "invalid_rule"),
        ({"mode": "unanimity"}, "rule", "invalid_rule"),
        ({"label": ""}, "proposals", "label_required"),
        ({"label": "   "}, "proposals", "label_required"),
        ({"label": 3}, "proposals", "invalid_input"),  # not a string: the edge's generic code
        (
            {"name": "X", "organisation_id": "pas-un-id", "role": "editor"},
            "members",
            "malformed_id",
        ),
        (
            {"name": "X", "organisation_id": "8e0f6bb4-1f6b-4d1a-9f0e-1b1b1b1b1b1b"},
            "members",
            "invalid_input",
        ),
    ],
)
async def test_bad_bodies_get_400_with_their_code(
    server: ServerProcess, seed: Seed, body: Json, path: str, code: str
) -> None:
    headers = {"Authorization": f"Bearer {seed.coordinator}"}
    url = f"/api/documents/{seed.document_id}/{path}"
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
        response = await (http.put(url, json=body) if path == "rule" else http.post(url, json=body))
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == code


# Votes and decisions -----------------------------------------------------------------------


async def test_a_second_vote_replaces_the_first(
    server: ServerProcess, seed: Seed, coordinator: PalabreClient
) -> None:
    committee = await build_committee(server, seed, coordinator, count=2)
    voter = committee.voters[0]
    same_organisation = await coordinator.add_member(
        seed.document_id, "Nolwenn Riou", voter.organisation["id"], "editor", True
    )
    proposal = await coordinator.propose(seed.document_id, "Texte initial")
    await committee.vote(voter, proposal["id"], "object", "Trop tôt.")
    colleague = Voter(voter.organisation, same_organisation, same_organisation["token"])
    await committee.vote(colleague, proposal["id"], "approve")
    shown = await coordinator.proposal(seed.document_id, proposal["id"])
    assert [(v["organisation_id"], v["vote"]) for v in shown["votes"]] == [
        (voter.organisation["id"], "approve")
    ]
    assert shown["casts"] == 2
    decided = await coordinator.close_proposal(seed.document_id, proposal["id"])
    tally = decided["tally"]
    assert (tally["voted"], tally["approve"], tally["object"]) == (1, 1, 0)
    assert decided["decision"] == "accepted"  # 1 of 2 organisations: at the quorum


@pytest.mark.parametrize(
    ("quorum", "organisations", "votes", "decision"),
    [
        (0.75, 4, 3, "accepted"),  # exactly at the quorum
        (0.75, 4, 2, "rejected"),  # just below
        (1 / 3, 3, 1, "accepted"),  # at a quorum that is not a round number
        (0.5, 0, 0, "rejected"),  # nobody has a vote
    ],
    ids=["at-quorum", "below-quorum", "third", "no-voters"],
)
async def test_quorum_edges(
    server: ServerProcess,
    seed: Seed,
    coordinator: PalabreClient,
    quorum: float,
    organisations: int,
    votes: int,
    decision: str,
) -> None:
    committee = await build_committee(server, seed, coordinator, count=organisations)
    await coordinator.set_rule(seed.document_id, quorum, "majority", "open")
    proposal = await coordinator.propose(seed.document_id, "Texte initial")
    for voter in committee.voters[:votes]:
        await committee.vote(voter, proposal["id"], "approve")
    decided = await coordinator.close_proposal(seed.document_id, proposal["id"])
    assert decided["decision"] == decision
    assert decided["tally"]["voting_organisations"] == organisations
    assert decided["tally"]["quorum_met"] is (decision == "accepted")


# Members: removal and role changes reach live connections at once --------------------------


async def test_a_removed_member_is_disconnected_and_their_token_revoked(
    server: ServerProcess, seed: Seed, coordinator: PalabreClient
) -> None:
    committee = await build_committee(server, seed, coordinator, count=1)
    leaving = committee.voters[0]
    async with coordinator.events(seed.document_id) as events:
        async with LiveDocument(server.base_url, seed.document_id, leaving.token) as live:
            removed = await coordinator.remove_member(seed.document_id, leaving.member["id"])
            with pytest.raises(LiveError) as closed:
                await live.wait_for_text("jamais", timeout=10)
        assert closed.value.code == 4403
        assert removed == {"id": leaving.member["id"], "role": None, "active": False}
        assert (await next_event(events, "member.removed")).data["id"] == leaving.member["id"]
    async with PalabreClient(server.base_url, leaving.token) as http:
        with pytest.raises(PalabreHTTPError) as revoked:
            await http.documents()
    assert revoked.value.status == 401
    members = await coordinator.members(seed.document_id)
    assert leaving.member["id"] not in {m["id"] for m in members}


async def test_a_new_role_makes_live_connections_reconnect(
    server: ServerProcess, seed: Seed, coordinator: PalabreClient
) -> None:
    members = {m["name"]: m for m in await coordinator.members(seed.document_id)}
    afi = members["Afi Mensah"]
    async with LiveDocument(server.base_url, seed.document_id, seed.editor2) as live:
        live.insert(0, "Avant. ")
        await live.wait_saved()
        changed = await coordinator.change_member(seed.document_id, afi["id"], role="observer")
        assert (changed["role"], changed["votes"]) == ("observer", False)
        await until(lambda: live.connections == 2 and live.connected)
        await live.wait_synced()
        assert live.close_code == 4205
        live.insert(len(live.value), "Après.")
        await until(lambda: bool(live.denied))
    assert "observer cannot edit" in live.denied[0]
    async with PalabreClient(server.base_url, seed.observer) as http:
        assert await http.text(seed.document_id) == "Avant. "


# The live channel --------------------------------------------------------------------------


async def test_events_follow_a_secret_ballot(
    server: ServerProcess, seed: Seed, coordinator: PalabreClient
) -> None:
    committee = await build_committee(server, seed, coordinator, count=3)
    doc = seed.document_id
    await coordinator.set_rule(doc, 0.5, "majority", "secret")
    observer = PalabreClient(server.base_url, seed.observer)
    async with observer, observer.events(doc) as events:
        assert events.ready["document_id"] == doc
        meeting = await coordinator.open_meeting(doc, "Séance à huis clos", "2026-11-24")
        opened = await coordinator.propose(doc, "Texte initial")
        await committee.vote(committee.voters[0], opened["id"], "object", "Pas prêt.")
        await committee.vote(committee.voters[1], opened["id"], "approve")
        during = await observer.proposal(doc, opened["id"])
        await coordinator.close_proposal(doc, opened["id"])
        await coordinator.close_meeting(doc, meeting["id"])
        kinds = [
            "meeting.opened",
            "proposal.opened",
            "vote.cast",
            "vote.cast",
            "proposal.closed",
            "meeting.closed",
        ]
        received = [await next_event(events, kind) for kind in kinds]
    assert received[1].data["id"] == opened["id"]
    first_vote = received[2].data
    assert first_vote["organisation"] == committee.voters[0].organisation["name"]
    assert "vote" not in first_vote
    assert "reason" not in first_vote
    assert received[3].data["voted"] == 2
    assert all("vote" not in v for v in during["votes"])
    assert len(during["votes"]) == 2
    assert during["tally"] is None
    decision = received[4].data
    assert decision["decision"] == "rejected"  # one approval, one objection
    assert {v["vote"] for v in decision["votes"]} == {"approve", "object"}
    assert decision["tally"]["votes"][committee.voters[0].organisation["id"]]["reason"] == (
        "Pas prêt."
    )


async def test_events_take_a_token_in_the_query(server: ServerProcess, seed: Seed) -> None:
    path = f"/api/documents/{seed.document_id}/events"
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        refused = await http.get(path)
        assert refused.status_code == 401
        async with http.stream("GET", path, params={"token": seed.observer}) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            lines = response.aiter_lines()
            assert await anext(lines) == "retry: 3000"
            assert await anext(lines) == "event: ready"


async def test_shutdown_ends_event_streams_at_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shutdown.sqlite3'}"
    application = open_application(Database(url))
    document = str(application.create_document("Référentiel commun").id)
    token = application.add_member("Awa Koffi", "Coordination Lomé", Country.TG, Role.COORDINATOR)
    application.close()
    server = ServerProcess(url).start()
    try:
        async with PalabreClient(server.base_url, token.token) as http, http.events(document):
            started = time.monotonic()
            await asyncio.to_thread(server.stop, 60)
        assert time.monotonic() - started < 10
    finally:
        server.kill()


async def test_a_slow_subscriber_is_dropped_not_buffered() -> None:
    """The hub alone: a subscriber whose queue fills is ended, its queue discarded."""
    hub = EventHub(queue_size=2)
    document, member = DocumentId(uuid4()), uuid4()
    with hub.subscribe(document, member, 0) as slow, hub.subscribe(document, member, 0) as quick:
        hub.publish(document, 1, "vote.cast", {"n": 1})
        assert await quick.next(1) is not None  # quick keeps up, slow does not read
        hub.publish(document, 2, "vote.cast", {"n": 2})
        assert slow.ended is None  # two waiting: its limit
        assert len(hub) == 2
        hub.publish(document, 3, "vote.cast", {"n": 3})
        assert slow.ended is not None
        assert "too slow" in slow.ended
        goodbye = await slow.next(1)
        assert goodbye is not None
        assert goodbye.startswith(b"event: end\n")
        with pytest.raises(EOFError):
            await slow.next(1)
        assert quick.ended is None
        assert await quick.next(1) == b'event: vote.cast\ndata: {"n":2}\n\n'
        assert await quick.next(1) is not None
        assert await quick.next(0.01) is None  # silence: time for a keep-alive
    assert len(hub) == 0


# Helpers -----------------------------------------------------------------------------------


async def next_event(events: EventStream, kind: str, timeout: float = 10) -> ServerEvent:
    """The next event of this kind (others in between are skipped)."""
    async with asyncio.timeout(timeout):
        async for event in events:
            if event.event == kind:
                return event
    raise AssertionError(f"the stream ended before {kind}")


async def until(predicate: Any, timeout: float = 10) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.02)


async def test_refusals_a_member_meets_carry_their_own_code(
    server: ServerProcess, seed: Seed, coordinator: PalabreClient
) -> None:
    """What the web page translates: a precise, stable code per refusal a person can meet."""
    doc = seed.document_id

    async def code_of(attempt: Awaitable[object]) -> tuple[int, str]:
        with pytest.raises(PalabreHTTPError) as refused:
            await attempt
        return refused.value.status, refused.value.code

    meeting = await coordinator.open_meeting(doc, "Séance", "2026-12-01")
    assert await code_of(coordinator.open_meeting(doc, "Autre", "2026-12-01")) == (
        409,
        "meeting_already_open",
    )
    proposal = await coordinator.propose(doc, "Texte")
    assert await code_of(coordinator.close_meeting(doc, meeting["id"])) == (
        409,
        "meeting_has_open_proposals",
    )
    async with PalabreClient(server.base_url, seed.editor) as yann:
        assert await code_of(yann.vote(doc, proposal["id"], "approve")) == (403, "not_a_voter")
        assert await code_of(yann.propose(doc, "Le mien")) == (403, "coordinator_only")
    async with PalabreClient(server.base_url, seed.commenter) as maelle:
        assert await code_of(maelle.vote(doc, proposal["id"], "approve")) == (
            403,
            "role_not_allowed",
        )
    await coordinator.close_proposal(doc, proposal["id"])
    assert await code_of(coordinator.close_proposal(doc, proposal["id"])) == (
        409,
        "proposal_closed",
    )
    assert await code_of(coordinator.proposal(doc, str(uuid4()))) == (404, "proposal_not_found")
    assert await code_of(coordinator.document(str(uuid4()))) == (404, "document_not_found")
