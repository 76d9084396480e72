"""The cool-down of a token and member closed for hostile input (``server/cooldowns.py``), in
process with a clock the test moves: refused within it, let in after it, doubling up to the
cap, starting again after a quiet period, bounded memory; and the same on a real server: a
member closed for a hostile frame is refused (4429) at once, before anything is looked up,
and let in again once the cool-down is over."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest
from palabre.client import LiveDocument
from palabre.server import cooldowns
from palabre.server.cooldowns import QUIET_FACTOR, Cooldowns
from palabre.server.errors import CoolingDown
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.conftest import Seed
from tests.support.live import close_code_for, ws_url
from tests.support.server import ServerProcess


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def cooling(cooldowns_: Cooldowns, *keys: str) -> bool:
    try:
        cooldowns_.check(*keys)
    except CoolingDown:
        return True
    return False


def test_a_penalised_key_is_refused_until_its_cool_down_ends() -> None:
    clock = Clock()
    cool = Cooldowns(first=1, cap=60, clock=clock)
    cool.penalise("token", "member")
    assert cooling(cool, "token")
    assert cooling(cool, "other token", "member")
    assert not cooling(cool, "someone else")
    clock.now += 0.99
    assert cooling(cool, "member")
    clock.now += 0.02
    assert not cooling(cool, "token", "member")


def test_the_cool_down_doubles_up_to_the_cap() -> None:
    clock = Clock()
    cool = Cooldowns(first=1, cap=8, clock=clock)
    delays = []
    for _ in range(6):
        cool.penalise("member")
        start = clock.now
        while cooling(cool, "member"):
            clock.now += 0.25
        delays.append(clock.now - start)
    assert delays == [1, 2, 4, 8, 8, 8]


def test_a_quiet_period_starts_again_from_the_first_delay() -> None:
    clock = Clock()
    cool = Cooldowns(first=1, cap=8, clock=clock)
    for _ in range(4):
        cool.penalise("member")
    clock.now += 8 + QUIET_FACTOR * 8 - 0.5  # quiet, but not long enough
    cool.penalise("member")
    assert cooling(cool, "member")
    clock.now += 7.9
    assert cooling(cool, "member")  # still the cap
    clock.now += 0.1 + QUIET_FACTOR * 8  # now quiet long enough after its end
    cool.penalise("member")
    clock.now += 1
    assert not cooling(cool, "member")


def test_it_remembers_a_bounded_number_of_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cooldowns, "MAX_KEYS", 3)
    cool = Cooldowns(first=1, cap=8, clock=Clock())
    for key in ("a", "b", "c", "d"):
        cool.penalise(key)
    assert len(cool) == 3
    assert not cooling(cool, "a")  # the oldest went first
    assert cooling(cool, "d")


def test_the_refusal_says_when_to_come_back() -> None:
    clock = Clock()
    cool = Cooldowns(first=4, cap=60, clock=clock)
    cool.penalise("member")
    clock.now += 1.5
    with pytest.raises(CoolingDown, match="retry in 3 s"):
        cool.check("member")


@pytest.fixture
def backend() -> str:
    return "sqlite"  # nothing of the cool-down is stored


async def test_a_member_closed_for_a_hostile_frame_waits_out_the_cool_down(
    database_url: str, seed: Seed
) -> None:
    server = ServerProcess(database_url, {"PALABRE_COOLDOWN_SECONDS": "2"}).start()
    try:
        url = ws_url(server.base_url, seed.document_id, seed.editor)
        async with LiveDocument(server.base_url, seed.document_id, seed.editor2) as other:
            code, _ = await close_code_for(url, b"\x07")  # an unknown message type
            closed_at = time.monotonic()
            assert code == 4400
            code, reason = await close_code_for(url)
            assert (code, "hostile input" in reason) == (4429, True)
            admitted = await _admitted_within(url, deadline=30)
            waited = admitted - closed_at
            assert 1.5 < waited < 30, waited
            other.insert(0, "toujours là")  # the other member was never disturbed
            await other.wait_saved()
            assert other.connections == 1
    finally:
        server.kill()


async def _admitted_within(url: str, deadline: float) -> float:
    """Reconnect until the server lets the connection in (it sends its sync step 1): the
    moment it did. Every refusal before that must be the cool-down's."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        async with connect(url) as ws:
            try:
                await asyncio.wait_for(ws.recv(), 5)
                return time.monotonic()
            except ConnectionClosed as closed:
                refused = closed.rcvd.code if closed.rcvd is not None else None
            if refused != 4429:
                raise AssertionError(f"refused with {refused}, not the cool-down's 4429")
        await asyncio.sleep(0.1)
    raise AssertionError(f"still refused after {deadline} s")


async def test_a_protocol_violation_starts_a_cool_down_and_a_goodbye_does_not(
    database_url: str, seed: Seed
) -> None:
    """A frame past the transport's limit (closed by the transport itself, 1009) counts as
    hostile; a client that closes, even with 1009 (the server sent more than it takes), comes
    back at once."""
    env = {"PALABRE_COOLDOWN_SECONDS": "30", "PALABRE_MAX_MESSAGE_BYTES": "1000"}
    server = ServerProcess(database_url, env).start()
    try:
        huge = ws_url(server.base_url, seed.document_id, seed.editor)
        async with connect(huge, max_size=None) as ws:
            await asyncio.wait_for(ws.recv(), 10)  # let in: the sync step 1
            with contextlib.suppress(ConnectionClosed, OSError):
                await ws.send(b"\x00\x02" + b"\x01" * 200_000)
            with contextlib.suppress(ConnectionClosed):
                async for _ in ws:
                    pass
        assert (await close_code_for(huge))[0] == 4429
        polite = ws_url(server.base_url, seed.document_id, seed.editor2)
        for code in (1000, 1009, 1009):
            async with connect(polite) as ws:
                await asyncio.wait_for(ws.recv(), 10)  # let in every time
                await ws.close(code)
    finally:
        server.kill()
