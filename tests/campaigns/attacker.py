"""The attacking side of the fuzz campaign, in a process of its own so that generating
frames never slows down the clients whose latency the campaign measures:

    python -m tests.campaigns.attacker SECONDS FRAMES SEED URL...

One task per URL connects, sends frames (``frames.py``) until the server closes the
connection, and reconnects, until SECONDS have passed or FRAMES were sent; then it prints a
JSON report: frames by kind, close codes, and what went wrong."""

from __future__ import annotations

import asyncio
import contextlib
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


@dataclass
class Attack:
    frames: int = 0
    connections: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    closes: Counter[int] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "frames": self.frames,
            "connections": self.connections,
            "kinds": dict(self.kinds.most_common()),
            "closes": {str(k): v for k, v in sorted(self.closes.items())},
            "problems": self.problems,
        }


async def attack(url: str, maker: FrameMaker, report: Attack, over: Any, budget: int) -> None:
    """Connect, send frames until the server closes the connection, reconnect; until told."""
    while not over() and report.frames < budget:
        report.connections += 1
        try:
            async with connect(url, max_size=None, open_timeout=30, close_timeout=5) as ws:
                drain = asyncio.ensure_future(_drain(ws))
                try:
                    while not over() and report.frames < budget:
                        kind, frame = maker.next()
                        report.frames += 1
                        report.kinds[kind] += 1
                        if kind == "huge":
                            await huge(url, frame, report)
                        else:
                            await ws.send(frame)
                except ConnectionClosed:
                    pass
                if not drain.done():  # we stopped, not the server: say goodbye
                    await ws.close()
                code = await drain
                report.closes[code] += 1
                if code not in NAMED:
                    report.problems.append(f"closed with unnamed code {code}")
        except (OSError, InvalidStatus, TimeoutError) as error:
            report.problems.append(f"could not connect: {error!r}")
            await asyncio.sleep(0.5)


async def huge(url: str, frame: Any, report: Attack) -> None:
    """A frame past the transport's limit, alone on its own connection. uvicorn refuses it
    with 1009 while the rest of it is still arriving, so the socket is reset and the close
    frame may be lost with it (1006): both are expected here, and only here."""
    async with connect(url, max_size=None, open_timeout=30, close_timeout=5) as ws:
        drain = asyncio.ensure_future(_drain(ws))
        with contextlib.suppress(ConnectionClosed, OSError):
            await ws.send(frame)
        code = await drain
    report.closes[code] += 1
    if code not in (CloseCode.TRANSPORT_TOO_BIG, CloseCode.MESSAGE_TOO_LARGE, ABNORMAL):
        report.problems.append(f"a frame past the transport's limit closed with {code}")


async def _drain(ws: Any) -> int:
    try:
        async for _ in ws:
            pass
    except ConnectionClosed:
        pass
    return int(ws.close_code or 0)


async def main(seconds: float, budget: int, seed: int, urls: list[str]) -> Attack:
    report = Attack()
    deadline = time.monotonic() + seconds

    def over() -> bool:
        return time.monotonic() > deadline or report.frames >= budget

    tasks = [attack(url, FrameMaker(seed + k), report, over, budget) for k, url in enumerate(urls)]
    await asyncio.gather(*tasks)
    return report


if __name__ == "__main__":
    seconds, budget, seed, *urls = sys.argv[1:]
    attack_report = asyncio.run(main(float(seconds), int(budget), int(seed), urls))
    print(orjson.dumps(attack_report.as_json()).decode())
