"""What an operator relies on: ``/readyz`` says when to send clients (and when not),
``/metrics`` counts what happened, logs are JSON lines naming documents and members and never
a token, and SIGTERM closes live connections with 1001 so clients go elsewhere."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx
import orjson
import pytest
from palabre.client import LiveDocument
from palabre.server.app import create_app
from palabre.server.bootstrap import open_services
from palabre.server.logs import redact
from palabre.server.settings import Settings
from websockets.asyncio.client import connect

from tests.conftest import Seed
from tests.support.live import closed_with, ws_url
from tests.support.server import ServerProcess


def _metric(text: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} ([0-9.e+-]+)$", text, re.MULTILINE)
    assert match is not None, f"{name} not in metrics"
    return float(match.group(1))


async def test_readyz_and_metrics_follow_a_live_session(server: ServerProcess, seed: Seed) -> None:
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        ready = await http.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["status"] == "ready"
        async with LiveDocument(server.base_url, seed.document_id, seed.editor) as live:
            live.insert(0, "Bonjour. ")
            await live.wait_saved()
            during = (await http.get("/metrics")).text
        async with connect(ws_url(server.base_url, seed.document_id, seed.editor)) as ws:
            await ws.send("du texte")  # a text frame: refused
            assert (await closed_with(ws))[0] == 4400
        after = (await http.get("/metrics")).text
    assert _metric(during, "palabre_connections") == 1
    assert _metric(during, "palabre_rooms") == 1
    assert _metric(during, "palabre_contributions_stored_total") >= 1
    assert _metric(during, "palabre_updates_stored_total") >= 1
    assert _metric(during, "palabre_batch_flush_seconds_count") >= 1
    assert _metric(after, 'palabre_refused_frames_total{reason="malformed"}') == 1
    assert _metric(after, "palabre_store_errors_total") == 0
    assert 'palabre_projection_lag{projection="audit"}' in after


async def test_readyz_fails_while_projections_trail_and_while_draining(tmp_path: Path) -> None:
    settings = Settings(database=f"sqlite:///{tmp_path / 'ready.sqlite3'}", ready_max_lag=2)
    with open_services(settings) as services:
        app = create_app(services)  # no lifespan here: nothing catches the projections up
        for number in range(3):
            services.application.create_document(f"Document {number}")
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://palabre"
        ) as http:
            behind = await http.get("/readyz")
            services.projections.catch_up()
            caught_up = await http.get("/readyz")
            services.draining.set()
            draining = await http.get("/readyz")
    assert behind.status_code == 503
    assert "projections behind" in behind.json()["error"]
    assert caught_up.status_code == 200
    assert caught_up.json()["lag"] == {"versions": 0, "audit": 0}
    assert draining.status_code == 503
    assert draining.json() == {"status": "unavailable", "error": "shutting down"}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_logs_are_json_lines_with_ids_and_without_tokens(
    server: ServerProcess, seed: Seed
) -> None:
    async with connect(ws_url(server.base_url, seed.document_id, seed.editor)) as ws:
        await ws.send(b"\x09\x00")  # an unknown message type: logged, then closed
        assert (await closed_with(ws))[0] == 4400
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        await http.get(f"/api/documents/{seed.document_id}/events?token={seed.editor}x")
    async with asyncio.timeout(10):
        while "unloaded at position" not in server.log():
            await asyncio.sleep(0.05)
    lines = [orjson.loads(line) for line in server.log().splitlines() if line.startswith("{")]
    assert {"time", "level", "logger", "message", "instance"} <= set(lines[0])
    loaded = next(line for line in lines if "loaded at position" in line["message"])
    assert loaded["document_id"] == seed.document_id
    closing = next(line for line in lines if line["message"].startswith("closing "))
    assert closing["document_id"] == seed.document_id
    assert "member_id" in closing
    unloaded = next(line for line in lines if "unloaded at position" in line["message"])
    assert "member_id" not in unloaded  # the room's own work is nobody's
    assert any("token=***" in line["message"] for line in lines)
    assert seed.editor not in server.log()


async def test_sigterm_closes_live_connections_with_going_away(
    server: ServerProcess, seed: Seed
) -> None:
    async with connect(ws_url(server.base_url, seed.document_id, seed.editor)) as ws:
        await ws.recv()  # joined: the server's sync step 1
        stopping = asyncio.get_running_loop().run_in_executor(None, server.stop)
        code, _ = await closed_with(ws)
    await stopping
    assert code == 1001
    assert "every received update is stored" in server.log()


def test_secrets_are_redacted_wherever_they_appear() -> None:
    token = "plb_" + "x" * 40
    line = redact(f"GET /ws/d?token={token}&acks=1 Authorization: Bearer {token} {token}")
    assert token not in line
    assert "token=***&acks=1" in line
