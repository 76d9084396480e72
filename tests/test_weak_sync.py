"""A first sync on a weak link: a document of 260,000 contributions (a CRDT state of about
1.6 MB, ``tests/support/synthetic.py``) reaches a stock y-websocket client in Node through
``lome-3g`` with its downlink cut to 128 kbit/s (half the 256 kbit/s the design holds to:
room to spare), in one connection. The client negotiates permessage-deflate, as browsers do,
so the state crosses the link as about 0.75 MB. The server answers in messages of at most
``PALABRE_MAX_SYNC_MESSAGE_BYTES`` (64 KiB, a few seconds each at that rate); the whole state
in one message would take about 50 s, past y-websocket's 30-second rule, and the client would
reconnect for ever: ``PALABRE_WEAK_UNSPLIT=1`` sets the limit far above the state to see it
(the test then fails at the first reconnection)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from dataclasses import replace
from uuid import UUID

import pytest
from palabre.domain.application import PalabreApplication
from palabre.domain.ids import DocumentId

from tests.conftest import Seed
from tests.support.link import KBIT, PROFILES, Link
from tests.support.node import NodeClient
from tests.support.server import ServerProcess
from tests.support.synthetic import store_history

pytestmark = pytest.mark.node
CONTRIBUTIONS = 260_000
LIMIT = 64 << 10
DOWN_KBIT = 128
UNSPLIT = os.environ.get("PALABRE_WEAK_UNSPLIT") == "1"


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the live path is under test; a 260,000-event log is built on SQLite only


@pytest.fixture
def server(database_url: str) -> Iterator[ServerProcess]:
    env = {"PALABRE_MAX_SYNC_MESSAGE_BYTES": str(1 << 30)} if UNSPLIT else {}
    process = ServerProcess(database_url, env).start()
    yield process
    process.kill()


@pytest.mark.timeout(600)  # building the history takes one to two minutes on a busy machine
async def test_a_first_sync_of_260000_contributions_through_128_kbit_needs_one_connection(
    server: ServerProcess, seed: Seed, application: PalabreApplication
) -> None:
    document = DocumentId(UUID(seed.document_id))
    loop = asyncio.get_running_loop()
    built = loop.time()
    model = await asyncio.to_thread(store_history, application, document, CONTRIBUTIONS)
    built = loop.time() - built
    host, port = server.base_url.removeprefix("http://").split(":")
    slow = replace(PROFILES["lome-3g"], down_rate=DOWN_KBIT * KBIT)
    async with Link(slow, (host, int(port)), seed=7) as link:
        url = f"ws://{link.address[0]}:{link.address[1]}"
        client = await NodeClient.start(url, seed.document_id, seed.editor, "lome")
        syncing = loop.create_task(client.wait_synced(timeout=300))
        try:
            started = loop.time()
            while not syncing.done():  # a reconnection fails the test at once
                await asyncio.wait({syncing}, timeout=0.5)
                dropped = [e for e in client.events if e["event"] in ("dropped", "close")]
                assert not dropped, f"reconnect loop after {loop.time() - started:.0f} s"
            await syncing
            took = loop.time() - started
            stats = await client.stats()
            text = await client.text()
        finally:
            syncing.cancel()
            await client.kill()
            await asyncio.gather(syncing, return_exceptions=True)
    print(
        f"built {CONTRIBUTIONS} contributions in {built:.0f} s; first sync through lome-3g at "
        f"{DOWN_KBIT} kbit/s down: {took:.1f} s, {stats['messages']} messages, the largest "
        f"{stats['largest']} bytes, {stats['connections']} connection(s)"
    )
    assert text == model.text
    assert stats["connections"] == 1, stats  # no reconnect loop
    assert stats["closes"] == 0, stats
    assert stats["largest"] <= LIMIT + 64, stats
