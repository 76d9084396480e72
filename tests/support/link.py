"""A weak network link for tests and benchmarks: a loopback TCP proxy between a client (a
browser, a Python or Node client) and a server, applying a named profile of what a mobile
connection from Lomé does to a TCP stream. The kernel here has no ``netem``, so delay, jitter,
stalls and cuts are made in user space.

What it owns, per direction of each proxied connection: a token bucket (the bandwidth), then a
delay queue (the propagation delay, with jitter that never reorders), then the delivery, held
while the link is dead. The byte stream is kept whole and in order, as TCP keeps it.

- **Stalls** (1-3 s at random) are what a lost packet looks like to the applications above TCP:
  nothing arrives until the retransmission does, then everything held arrives at once.
- **Cuts** are the link going dead. What a real cut looks like depends on whether the phone
  notices, so there are two modes:

  - ``hold``: a silent dead link (a tunnel, a congested or broken cell, a stalled backhaul).
    Nothing is torn down: open connections stay open and nothing is delivered either way
    until the link returns, then the held bytes arrive in order. New connections are accepted
    (the proxy's kernel answers the handshake) but nothing reaches the server until the link
    returns. Neither side learns anything: only its own timeouts (y-websocket's 30 s rule, the
    browser's, the server's) can end a connection.
  - ``reset``: the phone lost its network (coverage gone, airplane mode, a new address when it
    comes back). The phone's side of every open connection is reset at once, and new
    connections are reset as soon as they are accepted. The server hears nothing until the link
    returns, and then a reset (the first packet it sends meets a carrier NAT that forgot the
    connection).

  A browser on a phone that lost its network also fires ``offline``; tests that want that too
  call Playwright's ``context.set_offline(True)`` beside ``cut("reset")``.

The random draws (the jitter's wander, the times and lengths of stalls and cuts) come from
generators seeded by ``seed`` and are functions of the time since the link started, whatever
the traffic, so a run can be replayed. ``time_scale`` compresses the schedule (not the
per-packet delay and bandwidth), so a test can go through an hour offline in a few seconds.

``Link`` runs on the caller's asyncio loop (``async with Link(...)``); ``running_link(...)`` runs
one on its own thread for synchronous tests (Playwright's sync API). ``cut()`` and ``restore()``
switch the link by hand, on top of its schedule. On a crash the proxy's sockets close with the
process; nothing is stored.

    python -m tests.support.link --profile lome-3g --listen 127.0.0.1:0 --target 127.0.0.1:8000

prints ``link lome-3g listening on 127.0.0.1:PORT -> 127.0.0.1:8000``; ``SIGUSR1`` cuts the
link, ``SIGUSR2`` restores it.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import math
import random
import signal
import socket
import struct
import sys
import threading
from collections.abc import Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Literal

CutMode = Literal["hold", "reset"]
Direction = Literal["up", "down"]  # up: client to server
Clock = Callable[[], float]

SEGMENT = 1400  # bytes per paced segment, about one TCP segment's payload
READ_SIZE = 65536
WINDOW = 256 * 1024  # bytes queued per direction before the proxy stops reading the sender
MBIT = 1_000_000 / 8  # bytes per second
KBIT = 1_000 / 8


@dataclass(frozen=True)
class Profile:
    """What the link does. Rates are bytes per second (``None``: unlimited); every duration is
    in seconds. The schedule (stalls and cuts) is multiplied by ``time_scale``."""

    name: str
    delay: float = 0.0  # one way, each direction
    jitter: float = 0.0  # the delay wanders by up to this much either way (see Jitter)
    down_rate: float | None = None  # server to client
    up_rate: float | None = None  # client to server
    stall_every: float | None = None  # mean time between stalls (exponential); None: no stalls
    stall_min: float = 1.0
    stall_max: float = 3.0
    cut_after: tuple[float, float] | None = None  # time online before each cut (uniform range)
    cut_for: float = 30.0
    cut_count: int | None = None  # None: cuts go on for ever
    cut_mode: CutMode = "hold"
    time_scale: float = 1.0


LOME_3G = Profile(
    "lome-3g",
    delay=0.300,
    jitter=0.100,
    down_rate=1 * MBIT,
    up_rate=256 * KBIT,
    stall_every=20.0,
)
PROFILES = {
    profile.name: profile
    for profile in (
        Profile("direct"),
        LOME_3G,
        replace(LOME_3G, name="cuts", cut_after=(30.0, 90.0), cut_for=30.0),
        replace(
            LOME_3G,
            name="offline-hour",
            cut_after=(60.0, 60.0),
            cut_for=3600.0,
            cut_count=1,
            cut_mode="reset",
        ),
    )
}


def profile(name: str, **overrides: object) -> Profile:
    """A named profile, with some fields replaced (``profile("cuts", time_scale=0.01)``)."""
    return replace(PROFILES[name], **overrides)  # type: ignore[arg-type]


# The schedule -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outage:
    """A stretch of time, in seconds since the link started, when nothing is delivered."""

    start: float
    end: float
    kind: Literal["stall", "cut"]


class Schedule:
    """The profile's stalls and cuts, drawn from the seed and extended as time goes on."""

    def __init__(self, profile: Profile, seed: int | str) -> None:
        self.profile = profile
        stalls = self._stall_times(random.Random(f"{seed}:stalls"))
        cuts = self._cut_times(random.Random(f"{seed}:cuts"))
        self._streams = [stalls, cuts]
        self._reached = [-math.inf, -math.inf]  # the latest start drawn from each stream
        self._known: list[Outage] = []

    def _stall_times(self, rng: random.Random) -> Iterator[Outage]:
        p, scale = self.profile, self.profile.time_scale
        if p.stall_every is None:
            return
        at = 0.0
        while True:
            at += rng.expovariate(1 / p.stall_every) * scale
            length = rng.uniform(p.stall_min, p.stall_max) * scale
            yield Outage(at, at + length, "stall")
            at += length

    def _cut_times(self, rng: random.Random) -> Iterator[Outage]:
        p, scale = self.profile, self.profile.time_scale
        if p.cut_after is None:
            return
        at, count = 0.0, 0
        while p.cut_count is None or count < p.cut_count:
            at += rng.uniform(*p.cut_after) * scale
            yield Outage(at, at + p.cut_for * scale, "cut")
            at += p.cut_for * scale
            count += 1

    def outages(self, until: float) -> list[Outage]:
        """Every outage that starts before ``until``, in order of start."""
        for index, stream in enumerate(self._streams):
            while self._reached[index] < until:
                outage = next(stream, None)
                if outage is None:
                    self._reached[index] = math.inf
                    break
                bisect.insort(self._known, outage, key=lambda o: o.start)
                self._reached[index] = outage.start
        return [o for o in self._known if o.start < until]

    def next_cut(self, after: float) -> Outage | None:
        """The first cut that starts at or after ``after``, if there is one."""
        horizon = max(after, 1.0)
        while True:
            cuts = [o for o in self.outages(horizon) if o.kind == "cut" and o.start >= after]
            if cuts:
                return cuts[0]
            if self._reached[1] == math.inf:
                return None
            horizon *= 2

    def at(self, t: float) -> Outage | None:
        """The outage under way at ``t`` (a cut before a stall), or None."""
        current = [o for o in self.outages(t + 1e-9) if o.start <= t < o.end]
        return max(current, key=lambda o: (o.kind == "cut", o.end), default=None)


