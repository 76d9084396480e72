"""The proxy: a loopback TCP server that opens one connection to the target per client
connection and joins them with a :class:`~tests.support.link.pipe.Pipe` each way; cuts by hand
and by the schedule (``hold``: nothing delivered; ``reset``: the phone's side reset at once,
the server's when the link returns); and a thread to run it from synchronous tests. On a crash
the proxy's sockets close with the process; nothing is stored."""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
from collections.abc import Coroutine, Iterator
from types import TracebackType

from tests.support.link.pipe import Direction, Jitter, Pipe, reset_socket
from tests.support.link.profiles import CutMode, Profile, Schedule


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
