"""The attacking side of the fuzz campaign, in a process of its own so that generating
frames never slows down the clients whose latency the campaign measures:

    python -m tests.campaigns.attacker SECONDS FRAMES SEED TASKS URL...

TASKS tasks, each with its share of the URLs (one member's token each), connect, send
frames (``frames.py``) until the server closes the connection, and reconnect at once with
their next URL, until SECONDS have passed or the server has read FRAMES frames; then it
prints a JSON report: frames by kind, close codes, and what went wrong. Taking the next
member's token at each reconnection is what an attacker holding several does against the
server's cool-down of a member closed for hostile input (4429 at the handshake, refused
before anything is looked up): a token still cooling down is refused at once, and the task
goes on with the next one without waiting. It runs at
a lower CPU priority than the server (nice 10), as an attacker elsewhere would.

Frames go out in bursts of ``BURST``, each followed by a ping: the pong says that the server
read the burst (uvicorn answers a ping when it parses it, and reads a connection's next
message only once the application took the previous one), and only then does the next burst
go. A burst cut by a close counts as sent, not read. Without this an attacker writes far
faster than a server that closes it at its first hostile frame reads: tens of thousands of
frames a minute would end in socket buffers, unread, and be counted as an attack."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson
from palabre.server.live.close_codes import CloseCode
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.campaigns.frames import FrameMaker

NAMED = {int(code) for code in CloseCode}
ABNORMAL = 1006  # no close frame: the transport dropped the connection
BURST = 4  # frames between two pings
PONG_TIMEOUT = 60  # a server that reads nothing this long is a finding
NICENESS = 10  # below the server and the members whose latency is measured


@dataclass
class Attack:
    frames: int = 0  # sent
    read: int = 0  # of which the server read (a pong came after them)
    connections: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    closes: Counter[int] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "frames": self.frames,
            "frames_read": self.read,
            "connections": self.connections,
            "kinds": dict(self.kinds.most_common()),
            "closes": {str(k): v for k, v in sorted(self.closes.items())},
            "problems": self.problems,
        }


async def attack(urls: list[str], maker: FrameMaker, report: Attack, over: Any) -> None:
    """Connect, send bursts until the server closes the connection, reconnect with the next
    URL; until told."""
    turn = 0
    while not over():
        url = urls[turn % len(urls)]
        turn += 1
        report.connections += 1
        try:
            async with connect(url, max_size=None, open_timeout=30, close_timeout=5) as ws:
                drain = asyncio.ensure_future(_drain(ws))
                with contextlib.suppress(ConnectionClosed):
                    while not over() and not drain.done():
                        if not await burst(ws, url, maker, report, drain):
                            break
                if not drain.done():  # we stopped, not the server: say goodbye
                    await ws.close()
                code = await drain
                report.closes[code] += 1
                if code not in NAMED:
                    report.problems.append(f"closed with unnamed code {code}")
        except (OSError, InvalidStatus, TimeoutError) as error:
            report.problems.append(f"could not connect: {error!r}")
            await asyncio.sleep(0.5)


async def burst(
    ws: Any, url: str, maker: FrameMaker, report: Attack, drain: asyncio.Future[int]
) -> bool:
    """BURST frames, then a ping; counted as read once its pong is back. False: the server
    read nothing for PONG_TIMEOUT seconds (a finding)."""
    sent = 0
    for _ in range(BURST):
        kind, frame = maker.next()
        report.frames += 1
        report.kinds[kind] += 1
        if kind == "huge":
            await huge(url, frame, report)
        else:
            await ws.send(frame)
            sent += 1
    pong = await ws.ping()
    pong.add_done_callback(lambda f: f.cancelled() or f.exception())  # a close fails it
    done, _ = await asyncio.wait(
        [pong, drain], timeout=PONG_TIMEOUT, return_when=asyncio.FIRST_COMPLETED
    )
    if pong in done and pong.exception() is None:
        report.read += sent
    if not done:
        report.problems.append(f"no pong in {PONG_TIMEOUT} s")
    return bool(done)


async def huge(url: str, frame: Any, report: Attack) -> None:
    """A frame past the transport's limit, alone on its own connection. uvicorn refuses it
    with 1009 while the rest of it is still arriving, so the socket is reset and the close
    frame may be lost with it (1006): both are expected here, and only here; so is 4429,
    when its token is cooling down (refused at the handshake, nothing read)."""
    async with connect(url, max_size=None, open_timeout=30, close_timeout=5) as ws:
        drain = asyncio.ensure_future(_drain(ws))
        with contextlib.suppress(ConnectionClosed, OSError):
            await ws.send(frame)
        code = await drain
    if code != CloseCode.TOO_SLOW:  # not refused at the handshake (a cool-down): read
        report.read += 1  # refused on its header
    report.closes[code] += 1
    expected = (CloseCode.TRANSPORT_TOO_BIG, CloseCode.MESSAGE_TOO_LARGE, CloseCode.TOO_SLOW)
    if code not in (*expected, ABNORMAL):
        report.problems.append(f"a frame past the transport's limit closed with {code}")


async def _drain(ws: Any) -> int:
    try:
        async for _ in ws:
            pass
    except ConnectionClosed:
        pass
    return int(ws.close_code or 0)


async def main(seconds: float, budget: int, seed: int, tasks: int, urls: list[str]) -> Attack:
    report = Attack()
    deadline = time.monotonic() + seconds

    def over() -> bool:
        return time.monotonic() > deadline or report.read >= budget

    await asyncio.gather(
        *[attack(urls[k::tasks], FrameMaker(seed + k), report, over) for k in range(tasks)]
    )
    return report


if __name__ == "__main__":
    os.nice(NICENESS)  # an attacker is on another machine: its frames are not the server's work
    seconds, budget, seed, tasks, *urls = sys.argv[1:]
    attack_report = asyncio.run(main(float(seconds), int(budget), int(seed), int(tasks), urls))
    print(orjson.dumps(attack_report.as_json()).decode())