# Bandwidth and delay --------------------------------------------------------------------------

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


class Connection:
    """One client connection and its connection to the server, through the link."""

    def __init__(self, link: Link, number: int, client: asyncio.StreamWriter) -> None:
        self.link, self.number, self.client = link, number, client
        self.server: asyncio.StreamWriter | None = None
        self.task: asyncio.Task[None] | None = None
        self.orphaned = False  # the phone's side was reset by a cut; the server's waits

    async def run(self, reader: asyncio.StreamReader) -> None:
        link = self.link
        if link.dead_mode() == "reset":
            reset_socket(self.client)
            return
        await link.until_alive()  # in a silent cut the handshake waits for the link
        try:
            server_reader, self.server = await asyncio.open_connection(*link.target)
        except OSError:
            reset_socket(self.client)
            return
        up = Pipe(link, reader, self.server, "up")
        down = Pipe(link, server_reader, self.client, "down")
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(up.run())
                group.create_task(down.run())
        except* (ConnectionError, OSError):
            pass  # a side vanished: both are closed below
        finally:
            self.close()

    def phone_lost(self) -> None:
        """A cut in reset mode: the phone's side is reset now, the server's side hears nothing
        until the link returns (``server_learns``)."""
        self.orphaned = True
        if self.task is not None:
            self.task.cancel()
        reset_socket(self.client)

    def server_learns(self) -> None:
        if self.server is not None:
            reset_socket(self.server)

    def close(self) -> None:
        if self.orphaned:
            return  # the server's side is reset when the link returns
        for writer in (self.client, self.server):
            if writer is not None:
                writer.close()


