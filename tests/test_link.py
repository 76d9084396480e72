"""The weak-link simulator (tests/support/link.py) against real sockets: the delay and jitter
each way, the bandwidth each way, stalls and cuts that hold bytes or reset connections, the
seeded schedule, and Palabre's websocket through the link. Everything runs on the test's own
event loop, so the times measured are the proxy's, not a thread's."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import os
import signal
import struct
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import httpx
import pytest
from palabre.client import LiveDocument

from tests.conftest import Seed
from tests.support.link import KBIT, MBIT, PROFILES, Link, Schedule, profile
from tests.support.server import REPO, ServerProcess

RECORD = struct.Struct("!Id")  # sequence number, time sent (loop time)
CALM_3G = profile("lome-3g", stall_every=None)  # delay and bandwidth alone, for measuring them


@dataclass
class Peer:
    """One end of a connection, read by a task: what arrived, when, and how it ended."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    on_data: Callable[[Peer, bytes], None] | None = None
    arrivals: list[tuple[float, int]] = field(default_factory=list)  # (time, bytes so far)
    received: bytearray = field(default_factory=bytearray)
    ended: str | None = None  # "eof" or "reset"
    task: asyncio.Task[None] | None = None

    def start(self) -> Peer:
        self.task = asyncio.get_running_loop().create_task(self._pump())
        return self

    async def _pump(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while data := await self.reader.read(65536):
                self.received += data
                self.arrivals.append((loop.time(), len(self.received)))
                if self.on_data is not None:
                    self.on_data(self, data)
        except ConnectionResetError:
            self.ended = "reset"
            return
        self.ended = "eof"

    def records(self) -> list[tuple[int, float, float]]:
        """(sequence, time sent, time arrived) for every whole record received."""
        found = []
        for offset in range(0, len(self.received) - RECORD.size + 1, RECORD.size):
            sequence, sent = RECORD.unpack_from(self.received, offset)
            end = offset + RECORD.size
            arrived = next(t for t, total in self.arrivals if total >= end)
            found.append((sequence, sent, arrived))
        return found

    def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
        self.writer.close()


class FarEnd:
    """The server behind the link: a TCP listener whose every connection is a ``Peer``."""

    def __init__(self, on_data: Callable[[Peer, bytes], None] | None = None) -> None:
        self.on_data = on_data
        self.peers: list[Peer] = []
        self.clients: list[Peer] = []
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> FarEnd:
        self.server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        for peer in self.peers + self.clients:
            peer.close()
        assert self.server is not None
        self.server.close()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.peers.append(Peer(reader, writer, self.on_data).start())

    @property
    def address(self) -> tuple[str, int]:
        assert self.server is not None
        host, port = self.server.sockets[0].getsockname()[:2]
        return str(host), int(port)

    def received(self, index: int) -> bytes:
        """What the server's ``index``-th connection received so far (none yet: nothing)."""
        return bytes(self.peers[index].received) if len(self.peers) > index else b""

    async def dial(self, address: tuple[str, int]) -> Peer:
        """A client connection to ``address`` (the link), closed with the far end."""
        reader, writer = await asyncio.open_connection(*address)
        self.clients.append(Peer(reader, writer).start())
        return self.clients[-1]


async def eventually(check: Callable[[], bool], what: str, timeout: float = 10) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        assert loop.time() < deadline, f"never happened: {what}"
        await asyncio.sleep(0.01)


async def throughout(check: Callable[[], bool], what: str, duration: float) -> None:
    """``check`` holds at every poll for ``duration`` seconds (for "nothing arrives")."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + duration
    while loop.time() < deadline:
        assert check(), f"stopped holding: {what}"
        await asyncio.sleep(0.01)


@pytest.fixture
async def far() -> AsyncIterator[FarEnd]:
    async with FarEnd() as far_end:
        yield far_end


# Delay, jitter and bandwidth -----------------------------------------------------------------


def echo(peer: Peer, data: bytes) -> None:
    peer.writer.write(data)


async def test_lome_3g_delays_each_way_by_300_ms_within_100_ms_of_jitter() -> None:
    async with FarEnd(on_data=echo) as far, Link(CALM_3G, far.address, seed=3) as link:
        client = await far.dial(link.address)
        loop = asyncio.get_running_loop()
        count = 14
        for sequence in range(count):  # spaced wider than the jitter, so none is held back
            client.writer.write(RECORD.pack(sequence, loop.time()))
            await asyncio.sleep(0.22)
        await eventually(lambda: len(client.records()) == count, "every echo", timeout=20)
        [server] = far.peers
    up = [arrived - sent for _, sent, arrived in server.records()]
    round_trips = {seq: arrived - sent for seq, sent, arrived in client.records()}
    down = [round_trips[seq] - (arrived - sent) for seq, sent, arrived in server.records()]
    assert [seq for seq, _, _ in client.records()] == list(range(count))
    for way in (up, down):
        assert min(way) >= 0.2 - 0.005, way  # never sooner than the delay minus the jitter
        assert max(way) <= 0.4 + 0.2, way  # never much later than delay plus jitter
        assert max(way) - min(way) >= 0.05, way  # the jitter is there
        assert 0.22 <= sum(way) / len(way) <= 0.38 + 0.1, way


def rate(peer: Peer) -> float:
    """Bytes per second between the first and the last arrival (the first read excluded)."""
    (first, size), (last, total) = peer.arrivals[0], peer.arrivals[-1]
    return (total - size) / (last - first)


async def test_lome_3g_carries_1_mbit_down_and_256_kbit_up_and_every_byte_intact() -> None:
    down_bytes, up_bytes = os.urandom(300_000), os.urandom(80_000)

    def answer(peer: Peer, data: bytes) -> None:
        if len(peer.received) == len(data):  # the first bytes up: send the download
            peer.writer.write(down_bytes)

    async with FarEnd(on_data=answer) as far, Link(CALM_3G, far.address) as link:
        client = await far.dial(link.address)
        client.writer.write(up_bytes)
        await eventually(lambda: len(client.received) == len(down_bytes), "download", 30)
        await eventually(lambda: len(far.peers[0].received) == len(up_bytes), "upload", 30)
        server = far.peers[0]
    assert hashlib.sha256(client.received).digest() == hashlib.sha256(down_bytes).digest()
    assert hashlib.sha256(server.received).digest() == hashlib.sha256(up_bytes).digest()
    down, up = rate(client), rate(server)
    assert 0.6 * MBIT <= down <= 1.1 * MBIT, f"{down * 8 / 1000:.0f} kbit/s down"
    assert 0.6 * 256 * KBIT <= up <= 1.1 * 256 * KBIT, f"{up * 8 / 1000:.0f} kbit/s up"


# Stalls and the seeded schedule ---------------------------------------------------------------


def test_the_schedule_is_drawn_from_the_seed_and_scaled_by_time_scale() -> None:
    hour = 3600.0
    lome = Schedule(PROFILES["lome-3g"], seed=7).outages(hour)
    assert lome == Schedule(PROFILES["lome-3g"], seed=7).outages(hour)
    assert lome != Schedule(PROFILES["lome-3g"], seed=8).outages(hour)
    assert {o.kind for o in lome} == {"stall"}
    assert all(1.0 <= o.end - o.start <= 3.0 for o in lome)
    assert 3600 / 20 / 2 <= len(lome) <= 3600 / 20 * 2  # about one every 20 s

    cuts = [o for o in Schedule(PROFILES["cuts"], seed=7).outages(hour) if o.kind == "cut"]
    assert all(o.end - o.start == pytest.approx(30.0) for o in cuts)
    online = [b.start - a.end for a, b in itertools.pairwise(cuts)]
    assert all(30.0 <= gap <= 90.0 for gap in online), online

    [offline] = [
        o for o in Schedule(PROFILES["offline-hour"], seed=7).outages(10 * hour) if o.kind == "cut"
    ]
    assert (offline.start, offline.end) == pytest.approx((60.0, 3660.0))
    scaled = Schedule(profile("offline-hour", time_scale=0.001), seed=7).next_cut(0.0)
    assert scaled is not None
    assert (scaled.start, scaled.end) == pytest.approx((0.06, 3.66))


async def test_a_stall_holds_every_byte_until_it_ends_then_delivers_them_in_order(
    far: FarEnd,
) -> None:
    quick = profile("lome-3g", time_scale=0.2, delay=0.05, jitter=0.0)  # stalls of 0.2-0.6 s
    async with Link(quick, far.address, seed=11) as link:
        [stall, *_] = link.schedule.outages(60.0)
        client = await far.dial(link.address)
        loop = asyncio.get_running_loop()
        sequence = 0
        while link.elapsed() < stall.end + 0.3:
            client.writer.write(RECORD.pack(sequence, loop.time()))
            sequence += 1
            await asyncio.sleep(0.01)
        await eventually(lambda: len(far.peers[0].records()) == sequence, "every record")
        started = link.clock() - link.elapsed()
    arrivals = [arrived - started for _, _, arrived in far.peers[0].records()]
    assert [seq for seq, _, _ in far.peers[0].records()] == list(range(sequence))
    # Tolerances: a write just before the stall may be read a little later on a busy machine.
    during = [t for t in arrivals if stall.start + 0.05 < t < stall.end - 0.01]
    assert during == [], f"delivered during the stall {stall}"
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert max(gaps) >= (stall.end - stall.start) - 0.06
    held = [t for _, sent, t in far.peers[0].records() if stall.start < sent - started < stall.end]
    assert held
    assert min(held) >= stall.end - 0.01


# Cuts ---------------------------------------------------------------------------------------


async def test_a_cut_in_hold_mode_holds_bytes_and_handshakes_until_restore(far: FarEnd) -> None:
    async with Link(PROFILES["direct"], far.address) as link:
        client = await far.dial(link.address)
        client.writer.write(b"avant ")
        await eventually(lambda: far.received(0) == b"avant ", "before the cut")
        server = far.peers[0]
        link.cut("hold")
        client.writer.write(b"pendant ")
        server.writer.write(b"reponse ")
        late = await far.dial(link.address)  # a new connection during the cut
        late.writer.write(b"nouveau")
        await throughout(
            lambda: server.received == b"avant " and client.received == b"" and len(far.peers) == 1,
            "nothing crosses a dead link",
            duration=1.0,
        )
        link.restore()
        client.writer.write(b"apres")
        await eventually(lambda: server.received == b"avant pendant apres", "held bytes, in order")
        await eventually(lambda: client.received == b"reponse ", "held answer")
        await eventually(lambda: len(far.peers) == 2, "the held handshake")
        await eventually(lambda: far.received(1) == b"nouveau", "its bytes")
        assert client.ended is None
        assert server.ended is None


async def test_a_cut_in_reset_mode_resets_the_phone_at_once_and_the_server_on_restore(
    far: FarEnd,
) -> None:
    async with Link(PROFILES["direct"], far.address) as link:
        client = await far.dial(link.address)
        client.writer.write(b"avant")
        await eventually(lambda: far.received(0) == b"avant", "up")
        server = far.peers[0]
        link.cut("reset")
        await eventually(lambda: client.ended == "reset", "the phone's side is reset")
        refused = await far.dial(link.address)
        await eventually(lambda: refused.ended == "reset", "a new connection is reset")
        await throughout(
            lambda: server.ended is None and len(far.peers) == 1, "the server hears nothing", 0.5
        )
        link.restore()
        await eventually(lambda: server.ended == "reset", "the server's side is reset")
        again = await far.dial(link.address)
        again.writer.write(b"retour")
        await eventually(lambda: far.received(1) == b"retour", "the link works again")


async def test_offline_hour_compressed_by_time_scale_refuses_then_carries(far: FarEnd) -> None:
    async with Link(profile("offline-hour", time_scale=0.001), far.address) as link:
        await eventually(lambda: link.elapsed() > 0.1, "the cut (0.06 s to 3.66 s) began")
        refused = await far.dial(link.address)
        await eventually(lambda: refused.ended == "reset", "reset while offline")
        await eventually(lambda: link.elapsed() > 3.7, "the hour is over", timeout=10)
        client = await far.dial(link.address)
        client.writer.write(b"de retour")
        await eventually(lambda: far.received(0) == b"de retour", "carried again")


# Palabre through the link -----------------------------------------------------------------------


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the link is under test, not the store


async def stored_text(http: httpx.AsyncClient, seed: Seed) -> str:
    answer = await http.get(f"/api/documents/{seed.document_id}/text")
    answer.raise_for_status()
    return answer.text


async def stored_becomes(http: httpx.AsyncClient, seed: Seed, text: str, timeout: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (current := await stored_text(http, seed)) != text:
        assert loop.time() < deadline, f"the server holds {current!r}, not {text!r}"
        await asyncio.sleep(0.1)


async def test_a_palabre_websocket_through_lome_3g_syncs_and_keeps_edits_made_during_cuts(
    server: ServerProcess, seed: Seed
) -> None:
    host, port = server.base_url.removeprefix("http://").split(":")
    headers = {"Authorization": f"Bearer {seed.editor}"}
    async with (
        httpx.AsyncClient(base_url=server.base_url, headers=headers) as http,
        Link(PROFILES["lome-3g"], (host, int(port)), seed=5) as link,
        LiveDocument(link.url, seed.document_id, seed.editor) as live,
    ):
        live.insert(0, "Bonjour de Lomé.")
        await live.wait_saved(timeout=30)
        assert await stored_text(http, seed) == "Bonjour de Lomé."

        link.cut("hold")  # silent: the websocket stays open, nothing crosses
        live.insert(len(live.value), " Pendant la coupure.")
        loop = asyncio.get_running_loop()
        until = loop.time() + 1.0
        while loop.time() < until:
            assert await stored_text(http, seed) == "Bonjour de Lomé."
            await asyncio.sleep(0.1)
        link.restore()
        await stored_becomes(http, seed, "Bonjour de Lomé. Pendant la coupure.", 30)
        assert live.connections == 1  # the same websocket carried it

        link.cut("reset")  # the phone lost its network: the websocket is reset
        await eventually(lambda: not live.connected, "the client sees the reset")
        live.insert(len(live.value), " Hors ligne.")
        link.restore()
        await stored_becomes(http, seed, "Bonjour de Lomé. Pendant la coupure. Hors ligne.", 30)
        assert live.connections >= 2


async def test_the_command_line_prints_its_address_and_cuts_on_sigusr1(far: FarEnd) -> None:
    target = "{}:{}".format(*far.address)
    command = ["-m", "tests.support.link", "--profile", "direct", "--listen", "127.0.0.1:0"]
    process = await asyncio.create_subprocess_exec(
        sys.executable, *command, "--target", target, cwd=REPO, stdout=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None
    try:
        line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        assert line.startswith("link direct listening on 127.0.0.1:"), line
        port = int(line.split()[4].rsplit(":", 1)[1])
        client = await far.dial(("127.0.0.1", port))
        client.writer.write(b"salut")
        await eventually(lambda: far.received(0) == b"salut", "up")
        process.send_signal(signal.SIGUSR1)
        await asyncio.sleep(0.5)  # time to handle the signal (the process cannot be asked)
        client.writer.write(b" encore")
        await throughout(lambda: far.peers[0].received == b"salut", "cut", 1.0)
        process.send_signal(signal.SIGUSR2)
        await eventually(lambda: far.peers[0].received == b"salut encore", "restored")
    finally:
        process.terminate()
        assert await asyncio.wait_for(process.wait(), 10) == 0
