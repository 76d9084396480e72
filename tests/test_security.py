"""What stands between the open internet and the service, on a real server: security headers
on every kind of answer, the websocket Origin allow-list, repeated bad tokens slowed down to
429 / 4429, the handshake and idle timeouts (4408), and connections per member (4429)."""

from __future__ import annotations

import asyncio

import httpx
import psutil  # type: ignore[import-untyped]
import pytest
from palabre.client import LiveDocument
from websockets.asyncio.client import connect

from tests.conftest import Seed
from tests.support.live import close_code_for, closed_with, ws_url
from tests.support.server import ServerProcess

SECURITY = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the edge is tested here; the stores elsewhere


async def test_every_kind_of_answer_carries_the_security_headers(
    server: ServerProcess, seed: Seed
) -> None:
    document = f"/api/documents/{seed.document_id}"
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        answers = [
            await http.get("/"),
            await http.get("/openapi.json"),
            await http.get(document),  # 401: no token
            await http.get(document, headers={"Authorization": f"Bearer {seed.editor}"}),
            await http.get("/assets/nothing-here.js"),  # 404
        ]
    for answer in answers:
        for name, value in SECURITY.items():
            assert answer.headers[name] == value, (answer.url, name)
        policy = answer.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy
        assert "worker-src 'self'" in policy


@pytest.mark.parametrize(
    ("origin", "code"),
    [
        ("http://autre-site.example", 4403),
        ("null", 4403),
        ("https://palabre.example.org", None),  # PALABRE_PUBLIC_URL's
        ("https://miroir.example.org:8443", None),  # listed in PALABRE_ALLOWED_ORIGINS
    ],
)
async def test_websockets_from_other_sites_are_refused(
    database_url: str, seed: Seed, origin: str, code: int | None
) -> None:
    env = {
        "PALABRE_PUBLIC_URL": "https://palabre.example.org/",
        "PALABRE_ALLOWED_ORIGINS": "https://miroir.example.org:8443",
    }
    server = ServerProcess(database_url, env).start()
    try:
        url = ws_url(server.base_url, seed.document_id, seed.editor)
        async with connect(url, origin=origin) as ws:  # type: ignore[arg-type]
            if code is None:
                assert (await asyncio.wait_for(ws.recv(), 10))[:2] == b"\x00\x00"  # step 1
            else:
                assert (await closed_with(ws))[0] == code
        page_origin = server.base_url  # the server's own pages
        async with connect(url, origin=page_origin) as ws:  # type: ignore[arg-type]
            assert (await asyncio.wait_for(ws.recv(), 10))[:2] == b"\x00\x00"
    finally:
        server.kill()


async def test_repeated_bad_tokens_are_slowed_down(database_url: str, seed: Seed) -> None:
    server = ServerProcess(database_url, {"PALABRE_AUTH_FAILURES_PER_MINUTE": "3"}).start()
    try:
        document = f"/api/documents/{seed.document_id}"
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            statuses = [
                (await http.get(document, headers={"Authorization": "Bearer plb_faux"})).status_code
                for _ in range(4)
            ]
            assert statuses == [401, 401, 401, 429]
            good = await http.get(document, headers={"Authorization": f"Bearer {seed.editor}"})
            assert good.status_code == 429  # the address waits, whatever it sends
            assert good.json()["error"]["code"] == "too_many_requests"
        code, _ = await close_code_for(ws_url(server.base_url, seed.document_id, seed.editor))
        assert code == 4429
    finally:
        server.kill()


async def test_a_silent_client_is_closed_after_the_idle_timeout(
    database_url: str, seed: Seed
) -> None:
    server = ServerProcess(database_url, {"PALABRE_IDLE_TIMEOUT_SECONDS": "1"}).start()
    try:
        url = ws_url(server.base_url, seed.document_id, seed.editor)
        code, reason = await close_code_for(url)
        assert code == 4408
        assert "nothing received" in reason
    finally:
        server.kill()


async def test_one_member_opens_a_bounded_number_of_connections(
    database_url: str, seed: Seed
) -> None:
    server = ServerProcess(database_url, {"PALABRE_CONNECTIONS_PER_MEMBER": "2"}).start()
    try:
        url = ws_url(server.base_url, seed.document_id, seed.editor)
        async with connect(url) as first, connect(url) as second:
            for ws in (first, second):
                await asyncio.wait_for(ws.recv(), 10)
            code, reason = await close_code_for(url)
            assert code == 4429
            assert "too many connections" in reason
        async with connect(url) as again:  # the count goes down as they leave
            await asyncio.wait_for(again.recv(), 10)
    finally:
        server.kill()


async def test_the_checks_worker_processes_die_with_a_killed_server(
    database_url: str, seed: Seed
) -> None:
    """Large updates are checked in worker processes; SIGKILL leaves the server no time to
    stop them, so they must go by themselves (and not hold its output open)."""
    server = ServerProcess(database_url, {"PALABRE_CHECK_INLINE_BYTES": "64"}).start()
    try:
        async with LiveDocument(server.base_url, seed.document_id, seed.editor) as live:
            live.insert(0, "un paragraphe assez long pour le processus de contrôle. " * 4)
            await live.wait_saved()
        assert server.process is not None
        workers = psutil.Process(server.process.pid).children(recursive=True)
        assert workers  # the check ran in a worker
    finally:
        server.kill()  # returns: nothing holds the server's output any more
    deadline = asyncio.get_running_loop().time() + 15
    while any(w.is_running() and w.status() != psutil.STATUS_ZOMBIE for w in workers):
        assert asyncio.get_running_loop().time() < deadline, "workers outlived the server"
        await asyncio.sleep(0.1)