class Link:
    """The proxy. ``async with Link(profile, ("127.0.0.1", 8000), seed=1) as link:`` listens on
    ``link.address``; ``link.url`` is its ``http://`` address."""

    def __init__(
        self,
        profile: Profile,
        target: tuple[str, int],
        *,
        listen: tuple[str, int] = ("127.0.0.1", 0),
        seed: int | str = 0,
    ) -> None:
        self.profile, self.target, self.listen, self.seed = profile, target, listen, seed
        self.schedule = Schedule(profile, seed)
        # One radio: every connection through the link shares its delay's wander.
        self.jitter: dict[Direction, Jitter] = {
            way: Jitter(profile.jitter, random.Random(f"{seed}:jitter:{way}"))
            for way in ("up", "down")
        }
        self.delivered: dict[Direction, int] = {"up": 0, "down": 0}  # bytes, every connection
        self.connections: set[Connection] = set()
        self.accepted = 0
        self.manual: CutMode | None = None  # cut by hand, in this mode
        self._restored = asyncio.Event()
        self._orphans: list[Connection] = []
        self._server: asyncio.Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._started = 0.0
        self._tasks: set[asyncio.Task[None]] = set()  # the schedule's, and resets to come

    # Life cycle --------------------------------------------------------------------------------

    async def __aenter__(self) -> Link:
        await self.start()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._started = self._loop.time()
        self._server = await asyncio.start_server(self._accept, *self.listen)
        self._spawn(self._follow_schedule())

    def _spawn(self, work: Coroutine[None, None, None]) -> None:
        assert self._loop is not None, "the link is not started"
        task = self._loop.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        tasks = [c.task for c in self.connections if c.task is not None] + list(self._tasks)
        for task in self._tasks:
            task.cancel()
        for connection in list(self.connections) + self._orphans:
            connection.orphaned = False
            if connection.task is not None:
                connection.task.cancel()
            connection.close()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    @property
    def address(self) -> tuple[str, int]:
        assert self._server is not None, "the link is not started"
        host, port = self._server.sockets[0].getsockname()[:2]
        return str(host), int(port)

    @property
    def url(self) -> str:
        host, port = self.address
        return f"http://{host}:{port}"

    def clock(self) -> float:
        assert self._loop is not None, "the link is not started"
        return self._loop.time()

    def elapsed(self) -> float:
        """Seconds since the link started: the schedule's time."""
        return self.clock() - self._started

    # Dead or alive -------------------------------------------------------------------------------

    def dead_mode(self) -> CutMode | None:
        """How the link is dead now (a stall holds, like a silent cut), or None if it is alive."""
        if self.manual is not None:
            return self.manual
        outage = self.schedule.at(self.elapsed())
        if outage is None:
            return None
        return self.profile.cut_mode if outage.kind == "cut" else "hold"

    async def until_alive(self) -> None:
        """Wait while the link is dead."""
        while True:
            if self.manual is not None:
                await self._restored.wait()
                continue
            outage = self.schedule.at(self.elapsed())
            if outage is None:
                return
            await asyncio.sleep(max(outage.end - self.elapsed(), 0.001))

    def cut(self, mode: CutMode | None = None) -> None:
        """Cut the link by hand (``hold`` or ``reset``; default: the profile's ``cut_mode``)
        until ``restore()``, whatever the schedule says."""
        self.manual = mode or self.profile.cut_mode
        self._restored.clear()
        if self.manual == "reset":
            self._lose_phone_side()

    def restore(self) -> None:
        """End a cut made by hand. The schedule's own outages still apply."""
        self.manual = None
        self._restored.set()
        self._spawn(self._learn_when_alive())

    async def _learn_when_alive(self) -> None:
        await self.until_alive()  # a scheduled outage may still be under way
        self._server_side_learns()

    async def _follow_schedule(self) -> None:
        """Carry out the scheduled cuts in reset mode: resets at their start and end."""
        if self.profile.cut_mode != "reset":
            return
        after = 0.0
        while (outage := self.schedule.next_cut(after)) is not None:
            await asyncio.sleep(max(0.0, outage.start - self.elapsed()))
            self._lose_phone_side()
            await asyncio.sleep(max(0.0, outage.end - self.elapsed()))
            await self._learn_when_alive()
            after = outage.end

    def _lose_phone_side(self) -> None:
        for connection in list(self.connections):
            connection.phone_lost()
            self._orphans.append(connection)
        self.connections.clear()

    def _server_side_learns(self) -> None:
        orphans, self._orphans = self._orphans, []
        for connection in orphans:
            connection.server_learns()

    # Connections ---------------------------------------------------------------------------------

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """The server's callback. Its own task is never cancelled (asyncio logs that as an
        error); the connection runs in a task of its own, which cuts and ``close()`` cancel."""
        self.accepted += 1
        connection = Connection(self, self.accepted, writer)
        connection.task = asyncio.get_running_loop().create_task(connection.run(reader))
        self.connections.add(connection)
        try:
            await asyncio.wait({connection.task})
        finally:
            self.connections.discard(connection)


