"""Room lifecycle on a real server: checkpoints, unload when empty, reload from checkpoint plus
tail, and the flush of pending batches on shutdown."""

from __future__ import annotations

import re
import signal

import pytest
from palabre.client import LiveDocument, PalabreClient
from palabre.domain.ids import DocumentId, parse_id
from palabre.server.storage.database import Database, open_application

from tests.conftest import Seed
from tests.support.live import converged
from tests.support.server import ServerProcess

LOADED = re.compile(r"loaded at position (\d+) \((\d+) after checkpoint\)")
LOADED_AGAIN = re.compile(r"loaded at position 23 \((\d+) after checkpoint\)")


async def test_rooms_checkpoint_unload_and_reload(seed: Seed, database_url: str) -> None:
    server = ServerProcess(
        database_url, {"PALABRE_CHECKPOINT_EVERY": "5", "PALABRE_BATCH_WINDOW_MS": "5"}
    ).start()
    try:
        async with LiveDocument(server.base_url, seed.document_id, seed.editor) as live:
            for k in range(23):
                live.insert(len(live.value), f"phrase {k}. ")
                await live.wait_saved()
            text = live.value
        async with PalabreClient(server.base_url, seed.editor) as http:
            await _until_unloaded(http)
            assert (await http.document(seed.document_id))["contributions"] == 23
        async with LiveDocument(server.base_url, seed.document_id, seed.observer) as again:
            assert again.value == text
        reload = await server.wait_for_log(LOADED_AGAIN)
        assert int(reload.group(1)) < 5  # opened from a checkpoint, not from the whole history
        assert LOADED.findall(server.log())[0] == ("0", "0")  # the first load, on an empty log
    finally:
        server.kill()
    app = open_application(Database(database_url))
    try:
        checkpoint = app.latest_checkpoint(DocumentId(parse_id(seed.document_id)))
        assert checkpoint is not None
        assert checkpoint.originator_version > 18
    finally:
        app.close()


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "ctrl-c"])
async def test_shutdown_flushes_pending_batches(
    seed: Seed, database_url: str, stop: signal.Signals
) -> None:
    """With a long batch window, edits are still pending when SIGTERM (or Ctrl-C's SIGINT)
    arrives: they must be stored before the process exits, with status 0 and no traceback."""
    server = ServerProcess(database_url, {"PALABRE_BATCH_WINDOW_MS": "5000"}).start()
    async with (
        LiveDocument(server.base_url, seed.document_id, seed.editor, reconnect=False) as a,
        LiveDocument(server.base_url, seed.document_id, seed.editor2, reconnect=False) as b,
    ):
        a.insert(0, "Ce qui est tapé ")
        b.insert(0, "juste avant l'arrêt. ")
        text = await converged(a, b)
        assert a.unsaved > 0  # not yet stored: the window is five seconds
        assert server.stop(sig=stop) == 0
    assert "palabre stopped; every received update is stored" in server.log()  # ended: all read
    assert "Traceback" not in server.log()
    server.restart()
    try:
        async with PalabreClient(server.base_url, seed.editor) as http:
            assert await http.text(seed.document_id) == text
            assert (await http.document(seed.document_id))["contributions"] == 2
    finally:
        server.kill()


async def _until_unloaded(http: PalabreClient) -> None:
    import asyncio

    async with asyncio.timeout(10):
        while (await http.health())["rooms"] != 0:
            await asyncio.sleep(0.05)


async def test_batches_are_bounded_and_acknowledged_in_order(seed: Seed, database_url: str) -> None:
    server = ServerProcess(
        database_url, {"PALABRE_BATCH_MAX_UPDATES": "7", "PALABRE_BATCH_WINDOW_MS": "200"}
    ).start()
    try:
        async with (
            LiveDocument(server.base_url, seed.document_id, seed.editor) as a,
            LiveDocument(server.base_url, seed.document_id, seed.editor2) as b,
        ):
            for k in range(60):  # one long run from a, then b: runs must be cut at 7
                (a if k < 50 else b).insert(0, f"{k},")
            await converged(a, b)
            await a.wait_saved()
            await b.wait_saved()
            assert a.saved == a.sent
    finally:
        server.kill()
    app = open_application(Database(database_url))
    try:
        contributions = list(app.contributions(DocumentId(parse_id(seed.document_id))))
    finally:
        app.close()
    assert sum(c.updates for c in contributions) == 60
    assert max(c.updates for c in contributions) <= 7
    assert len({c.session_id for c in contributions}) == 2
