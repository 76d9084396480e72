"""Real editing traces replayed through live clients: the server's text must be exact."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from palabre.client import LiveDocument, PalabreClient
from pycrdt import Doc, Text

from tests.conftest import Seed
from tests.support import traces
from tests.support.server import UNTHROTTLED, ServerProcess
from tests.support.state_vector import decode_state_vector


async def test_sequential_trace_is_exact_and_survives_restart(
    server: ServerProcess, seed: Seed
) -> None:
    trace = traces.load("seph-blog1")
    async with LiveDocument(server.base_url, seed.document_id, seed.editor) as live:
        current = ""
        for index, txn in enumerate(trace.txns):
            current = traces.apply_txn(live.text, txn, current)
            if index % 200 == 0:
                await asyncio.sleep(0)  # let the writer drain as a real client would
        assert live.value == trace.end
        await live.wait_saved(timeout=120)

    async with PalabreClient(server.base_url, seed.editor) as http:
        assert await http.text(seed.document_id) == trace.end
        stored = (await http.document(seed.document_id))["contributions"]
        assert 0 < stored < len(trace.txns)  # batched, not one event per keystroke

    assert server.stop() == 0
    assert "palabre stopped; every received update is stored" in server.log()  # ended: all read
    server.restart()
    async with LiveDocument(server.base_url, seed.document_id, seed.observer) as late:
        assert late.value == trace.end
    async with PalabreClient(server.base_url, seed.editor) as http:
        assert await http.text(seed.document_id) == trace.end
        assert (await http.document(seed.document_id))["contributions"] == stored


@pytest.fixture
def unthrottled(database_url: str) -> Iterator[ServerProcess]:
    process = ServerProcess(database_url, UNTHROTTLED).start()
    yield process
    process.kill()


async def test_concurrent_trace_converges_with_one_client_per_agent(
    unthrottled: ServerProcess, seed: Seed
) -> None:
    """Each agent's client sends its own transactions as soon as their ancestors are back from
    the server (the rates are raised: at the default 100 updates a second the replay took
    over two minutes for nothing it tests)."""
    server = unthrottled
    trace = traces.load("friendsforever")
    tokens = [seed.editor, seed.editor2]
    assert trace.agents <= len(tokens)
    lives = [
        LiveDocument(server.base_url, seed.document_id, tokens[a]) for a in range(trace.agents)
    ]
    for live in lives:
        await live.__aenter__()
    try:
        crossings = await _replay_concurrently(trace, lives)
        assert crossings > 100  # agents really waited on each other's edits via the server
        for live in lives:
            await live.wait_for_text(trace.end, timeout=60)
            await live.wait_saved(timeout=60)
    finally:
        for live in lives:
            await live.close()
    async with PalabreClient(server.base_url, seed.editor) as http:
        assert await http.text(seed.document_id) == trace.end


async def _replay_concurrently(trace: traces.Trace, lives: list[LiveDocument]) -> int:
    """Each agent edits its own replica, which holds exactly the transaction's ancestors.
    A transaction waits until its agent's live client has received every ancestor from the
    server, then its update goes out through that live client."""
    replicas: list[Doc[Any]] = [Doc(client_id=7000 + agent) for agent in range(trace.agents)]
    texts = [replica.get("body", type=Text) for replica in replicas]
    captured: list[bytes] = []
    for replica in replicas:
        replica.observe(lambda event: captured.append(event.update))
    updates: list[bytes] = []
    clocks: list[tuple[int, int]] = []
    applied: list[set[int]] = [set() for _ in replicas]
    crossings = 0
    for index, txn in enumerate(trace.txns):
        agent = txn.agent
        needed = _missing_ancestors(trace, index, applied[agent])
        for ancestor in sorted(needed):
            await _wait_present(lives[agent], *clocks[ancestor])
        crossings += bool(needed)
        captured.clear()
        for ancestor in sorted(needed):
            replicas[agent].apply_update(updates[ancestor])
        applied[agent] |= needed
        captured.clear()
        traces.apply_txn(texts[agent], txn, str(texts[agent]))
        update = captured[0] if len(captured) == 1 else b""
        assert update, f"transaction {index} produced {len(captured)} updates"
        updates.append(update)
        client = replicas[agent].client_id
        clocks.append((client, decode_state_vector(replicas[agent].get_state())[client]))
        applied[agent].add(index)
        lives[agent].doc.apply_update(update)  # a local change: the live client sends it
        if index % 100 == 0:
            await asyncio.sleep(0)
    return crossings


def _missing_ancestors(trace: traces.Trace, index: int, applied: set[int]) -> set[int]:
    missing: set[int] = set()
    stack = list(trace.txns[index].parents)
    while stack:
        parent = stack.pop()
        if parent in applied or parent in missing:
            continue
        missing.add(parent)
        stack.extend(trace.txns[parent].parents)
    return missing


async def _wait_present(live: LiveDocument, client: int, clock: int, timeout: float = 30) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while decode_state_vector(live.doc.get_state()).get(client, 0) < clock:
        if loop.time() > deadline:
            raise AssertionError(f"update {client}:{clock} never reached the live client")
        await asyncio.sleep(0.001)
