"""The deployment's reverse proxy without Docker: Debian's Caddy, with the repository's
``deploy/Caddyfile``, in front of two ``palabre serve`` processes on one PostgreSQL database.
HTTP, server-sent events and websockets go through one port; when one instance is killed
with SIGKILL while people type, they reconnect through the proxy to the other and lose
nothing that was acknowledged."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import httpx
import pytest
from palabre.client import LiveDocument, PalabreClient
from palabre.domain.application import PalabreApplication
from palabre.domain.roles import Country, Role

from tests.conftest import Seed
from tests.support.live import converged
from tests.support.proxy import caddy
from tests.support.server import ServerProcess
from tests.test_crash import _stored_text

pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


@dataclass(frozen=True)
class Deployment:
    proxy: str
    instances: tuple[ServerProcess, ServerProcess]


@pytest.fixture
def deployment(database_url: str, seed: Seed, tmp_path: Path) -> Iterator[Deployment]:
    env = {"PALABRE_BATCH_WINDOW_MS": "20"}
    a = ServerProcess(database_url, env).start()
    b = ServerProcess(database_url, env).start()
    try:
        with caddy([a.base_url, b.base_url], tmp_path) as proxy:
            yield Deployment(proxy, (a, b))
    finally:
        a.kill()
        b.kill()


async def test_http_events_and_websockets_go_through_one_port(
    deployment: Deployment, seed: Seed
) -> None:
    proxy = deployment.proxy
    async with (
        PalabreClient(proxy, seed.coordinator) as http,
        http.events(seed.document_id) as events,
        LiveDocument(proxy, seed.document_id, seed.editor) as live,
    ):
        live.insert(0, "Par le mandataire.")
        await live.wait_saved()
        assert await http.text(seed.document_id) == "Par le mandataire."
        await http.set_rule(seed.document_id, quorum=0.5)
        async with asyncio.timeout(10):
            async for event in events:
                if event.event == "rule.set":
                    break
        assert (await http.health())["status"] == "ok"


def _connections(instance: ServerProcess) -> int:
    metrics = httpx.get(instance.base_url + "/metrics", timeout=5).text
    found = re.search(r"^palabre_connections (\S+)$", metrics, re.MULTILINE)
    assert found is not None
    return int(float(found.group(1)))


@dataclass
class Typed:
    live: LiveDocument
    token: str
    sent: int
    connection: int


async def _type(live: LiveDocument, name: str, count: int, log: list[Typed]) -> None:
    for k in range(count):
        token = f"[{name}{k}]"
        live.insert(len(live.value), token)
        log.append(Typed(live, token, live.sent, live.connections))
        await asyncio.sleep(0.01)


async def test_sigkill_of_one_instance_sends_its_clients_to_the_other_losing_nothing(
    deployment: Deployment, seed: Seed, application: PalabreApplication, database_url: str
) -> None:
    proxy, (a, b) = deployment.proxy, deployment.instances
    fourth = application.add_member(
        "Kossi", "Réseau Togo", Country.TG, Role.EDITOR, UUID(seed.document_id)
    ).token
    tokens = [seed.editor, seed.editor2, seed.coordinator, fourth]
    log: list[Typed] = []
    async with contextlib.AsyncExitStack() as stack:
        lives = [
            await stack.enter_async_context(LiveDocument(proxy, seed.document_id, token))
            for token in tokens
        ]
        assert _connections(a) + _connections(b) == 4
        victim = a if _connections(a) >= _connections(b) else b
        typing = asyncio.gather(*(_type(live, f"{n}-", 150, log) for n, live in enumerate(lives)))
        await asyncio.sleep(0.5)
        victim.kill()
        at_kill = {id(live): (live.connections, live.saved) for live in lives}
        acknowledged = {
            t.token
            for t in log
            if t.connection == at_kill[id(t.live)][0] and t.sent <= at_kill[id(t.live)][1]
        }
        await typing
        for live in lives:
            await live.wait_saved(timeout=60)
        final = await converged(*lives)
        reconnected = [live for live in lives if live.connections >= 2]
    assert reconnected, "nobody was on the killed instance"
    assert len(acknowledged) > 20
    assert not sorted(t for t in acknowledged if t not in final)
    assert all(t.token in final for t in log)
    stored, _ = _stored_text(database_url, seed.document_id)
    assert stored == final