# Running a link from synchronous code ----------------------------------------------------------


class LinkThread:
    """A ``Link`` on its own event loop thread, for synchronous tests; ``cut()`` and
    ``restore()`` are carried out on that loop and return once done."""

    def __init__(self, link: Link) -> None:
        self.link = link
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def start(self) -> LinkThread:
        self._thread.start()
        self._call(self.link.start())
        return self

    def _call(self, work: object) -> None:
        assert asyncio.iscoroutine(work)
        asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout=30)

    @property
    def url(self) -> str:
        return self.link.url

    @property
    def address(self) -> tuple[str, int]:
        return self.link.address

    def cut(self, mode: CutMode | None = None) -> None:
        async def cut() -> None:
            self.link.cut(mode)

        self._call(cut())

    def restore(self) -> None:
        async def restore() -> None:
            self.link.restore()

        self._call(restore())

    def close(self) -> None:
        self._call(self.link.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


@contextlib.contextmanager
def running_link(
    profile: Profile, target: tuple[str, int], *, seed: int | str = 0
) -> Iterator[LinkThread]:
    """``with running_link(PROFILES["lome-3g"], ("127.0.0.1", port)) as link:``"""
    thread = LinkThread(Link(profile, target, seed=seed)).start()
    try:
        yield thread
    finally:
        thread.close()


# Command line ------------------------------------------------------------------------------------


def host_port(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host, int(port)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tests.support.link",
        description="A weak network link: a TCP proxy that delays, throttles, stalls and cuts. "
        "SIGUSR1 cuts the link, SIGUSR2 restores it.",
    )
    parser.add_argument("--profile", choices=sorted(PROFILES), default="lome-3g")
    parser.add_argument("--listen", type=host_port, default=("127.0.0.1", 0))
    parser.add_argument("--target", type=host_port, required=True)
    parser.add_argument("--seed", default="0", help="seed of every random draw (default 0)")
    parser.add_argument(
        "--time-scale", type=float, default=1.0, help="multiplies the stall and cut schedule"
    )
    parser.add_argument("--cut-mode", choices=["hold", "reset"], default=None)
    return parser


async def serve(arguments: argparse.Namespace) -> None:
    chosen = profile(arguments.profile, time_scale=arguments.time_scale)
    if arguments.cut_mode is not None:
        chosen = replace(chosen, cut_mode=arguments.cut_mode)
    link = Link(chosen, arguments.target, listen=arguments.listen, seed=arguments.seed)
    async with link:
        host, port = link.address
        target = "{}:{}".format(*arguments.target)
        print(f"link {chosen.name} listening on {host}:{port} -> {target}", flush=True)
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        loop.add_signal_handler(signal.SIGUSR1, link.cut)
        loop.add_signal_handler(signal.SIGUSR2, link.restore)
        for stopping in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(stopping, stop.set)
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    asyncio.run(serve(build_parser().parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
