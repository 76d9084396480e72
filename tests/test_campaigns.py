"""The campaigns that belong in the suite: one minute of hostile websocket frames against one
document of a real server while two members edit another (``tests/campaigns/fuzz.py``; the
million-frame run is ``python -m tests.campaigns.fuzz --frames 1000000``), on SQLite: what is
attacked is the live core, not the store; what the long run found about compressed frames
above the size limit; and a short crash campaign on each store (``tests/campaigns/crash.py``)."""

from __future__ import annotations

import asyncio
import contextlib
import sys

import orjson
import psutil  # type: ignore[import-untyped]
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.campaigns import crash
from tests.campaigns.fuzz import cast, run
from tests.conftest import BACKENDS
from tests.support.server import ServerProcess


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """SQLite for the fuzz campaign (what is attacked is the live core); both stores for the
    crash campaign."""
    return str(getattr(request, "param", "sqlite"))


async def test_a_minute_of_hostile_frames_hurts_nobody_and_breaks_nothing(
    database_url: str,
) -> None:
    """Every criterion of the campaign is asserted, with no allowance: among them, the other
    document's median editing latency under attack at most twice its unattacked figure
    (reconnections after hostile input are refused before anything is looked up, and
    authentication replays no unchanged events; see the README's "Robustness")."""
    report = await run(database_url, seconds=60, frames=sys.maxsize)
    summary = orjson.dumps(report.as_json(), option=orjson.OPT_INDENT_2).decode()
    print(summary)
    assert report.problems == [], summary
    assert report.attack["frames_read"] > 1_000, summary
    assert set(report.reads.values()) == {200}, summary
    assert report.attacked_ms <= 2 * report.baseline_ms, summary


async def test_compressed_frames_above_the_limit_leave_nothing_behind(database_url: str) -> None:
    """A 16 MiB frame compresses to 16 KiB; the server decompresses it up to its limit (8
    MiB) and refuses it (1009). Forty of them, four at a time, held 200 MB of the server
    until a full garbage collection; now what each held is freed at once. Each is sent with
    another member's token: a 1009 puts its member in a cool-down (4429 at the next
    handshake)."""
    actors = cast(database_url, attackers=40)
    server = ServerProcess(database_url).start()
    try:
        assert server.process is not None
        process = psutil.Process(server.process.pid)
        urls = [f"{server.ws_url}/ws/{actors.attacked}?token={t}" for t in actors.attackers]
        codes = await asyncio.gather(*[_compressed_bombs(urls[k:40:8]) for k in range(4)])
        before = process.memory_info().rss  # the first bombs' memory is the allocator's now
        codes += await asyncio.gather(*[_compressed_bombs(urls[k:40:8]) for k in range(4, 8)])
        grown_mb = (process.memory_info().rss - before) / 1e6
    finally:
        server.kill()
    assert {code for batch in codes for code in batch} <= {1009, 1006}
    assert grown_mb < 30, f"the server grew by {grown_mb:.0f} MB for 20 refused frames"


async def _compressed_bombs(urls: list[str]) -> list[int]:
    codes = []
    for url in urls:
        async with connect(url, max_size=None, compression="deflate") as ws:
            with contextlib.suppress(ConnectionClosed, OSError):
                await ws.send(b"\x01" * (16 << 20))
            with contextlib.suppress(ConnectionClosed):
                async for _ in ws:
                    pass
            codes.append(int(ws.close_code or 1006))
    return codes


@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
async def test_sigkill_while_people_type_loses_nothing_acknowledged(database_url: str) -> None:
    """A short crash campaign (``python -m tests.campaigns.crash`` runs 20 kills with 50
    clients): three kills while ten clients type, on each backend."""
    report = await crash.run(database_url, kills=3, clients=10)
    summary = orjson.dumps(report.as_json(), option=orjson.OPT_INDENT_2).decode()
    assert report.lost == [], summary
    assert report.problems == [], summary
    assert report.acknowledged_checked > 50
