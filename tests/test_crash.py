"""SIGKILL while people type: what was acknowledged durable survives, and reconnecting clients
push what the server lacked until everyone is identical again."""

from __future__ import annotations

import asyncio

from palabre.client import LiveDocument, PalabreClient
from palabre.domain.ids import DocumentId, parse_id
from palabre.server.crdt.replica import rebuild
from palabre.server.storage.database import Database, open_application

from tests.conftest import Seed
from tests.support.keystrokes import Typed, acknowledged, type_tokens
from tests.support.live import converged
from tests.support.server import ServerProcess


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
        typing = asyncio.gather(
            type_tokens(a, "A", 300, log, pause=0.004), type_tokens(b, "B", 300, log, pause=0.004)
        )
        await asyncio.sleep(0.5)
        server.kill()
        durable = acknowledged(log, (a, b))
        await typing  # the rest is typed while the server is down

        stored, count = _stored_text(database_url, seed.document_id)
        assert count > 0
        assert len(durable) > 20
        missing = sorted(t for t in durable if t not in stored)
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
