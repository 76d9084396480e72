"""SIGKILL while people type: what was acknowledged durable survives, and reconnecting clients
push what the server lacked until everyone is identical again."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from palabre.client import LiveDocument, PalabreClient
from palabre.domain.ids import DocumentId, parse_id
from palabre.server.crdt.replica import rebuild
from palabre.server.storage.database import Database, open_application

from tests.conftest import Seed
from tests.support.live import converged
from tests.support.server import ServerProcess


@dataclass
class Typed:
    live: LiveDocument
    token: str
    sent: int  # the update's number on its connection
    connection: int


async def _type(live: LiveDocument, name: str, count: int, log: list[Typed]) -> None:
    for k in range(count):
        token = f"[{name}{k}]"
        live.insert(len(live.value), token)
        log.append(Typed(live, token, live.sent, live.connections))
        await asyncio.sleep(0.004)


def _stored_text(database_url: str, document_id: str) -> tuple[str, int]:
    app = open_application(Database(database_url))
    try:
        doc = DocumentId(parse_id(document_id))
        updates = [c.update for c in app.contributions(doc)]
        return rebuild(updates).text, len(updates)
    finally:
        app.close()


async def test_sigkill_keeps_every_acknowledged_edit_and_clients_resync(
    server: ServerProcess, seed: Seed, database_url: str
) -> None:
    log: list[Typed] = []
    async with (
        LiveDocument(server.base_url, seed.document_id, seed.editor) as a,
        LiveDocument(server.base_url, seed.document_id, seed.editor2) as b,
    ):
        typing = asyncio.gather(_type(a, "A", 300, log), _type(b, "B", 300, log))
        await asyncio.sleep(0.5)
        server.kill()
        connections = {id(a): a.connections, id(b): b.connections}
        saved = {id(a): a.saved, id(b): b.saved}
        acknowledged = {
            t.token
            for t in log
            if t.connection == connections[id(t.live)] and t.sent <= saved[id(t.live)]
        }
        await typing  # the rest is typed while the server is down

        stored, count = _stored_text(database_url, seed.document_id)
        assert count > 0
        assert len(acknowledged) > 20
        missing = sorted(t for t in acknowledged if t not in stored)
        assert not missing, f"acknowledged but lost: {missing[:10]}"
        assert len(stored) < len(a.value)  # offline edits exist that the server lacks

        server.restart()
        await a.wait_synced()
        await b.wait_synced()
        await a.wait_saved()
        await b.wait_saved()
        await converged(a, b)
        assert a.connections >= 2
        assert b.connections >= 2
        final = a.value
    for t in log:
        assert t.token in final
    assert len(final) == sum(len(t.token) for t in log)
    async with PalabreClient(server.base_url, seed.editor) as http:
        assert await http.text(seed.document_id) == final
