"""Two Palabre instances on one PostgreSQL database: people on either see each other's edits
and presence live, committee events reach subscribers on both, removing a member closes
their sockets on both, and the stored contributions reproduce the text everyone ends with."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from uuid import UUID

import orjson
import pytest
from palabre.client import LiveDocument, PalabreClient
from palabre.domain.application import PalabreApplication
from palabre.domain.roles import Country, Role
from palabre.server.crdt.awareness import AwarenessEntry, decode_awareness, encode_awareness
from palabre.server.crdt.protocol import AwarenessUpdate, awareness_message, parse_message
from websockets.asyncio.client import ClientConnection, connect

from tests.conftest import Seed
from tests.support.events import next_event
from tests.support.live import closed_with, converged, ws_url
from tests.support.server import ServerProcess
from tests.test_committee_http import build_committee
from tests.test_crash import _stored_text

pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


@pytest.fixture
def instances(database_url: str, seed: Seed) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    # Checks of the log's end only every 10 minutes: within the tests' deadlines, only the
    # instances' notifications can bring what the other one stored.
    env = {"PALABRE_BATCH_WINDOW_MS": "20", "PALABRE_POLL_MS": "600000"}
    a = ServerProcess(database_url, env).start()
    b = ServerProcess(database_url, env).start()
    yield a, b
    a.kill()
    b.kill()


async def _type(live: LiveDocument, name: str, count: int) -> list[str]:
    typed = []
    for k in range(count):
        token = f"[{name}{k}]"
        live.insert(len(live.value) if k % 2 else 0, token)
        typed.append(token)
        await asyncio.sleep(0.01)
    return typed


async def test_two_clients_on_each_instance_type_at_once_and_end_identical(
    instances: tuple[ServerProcess, ServerProcess],
    seed: Seed,
    application: PalabreApplication,
    database_url: str,
) -> None:
    a, b = instances
    fourth = application.add_member(
        "Kossi", "Réseau Togo", Country.TG, Role.EDITOR, UUID(seed.document_id)
    ).token
    async with (
        LiveDocument(a.base_url, seed.document_id, seed.editor) as a1,
        LiveDocument(a.base_url, seed.document_id, seed.editor2) as a2,
        LiveDocument(b.base_url, seed.document_id, seed.coordinator) as b1,
        LiveDocument(b.base_url, seed.document_id, fourth) as b2,
    ):
        # Live, not merely eventually: nobody on B writes, so only a wake-up brings A's edit.
        a1.insert(0, "Bonjour de A. ")
        await b1.wait_for_text("Bonjour de A. ", timeout=5)
        # B2 appends after A's words, so it must hold them first: B1 holding them says
        # nothing about when B2's relay arrives.
        await b2.wait_for_text("Bonjour de A. ", timeout=5)
        b2.insert(len(b2.value), "Bonsoir de B.")
        await a2.wait_for_text("Bonjour de A. Bonsoir de B.", timeout=5)
        typed = await asyncio.gather(
            _type(a1, "a", 60), _type(a2, "α", 60), _type(b1, "b", 60), _type(b2, "β", 60)
        )
        final = await converged(a1, a2, b1, b2)
        for live in (a1, a2, b1, b2):
            await live.wait_saved()
    for tokens in typed:
        assert all(token in final for token in tokens)
    assert len(final) == len("Bonjour de A. Bonsoir de B.") + sum(
        len(t) for tokens in typed for t in tokens
    )
    stored, _ = _stored_text(database_url, seed.document_id)
    assert stored == final
    async with PalabreClient(b.base_url, seed.editor) as http:
        assert await http.text(seed.document_id) == final


async def _presence_of(ws: ClientConnection, name: str, timeout: float = 5) -> dict[str, object]:
    """Read frames until an awareness state of ``name`` arrives; return it."""
    async with asyncio.timeout(timeout):
        while True:
            frame = await ws.recv()
            assert isinstance(frame, bytes)
            message = parse_message(frame)
            if not isinstance(message, AwarenessUpdate):
                continue
            for entry in decode_awareness(message.payload):
                state = orjson.loads(entry.state)
                if isinstance(state, dict) and state.get("member", {}).get("name") == name:
                    return state


async def test_presence_crosses_instances_stamped_by_the_server(
    instances: tuple[ServerProcess, ServerProcess], seed: Seed
) -> None:
    a, b = instances
    async with (
        connect(ws_url(b.base_url, seed.document_id, seed.editor2)) as watcher,
        connect(ws_url(a.base_url, seed.document_id, seed.editor)) as typist,
    ):
        await watcher.recv()
        await typist.recv()
        claimed = {"user": {"name": "Quelqu'un d'autre"}, "member": {"name": "Faux"}}
        entry = AwarenessEntry(4242, 1, orjson.dumps(claimed).decode())
        await typist.send(awareness_message(encode_awareness([entry])))
        state = await _presence_of(watcher, "Yann Le Gall")
        assert state["user"] == {"name": "Quelqu'un d'autre"}
        member = state["member"]
        assert isinstance(member, dict)
        assert member["organisation"] == "Chambre régionale de l'ESS"


async def test_a_vote_on_one_instance_reaches_subscribers_and_removal_closes_sockets_on_the_other(
    instances: tuple[ServerProcess, ServerProcess], seed: Seed
) -> None:
    a, b = instances
    async with PalabreClient(a.base_url, seed.coordinator) as on_a:
        committee = await build_committee(a, seed, on_a, count=2)
        proposal = await on_a.propose(seed.document_id, "Texte")
        voter, leaving = committee.voters
        async with (
            PalabreClient(b.base_url, seed.coordinator) as on_b,
            on_b.events(seed.document_id) as events,
            connect(ws_url(b.base_url, seed.document_id, leaving.token)) as socket,
        ):
            await socket.recv()  # joined on B
            await committee.vote(voter, proposal["id"], "approve")
            cast = await next_event(events, "vote.cast", timeout=5)
            assert cast.data["organisation_id"] == voter.organisation["id"]
            await on_a.remove_member(seed.document_id, leaving.member["id"])
            code, _ = await closed_with(socket, timeout=5)
            assert code == 4403
