"""One direction of one proxied connection: a token bucket (the bandwidth), a delay queue (the
propagation delay, with a jitter that never reorders), then the delivery, held while the link
is dead. The byte stream is kept whole and in order, as TCP keeps it. On a crash the sockets
close with the process; nothing is stored."""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from tests.support.link.proxy import Link

Direction = Literal["up", "down"]  # up: client to server
Clock = Callable[[], float]

SEGMENT = 1400  # bytes per paced segment, about one TCP segment's payload
READ_SIZE = 65536
WINDOW = 256 * 1024  # bytes queued per direction before the proxy stops reading the sender
JITTER_STEP = 0.25  # seconds between the jitter's random targets


class Jitter:
    """How far the delay of one direction is from the profile's, over time: a random target
    within ``±amplitude`` every ``JITTER_STEP`` seconds of link time, joined by straight lines.
    While its slope stays under 1 (``2 * amplitude < JITTER_STEP``, 0.8 for lome-3g) a later
    byte is never due before an earlier one, so a dense stream keeps the profile's mean delay;
    independent draws per segment, with no reordering allowed, would push it to the top of the
    range. The pipe still never lets a segment overtake another."""

    def __init__(self, amplitude: float, rng: random.Random) -> None:
        self.amplitude, self.rng = amplitude, rng
        self.targets: list[float] = []

    def at(self, t: float) -> float:
        if self.amplitude == 0:
            return 0.0
        step, offset = divmod(max(t, 0.0) / JITTER_STEP, 1.0)
        while len(self.targets) < int(step) + 2:
            self.targets.append(self.rng.uniform(-self.amplitude, self.amplitude))
        before, after = self.targets[int(step)], self.targets[int(step) + 1]
        return before + (after - before) * offset


class TokenBucket:
    """``rate`` bytes per second, with a burst of ``burst`` bytes."""

    def __init__(self, rate: float, burst: float, clock: Clock) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens = burst
        self.last = clock()

    async def take(self, count: int) -> None:
        while True:
            now = self.clock()
            self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
            self.last = now
            if self.tokens >= count:
                self.tokens -= count
                return
            await asyncio.sleep((count - self.tokens) / self.rate)


EOF = b""  # the sender closed its side: deliver the half-close after the data
RESET = None  # the sender reset the connection: reset the receiver, after the data


@dataclass
class Segment:
    due: float  # loop time at which it may be delivered
    data: bytes | None  # bytes, EOF or RESET


def reset_socket(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP reset (RST), as a dead NAT or a lost network does, not a FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class Pipe:
    """One direction of one connection: read, pace, delay, hold while dead, deliver."""

    def __init__(
        self,
        link: Link,
        source: asyncio.StreamReader,
        sink: asyncio.StreamWriter,
        direction: Direction,
    ) -> None:
        self.link, self.source, self.sink, self.direction = link, source, sink, direction
        rate = link.profile.up_rate if direction == "up" else link.profile.down_rate
        self.jitter = link.jitter[direction]
        clock = link.clock
        burst = max(2 * SEGMENT, rate / 20) if rate is not None else 0.0
        self.bucket = TokenBucket(rate, burst, clock) if rate is not None else None
        self.queue: asyncio.Queue[Segment] = asyncio.Queue()
        self.queued = 0
        self.room = asyncio.Event()
        self.room.set()
        self.last_due = 0.0

    async def run(self) -> None:
        async with asyncio.TaskGroup() as group:
            group.create_task(self._read())
            group.create_task(self._deliver())

    async def _read(self) -> None:
        try:
            while data := await self.source.read(READ_SIZE):
                for start in range(0, len(data), SEGMENT if self.bucket else len(data)):
                    piece = data[start : start + SEGMENT] if self.bucket else data
                    await self._send(piece)
        except ConnectionError:
            await self._send(RESET)
            return
        await self._send(EOF)

    async def _send(self, data: bytes | None) -> None:
        size = len(data) if data else 0
        if self.bucket is not None and size:
            await self.bucket.take(size)
        link = self.link
        due = link.clock() + link.profile.delay + self.jitter.at(link.elapsed())
        self.last_due = max(self.last_due, due)  # never before an earlier segment
        self.queue.put_nowait(Segment(self.last_due, data))
        self.queued += size
        if self.queued > WINDOW:
            self.room.clear()
            await self.room.wait()

    async def _deliver(self) -> None:
        while True:
            segment = await self.queue.get()
            await asyncio.sleep(max(0.0, segment.due - self.link.clock()))
            await self.link.until_alive()
            if segment.data is RESET:
                reset_socket(self.sink)
                return
            if segment.data == EOF:
                if self.sink.can_write_eof():
                    self.sink.write_eof()
                return
            self.sink.write(segment.data)
            await self.sink.drain()
            self.link.delivered[self.direction] += len(segment.data)
            self.queued -= len(segment.data)
            if self.queued <= WINDOW:
                self.room.set()
