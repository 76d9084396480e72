"""Live benchmark: fan-out latency, ingest rate, late-join time and memory of a real server.

Run from the repository root::

    python -m tests.benchmarks.live              # Palabre only (about 1 minute on 2 cores)
    python -m tests.benchmarks.live --compare    # then pycrdt-websocket, side by side (2-3 min)

What is measured, on a server started as a subprocess on a fresh SQLite file in a temp dir:

fan-out
    ``--clients`` websocket clients join one document; ``--writers`` of them insert one
    character at a random position ``--rate`` times a second for ``--seconds`` seconds, each
    insert sent as one y-websocket update message. The latency of one delivery is the time
    from the writer sending its update to another client receiving the server's broadcast of
    it, over every (update, other client) pair. Only writers keep a pycrdt document; the other
    clients just timestamp raw frames (a dict lookup from frame bytes to send time), so that
    the measuring process stays cheap and the figure is the server's. A broadcast whose bytes
    differ from what the writer sent is identified by decoding the (client id, clock) of its
    first item instead; the output says how many were byte-identical. Deliveries still missing
    after a bounded drain are counted as lost.
ingest
    The editing trace ``tests/data/seph-blog1.json.gz`` (137,154 transactions) is
    turned into one update per transaction on a local pycrdt document before timing (pycrdt's
    Text indexes are UTF-8 byte offsets, the trace's are code points: they are converted).
    One client then sends every update, as fast as it can, into a new document. Clocks run
    from the first send: "acked durable" stops when Palabre acknowledges every update as
    stored (``?acks=1``, message 100); "visible to a new client" stops when a client that
    joins after the last send gets the whole final text in its sync step 2 (new clients join
    one after the other, each leaving at once, until one does). pycrdt-websocket has no
    acknowledgements, so only the second clock compares the two servers. ``--ingest-runs``
    runs, each into a new document, give the medians; Palabre's text is then read over HTTP.
    One more run measures "reached a client connected during it": a client joins after the
    last send and stays, applying broadcasts until its text is the final one (syncing again
    if the server closes it or sends nothing for a second). For the reference, the SQLite
    store is finally read back to see what it kept.
late join
    After the replay, with another client connected (the room is loaded), a new client
    connects, sends sync step 1, and the clock stops when its sync step 2 gives the final
    text; the time includes the websocket handshake, not the close. Also measured with nobody
    else connected (Palabre then loads the document from SQLite: checkpoint plus tail; the
    reference keeps it in memory). Medians of 5.
memory
    The server's peak RSS over the whole run, polled every 50 ms with psutil.

The reference server (``--compare``) is this same file run with ``--serve-reference PORTFILE``:
pycrdt-websocket's ``WebsocketServer`` and ``ASGIServer`` under uvicorn with the same
websocket settings as Palabre, each room a ``YRoom`` backed by ``SQLiteYStore``. Rooms stay
loaded (``auto_clean_rooms=False``) because ``YRoom`` never reads its store back, and
creating a room is serialised so that clients joining at the same moment do not race to start
it. Every wait on it is bounded: a timeout or a lost update is reported, never fatal.

Clients do not negotiate permessage-deflate. Targets are printed next to the figures and
marked PASS or MISS; nothing is asserted.

Why one file of over 400 lines: it is one program (the servers under test, each load, the
statistics, the report), run as ``make bench``; the other benchmarks import a few of its
pieces."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import json
import os
import random
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import psutil  # type: ignore[import-untyped]
import uvicorn
from palabre.domain.roles import Country, Role
from palabre.server.storage.database import Database, open_application
from pycrdt import (
    Doc,
    Text,
    TransactionEvent,
    create_sync_message,
    handle_sync_message,
    merge_updates,
)
from pycrdt import create_update_message as update_message
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

if TYPE_CHECKING:
    from pycrdt.websocket import WebsocketServer

from tests.support import traces
from tests.support.server import REPO, ServerProcess
from tests.support.state_vector import read_var_uint

TRACE = traces.path("seph-blog1")
BODY = "body"
MESSAGE_SYNC, SYNC_STEP1, SYNC_STEP2, SYNC_UPDATE = 0, 0, 1, 2
MESSAGE_SAVED = 100
LETTERS = "abcdefghijklmnopqrstuvwxyz"
ORGANISATION = "Banc d'essai"
JOINS = 5
POLL_SECONDS = 0.05
STALL_SECONDS = 1.0
REFERENCE_STORE = "pycrdt-ystore.sqlite3"

# Targets: (comparison, threshold).
FANOUT_P99_MS = ("<", 25.0)
INGEST_PER_SECOND = (">", 20_000.0)
JOIN_MS = ("<", 50.0)
RSS_MB = ("<", 150.0)
LOST = ("=", 0.0)


# Protocol helpers --------------------------------------------------------------------------


def update_key(frame: bytes) -> tuple[int, int] | None:
    """(client id, clock) of the first item of the update in a sync frame, if it has one."""
    try:
        _, offset = read_var_uint(frame, 2)  # the payload length
        clients, offset = read_var_uint(frame, offset)
        if clients == 0:
            return None
        _, offset = read_var_uint(frame, offset)  # how many structs for this client
        client, offset = read_var_uint(frame, offset)
        clock, _ = read_var_uint(frame, offset)
    except IndexError:
        return None
    return client, clock


def is_sync(frame: bytes | str, kind: int) -> bool:
    """Whether a frame is a sync message of this kind (step 1, step 2 or update)."""
    return isinstance(frame, bytes) and frame[:2] == bytes((MESSAGE_SYNC, kind))


def saved_count(frame: bytes | str) -> int | None:
    """N from Palabre's "your first N updates are durable" message, or None."""
    if isinstance(frame, bytes) and frame and frame[0] == MESSAGE_SAVED:
        return read_var_uint(frame, 1)[0]
    return None


async def open_socket(url: str, patience: float = 30) -> ClientConnection:
    return await connect(
        url,
        compression=None,
        max_size=None,
        ping_interval=None,
        proxy=None,
        open_timeout=patience,
        close_timeout=5,
    )


async def handshake(ws: ClientConnection, doc: Doc[Text]) -> int:
    """Send our step 1, answer the server's, apply its step 2; returns how many updates
    (sync step 2 answers) we sent, which the server counts like any other update."""
    await ws.send(create_sync_message(doc))
    answered = 0
    while True:
        frame = await ws.recv()
        if is_sync(frame, SYNC_STEP1):
            assert isinstance(frame, bytes)
            reply = handle_sync_message(frame[1:], doc)
            if reply is not None:
                await ws.send(reply)
                answered += 1
        elif is_sync(frame, SYNC_STEP2):
            assert isinstance(frame, bytes)
            handle_sync_message(frame[1:], doc)
            return answered


async def close_quietly(ws: ClientConnection) -> None:
    with contextlib.suppress(Exception):
        await asyncio.wait_for(ws.close(), 5)


# Statistics and output ---------------------------------------------------------------------


def percentile(ordered: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile of sorted values."""
    if not ordered:
        return None
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]


def median(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def rate(count: int, seconds: float | None) -> float | None:
    return None if seconds is None or seconds <= 0 else count / seconds


# Server memory -----------------------------------------------------------------------------


class PeakRss:
    """Polls a process's resident memory every 50 ms in a thread; keeps the maximum."""

    def __init__(self, pid: int) -> None:
        self._process = psutil.Process(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self.peak = 0

    def _poll(self) -> None:
        while True:
            with contextlib.suppress(psutil.Error):
                self.peak = max(self.peak, int(self._process.memory_info().rss))
            if self._stop.wait(0.05):
                return

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    @property
    def megabytes(self) -> float:
        return self.peak / (1 << 20)


class CpuTime:
    """CPU time (user and system, every thread) a process used while a block runs."""

    def __init__(self, pid: int) -> None:
        self._process = psutil.Process(pid)
        self._start = 0.0
        self.seconds = 0.0

    def _now(self) -> float:
        with contextlib.suppress(psutil.Error):
            return float(sum(self._process.cpu_times()[:2]))
        return self._start

    def __enter__(self) -> CpuTime:
        self._start = self._now()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = self._now() - self._start


class OtherLoad:
    """CPU time used by every other process on the machine while a block runs, in cores:
    the machine is shared, so this says how noisy the figures are."""

    def __init__(self, pids: list[int]) -> None:
        self._processes = [psutil.Process(pid) for pid in pids]
        self._start = (0.0, 0.0, 0.0)
        self.cores = 0.0

    def _sample(self) -> tuple[float, float, float]:
        machine = psutil.cpu_times()
        busy = sum(machine) - machine.idle - getattr(machine, "iowait", 0.0)
        ours = 0.0
        for process in self._processes:
            with contextlib.suppress(psutil.Error):
                ours += sum(process.cpu_times()[:2])
        return time.perf_counter(), busy, ours

    def __enter__(self) -> OtherLoad:
        self._start = self._sample()
        return self

    def __exit__(self, *exc: object) -> None:
        end = self._sample()
        wall, busy, ours = (b - a for a, b in zip(self._start, end, strict=True))
        self.cores = max(0.0, busy - ours) / wall if wall > 0 else 0.0


async def settle(pid: int, limit: float = 10.0) -> float:
    """Wait (at most ``limit`` s) until the server uses under 10% CPU; returns the wait."""
    process = psutil.Process(pid)
    start = time.perf_counter()
    with contextlib.suppress(psutil.Error):
        process.cpu_percent(None)
        while time.perf_counter() - start < limit:
            await asyncio.sleep(0.25)
            if process.cpu_percent(None) < 10:
                break
    return time.perf_counter() - start


# The servers under test --------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoints:
    """How the benchmark reaches one server: URLs per role, and what the server offers."""

    name: str
    pid: int
    fanout: list[str]  # one URL per fan-out client
    writers: list[str]  # per ingest run, the replaying client's URL
    joiners: list[str]  # per ingest run, a late joiner's URL
    acks: bool
    fetch_text: Callable[[int], Awaitable[str]] | None  # the stored text of ingest run i
    log: Callable[[], str]  # what the server printed so far


@dataclass(frozen=True)
class Seeded:
    fanout_document: str
    fanout_tokens: list[str]
    ingest_documents: list[str]
    editor_token: str


def seed_palabre(database_url: str, clients: int, runs: int) -> Seeded:
    """Documents and members, written with the domain application before the server starts."""
    app = open_application(Database(database_url))
    try:
        fanout = app.create_document("Bench fan-out")
        tokens = [
            app.add_member(f"Client {i}", ORGANISATION, Country.FR, Role.EDITOR, fanout.id).token
            for i in range(clients)
        ]
        ingest = [str(app.create_document(f"Bench ingest {i}").id) for i in range(runs)]
        editor = app.add_member("Replayer", ORGANISATION, Country.FR, Role.EDITOR).token
    finally:
        app.close()
    return Seeded(str(fanout.id), tokens, ingest, editor)


def palabre_endpoints(server: ServerProcess, seeded: Seeded) -> Endpoints:
    ws = server.ws_url
    fanout = [f"{ws}/ws/{seeded.fanout_document}?token={t}" for t in seeded.fanout_tokens]
    token = seeded.editor_token

    async def fetch_text(run: int) -> str:
        url = f"{server.base_url}/api/documents/{seeded.ingest_documents[run]}/text"
        async with httpx.AsyncClient(trust_env=False, timeout=60) as http:
            response = await http.get(url, headers={"Authorization": f"Bearer {token}"})
            response.raise_for_status()
            return response.content.decode("utf-8")

    assert server.process is not None
    return Endpoints(
        name="palabre",
        pid=server.process.pid,
        fanout=fanout,
        writers=[f"{ws}/ws/{d}?token={token}&acks=1" for d in seeded.ingest_documents],
        joiners=[f"{ws}/ws/{d}?token={token}" for d in seeded.ingest_documents],
        acks=True,
        fetch_text=fetch_text,
        log=server.log,
    )


def reference_endpoints(reference: ReferenceProcess, clients: int, rooms: list[str]) -> Endpoints:
    base = f"ws://127.0.0.1:{reference.port}"
    assert reference.process is not None
    return Endpoints(
        name="pycrdt-websocket",
        pid=reference.process.pid,
        fanout=[f"{base}/fanout"] * clients,
        writers=[base + room for room in rooms],
        joiners=[base + room for room in rooms],
        acks=False,
        fetch_text=None,
        log=reference.log,
    )


# Fan-out -----------------------------------------------------------------------------------


@dataclass
class Sent:
    writer: int
    at: float
    received: int = 0


@dataclass
class Book:
    """Every update sent, and every delivery of one to another client."""

    by_frame: dict[bytes, Sent] = field(default_factory=dict)
    by_key: dict[tuple[int, int], Sent] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    byte_identical: int = 0
    decoded: int = 0
    unknown: int = 0
    expected: int | None = None  # deliveries to wait for, once every update is sent
    complete: asyncio.Event = field(default_factory=asyncio.Event)

    def expect(self, deliveries: int) -> None:
        self.expected = deliveries
        self._check()

    def _check(self) -> None:
        if self.expected is not None and len(self.latencies) >= self.expected:
            self.complete.set()

    def register(self, frame: bytes, writer: int) -> None:
        sent = Sent(writer, time.perf_counter())
        self.by_frame[frame] = sent
        key = update_key(frame)
        if key is not None:
            self.by_key[key] = sent

    def receive(self, client: int, frame: bytes, at: float) -> None:
        sent = self.by_frame.get(frame)
        if sent is not None:
            self.byte_identical += 1
        else:
            key = update_key(frame)
            sent = self.by_key.get(key) if key is not None else None
            if sent is None:
                self.unknown += 1
                return
            self.decoded += 1
        if sent.writer != client:  # pycrdt-websocket echoes updates to their sender
            self.latencies.append(at - sent.at)
            sent.received += 1
            self._check()


class Peer:
    """One fan-out client. Writers keep a document and apply what they receive."""

    def __init__(self, index: int, ws: ClientConnection, book: Book, writer: bool) -> None:
        self.index = index
        self.ws = ws
        self.book = book
        self.doc: Doc[Text] | None = Doc() if writer else None
        self.closed_by_server: int | None = None
        self._captured: list[bytes] = []
        self._random = random.Random(index)
        if self.doc is not None:
            self.doc.observe(self._capture)

    def _capture(self, event: TransactionEvent) -> None:
        self._captured.append(event.update)

    async def listen(self) -> None:
        try:
            async for frame in self.ws:
                now = time.perf_counter()
                if is_sync(frame, SYNC_UPDATE):
                    assert isinstance(frame, bytes)
                    self.book.receive(self.index, frame, now)
                    if self.doc is not None:
                        handle_sync_message(frame[1:], self.doc)
        except ConnectionClosed as closed:
            self.closed_by_server = closed.rcvd.code if closed.rcvd is not None else -1

    def edit(self) -> bytes:
        """Insert one letter at a random place; the update message for it."""
        assert self.doc is not None
        text = self.doc.get(BODY, type=Text)
        self._captured.clear()
        text.insert(self._random.randrange(len(text) + 1), self._random.choice(LETTERS))
        return update_message(self._captured[-1])


@dataclass(frozen=True)
class FanoutResult:
    updates: int
    expected: int
    delivered: int
    latencies_ms: list[float]
    byte_identical: int
    decoded: int
    unknown: int
    incomplete_updates: int  # updates that did not reach every other client
    disconnected: int
    drain_seconds: float
    client_cpu_percent: float

    @property
    def lost(self) -> int:
        return self.expected - self.delivered

    def p(self, fraction: float) -> float | None:
        return percentile(self.latencies_ms, fraction)


async def connect_peers(urls: list[str], writers: int, book: Book) -> list[Peer]:
    async def enter(index: int, url: str) -> Peer:
        ws = await open_socket(url, patience=60)
        peer = Peer(index, ws, book, writer=index < writers)
        await asyncio.wait_for(handshake(ws, peer.doc or Doc()), 60)
        return peer

    first = await enter(0, urls[0])  # the room exists before the crowd arrives
    rest = await asyncio.gather(*(enter(i, url) for i, url in enumerate(urls) if i > 0))
    return [first, *rest]


async def write_steadily(peer: Peer, args: argparse.Namespace, start: float) -> None:
    """``rate`` edits a second for ``seconds``, on an absolute schedule, phase-shifted."""
    interval = 1 / args.rate
    phase = interval * peer.index / max(1, args.writers)
    for k in range(round(args.rate * args.seconds)):
        delay = start + phase + k * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        frame = peer.edit()
        peer.book.register(frame, peer.index)
        try:
            await peer.ws.send(frame)
        except ConnectionClosed:
            return


async def drain(book: Book, expected: int, limit: float) -> float:
    """Wait (at most ``limit`` s) for every delivery; returns the time waited."""
    start = time.perf_counter()
    book.expect(expected)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(book.complete.wait(), limit)
    return time.perf_counter() - start


async def measure_fanout(urls: list[str], args: argparse.Namespace) -> FanoutResult:
    book = Book()
    peers = await connect_peers(urls, args.writers, book)
    listeners = [asyncio.create_task(p.listen()) for p in peers]
    cpu = psutil.Process()
    cpu_before, wall_before = sum(cpu.cpu_times()[:2]), time.perf_counter()
    start = time.perf_counter() + 0.5
    await asyncio.gather(*(write_steadily(p, args, start) for p in peers[: args.writers]))
    updates, receivers = len(book.by_frame), len(peers) - 1
    expected = updates * receivers
    drained = await drain(book, expected, args.timeout)
    cpu_used = sum(cpu.cpu_times()[:2]) - cpu_before
    wall = time.perf_counter() - wall_before
    await asyncio.gather(*(close_quietly(p.ws) for p in peers))
    await asyncio.gather(*listeners, return_exceptions=True)
    return FanoutResult(
        updates=updates,
        expected=expected,
        delivered=len(book.latencies),
        latencies_ms=sorted(s * 1000 for s in book.latencies),
        byte_identical=book.byte_identical,
        decoded=book.decoded,
        unknown=book.unknown,
        incomplete_updates=sum(1 for sent in book.by_frame.values() if sent.received < receivers),
        disconnected=sum(1 for p in peers if p.closed_by_server not in (None, 1000)),
        drain_seconds=drained,
        client_cpu_percent=100 * cpu_used / wall,
    )


# Ingest ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trace:
    frames: list[bytes]  # one update message per transaction
    end: str


def load_trace(path: Path) -> Trace:
    """Apply the trace to a local document, one transaction each, capturing the updates."""
    data = json.loads(gzip.decompress(path.read_bytes()))
    doc: Doc[Text] = Doc()
    text = doc.get(BODY, type=Text)
    updates: list[bytes] = []
    doc.observe(lambda event: updates.append(event.update))
    mirror = data["startContent"]
    for txn in data["txns"]:
        with doc.transaction():
            for position, deleted, inserted in txn["patches"]:
                mirror = apply_patch(text, mirror, position, deleted, inserted)
    if str(text) != data["endContent"] or mirror != data["endContent"]:
        raise RuntimeError("replaying the trace locally did not give its endContent")
    return Trace([update_message(u) for u in updates], data["endContent"])


def apply_patch(text: Text, mirror: str, position: int, deleted: int, inserted: str) -> str:
    """Splice at a code-point position; pycrdt's Text counts UTF-8 bytes. Returns the new
    plain-string mirror of the text, which converts code points to byte offsets."""
    ascii_only = mirror.isascii()
    start = position if ascii_only else len(mirror[:position].encode("utf-8"))
    if deleted:
        end = start + (
            deleted if ascii_only else len(mirror[position : position + deleted].encode("utf-8"))
        )
        del text[start:end]
    if inserted:
        text.insert(start, inserted)
    return mirror[:position] + inserted + mirror[position + deleted :]


@dataclass
class AckWatcher:
    """Reads the replaying client's socket: Palabre's acks, pycrdt-websocket's echoes."""

    acked: int = 0
    acked_at: float = 0.0
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self, ws: ClientConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for frame in ws:
                count = saved_count(frame)
                if count is not None:
                    self.acked, self.acked_at = count, time.perf_counter()
                    self.changed.set()

    async def wait(self, target: int, deadline: float) -> float | None:
        """When ``target`` updates were acknowledged, or None at the deadline."""
        while self.acked < target:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                return None
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), remaining)
        return self.acked_at


@dataclass(frozen=True)
class IngestRun:
    updates: int
    send_seconds: float
    acks: bool  # whether the server acknowledges durable updates
    durable_seconds: float | None  # None: no acks (reference) or timed out
    visible_seconds: float | None  # None: timed out
    syncs_ms: list[float]  # each sync of the observing client(s): connect to step 2
    sessions: list[str]  # for a followed run, how each connection of the follower went
    text_ok: bool | None  # None: no HTTP API


@dataclass(frozen=True)
class Joined:
    """A client that has just synced: its document, how long that took, its open socket."""

    doc: Doc[Text]
    seconds: float
    ws: ClientConnection

    @property
    def text(self) -> str:
        return str(self.doc.get(BODY, type=Text))


async def join(url: str, patience: float) -> Joined | None:
    """Connect and sync; the clock stops at sync step 2. None if refused or too slow."""
    start = time.perf_counter()
    try:
        ws = await open_socket(url, patience)
    except (OSError, TimeoutError, ConnectionClosed):
        return None
    doc: Doc[Text] = Doc()
    try:
        await asyncio.wait_for(handshake(ws, doc), patience)
    except (TimeoutError, ConnectionClosed):
        await close_quietly(ws)
        return None
    return Joined(doc, time.perf_counter() - start, ws)


async def poll_joins(url: str, end: str, deadline: float) -> tuple[float | None, list[float]]:
    """New clients join one after the other until one gets ``end`` in its sync step 2.
    Each leaves at once (closing in the background). Returns (when, each sync's ms)."""
    syncs: list[float] = []
    closing: list[asyncio.Task[None]] = []
    try:
        while (remaining := deadline - time.perf_counter()) > 0:
            joined = await join(url, remaining)
            if joined is None:
                await asyncio.sleep(POLL_SECONDS)
                continue
            seen = time.perf_counter()
            syncs.append(joined.seconds * 1000)
            closing.append(asyncio.create_task(close_quietly(joined.ws)))
            if joined.text == end:
                return seen, syncs
            await asyncio.sleep(POLL_SECONDS)
        return None, syncs
    finally:
        await asyncio.gather(*closing)


class Follower:
    """A client that joins once the replay is sent, then applies every broadcast until its
    text is the final one. Like a real client it syncs again on a fresh connection if the
    server closes it, or if nothing arrives for ``STALL_SECONDS`` (a dropped broadcast)."""

    def __init__(self, url: str, end: str) -> None:
        self.url = url
        self.end = end
        self.size = len(end.encode("utf-8"))  # pycrdt measures text in UTF-8 bytes
        self.syncs_ms: list[float] = []
        self.sessions: list[str] = []  # how each connection went
        self._received = 0

    async def follow(self, deadline: float) -> float | None:
        """When the text was complete, or None at the deadline."""
        while (remaining := deadline - time.perf_counter()) > 0:
            joined = await join(self.url, remaining)
            if joined is None:
                await asyncio.sleep(POLL_SECONDS)
                continue
            self.syncs_ms.append(joined.seconds * 1000)
            self._received = 0
            try:
                done = await self._apply_until_complete(joined, deadline)
                self._log("complete")
                return done
            except TimeoutError:
                stalled = time.perf_counter() < deadline
                self._log(f"nothing for {STALL_SECONDS:g} s" if stalled else "deadline")
            except ConnectionClosed as closed:
                code = closed.rcvd.code if closed.rcvd is not None else "no close frame"
                self._log(f"closed by the server ({code})")
            finally:
                await close_quietly(joined.ws)
        return None

    def _log(self, end: str) -> None:
        self.sessions.append(
            f"synced in {self.syncs_ms[-1]:.0f} ms, {self._received} updates received, {end}"
        )

    async def _apply_until_complete(self, joined: Joined, deadline: float) -> float:
        text = joined.doc.get(BODY, type=Text)
        loop = asyncio.get_running_loop()
        give_up = loop.time() + deadline - time.perf_counter()
        async with asyncio.timeout(None) as limit:
            while len(text) != self.size or str(text) != self.end:
                limit.reschedule(min(give_up, loop.time() + STALL_SECONDS))
                frame = await joined.ws.recv()
                if is_sync(frame, SYNC_UPDATE) or is_sync(frame, SYNC_STEP2):
                    assert isinstance(frame, bytes)
                    handle_sync_message(frame[1:], joined.doc)
                    self._received += 1
        return time.perf_counter()


async def send_all(ws: ClientConnection, frames: list[bytes]) -> None:
    for frame in frames:
        await ws.send(frame)


async def observe_ingest(
    server: Endpoints, run: int, end: str, deadline: float, follow: bool
) -> tuple[float | None, list[float], list[str]]:
    """When the replayed text reached a client that joined after the last send; the sync
    times; how each of the follower's connections went."""
    if follow:
        follower = Follower(server.joiners[run], end)
        return await follower.follow(deadline), follower.syncs_ms, follower.sessions
    return *await poll_joins(server.joiners[run], end, deadline), []


async def ingest_once(
    server: Endpoints, run: int, trace: Trace, patience: float, follow: bool
) -> IngestRun:
    ws = await open_socket(server.writers[run])
    watcher = AckWatcher()
    reader: asyncio.Task[None] | None = None
    try:
        answered = await asyncio.wait_for(handshake(ws, Doc()), patience)
        reader = asyncio.create_task(watcher.run(ws))
        start = time.perf_counter()
        await asyncio.wait_for(send_all(ws, trace.frames), patience)
        sent = time.perf_counter()
        deadline = sent + patience
        visible, syncs, sessions = await observe_ingest(server, run, trace.end, deadline, follow)
        target = len(trace.frames) + answered
        durable = await watcher.wait(target, deadline) if server.acks else None
        text_ok = None if server.fetch_text is None else await server.fetch_text(run) == trace.end
    finally:
        await close_quietly(ws)
        if reader is not None:
            reader.cancel()
    return IngestRun(
        updates=len(trace.frames),
        send_seconds=sent - start,
        acks=server.acks,
        durable_seconds=None if durable is None else durable - start,
        visible_seconds=None if visible is None else visible - start,
        syncs_ms=syncs,
        sessions=sessions,
        text_ok=text_ok,
    )


# Late joins --------------------------------------------------------------------------------


async def timed_joins(url: str, end: str, patience: float, pause: float) -> list[float | None]:
    """``JOINS`` joins one after the other: seconds to a complete sync, None if incomplete."""
    times: list[float | None] = []
    for _ in range(JOINS):
        joined = await join(url, patience)
        if joined is not None:
            await close_quietly(joined.ws)
        times.append(joined.seconds if joined is not None and joined.text == end else None)
        await asyncio.sleep(pause)
    return times


@dataclass(frozen=True)
class JoinResult:
    warm: list[float | None]  # another client keeps the room loaded
    idle: list[float | None]  # nobody else connected


async def measure_joins(url: str, end: str, pid: int, patience: float) -> JoinResult:
    await settle(pid)
    idle = await timed_joins(url, end, patience, pause=0.5)  # lets Palabre unload the room
    holder = await join(url, patience)
    try:
        warm = await timed_joins(url, end, patience, pause=0.1)
    finally:
        if holder is not None:
            await close_quietly(holder.ws)
    return JoinResult(warm=warm, idle=idle)


# One server, every load --------------------------------------------------------------------


@dataclass(frozen=True)
class SuiteResult:
    name: str
    fanout: FanoutResult | None
    fanout_error: str
    ingest: list[IngestRun]  # observed by new clients joining
    followed: IngestRun | None  # observed by one client connected during the replay
    ingest_errors: list[str]
    joins: JoinResult | None
    rss_mb: float
    other_cores: float  # CPU used by unrelated processes meanwhile
    tracebacks: int  # in the server's output
    notes: list[str] = field(default_factory=list)


@dataclass
class Ingests:
    polled: list[IngestRun] = field(default_factory=list)  # observed by new clients joining
    followed: IngestRun | None = None  # observed by a client connected during the replay
    errors: list[str] = field(default_factory=list)


async def run_ingests(server: Endpoints, trace: Trace, patience: float) -> Ingests:
    """Every run but the last observed by new clients; the last one followed."""
    ingests = Ingests()
    for run in range(len(server.writers)):
        follow = run == len(server.writers) - 1
        await settle(server.pid)
        try:
            result = await ingest_once(server, run, trace, patience, follow)
        except (OSError, TimeoutError, ConnectionClosed, httpx.HTTPError) as error:
            ingests.errors.append(f"ingest run {run + 1}: {error!r}")
        else:
            if follow:
                ingests.followed = result
            else:
                ingests.polled.append(result)
        print(f"  {server.name}: ingest run {run + 1}/{len(server.writers)} done", flush=True)
    return ingests


async def run_fanout(
    server: Endpoints, args: argparse.Namespace
) -> tuple[FanoutResult | None, str]:
    print(f"  {server.name}: fan-out ({len(server.fanout)} clients)...", flush=True)
    try:
        return await measure_fanout(server.fanout, args), ""
    except (OSError, TimeoutError, ConnectionClosed) as error:
        return None, repr(error)


async def run_suite(server: Endpoints, trace: Trace, args: argparse.Namespace) -> SuiteResult:
    with PeakRss(server.pid) as rss, OtherLoad([server.pid, os.getpid()]) as other:
        fanout, fanout_error = await run_fanout(server, args)
        ingests = await run_ingests(server, trace, args.timeout)
        joins = await measure_joins(server.joiners[-1], trace.end, server.pid, args.timeout)
    return SuiteResult(
        name=server.name,
        fanout=fanout,
        fanout_error=fanout_error,
        ingest=ingests.polled,
        followed=ingests.followed,
        ingest_errors=ingests.errors,
        joins=joins,
        rss_mb=rss.megabytes,
        other_cores=other.cores,
        tracebacks=count_tracebacks(server.log()),
    )


def count_tracebacks(log: str) -> int:
    return sum(
        1
        for line in log.splitlines()
        if line.startswith("Traceback") or line.startswith("  + Exception Group Traceback")
    )


# The Palabre run ---------------------------------------------------------------------------

# The benchmark measures capacity: at the default rates (100 updates/s per connection) the
# replaying client would be read at that pace, which is the policy, not the server's speed.
# The update check stays on.
CAPACITY = {
    "PALABRE_UPDATES_PER_SECOND": "100000000",
    "PALABRE_MEMBER_UPDATES_PER_SECOND": "100000000",
}


async def bench_palabre(directory: Path, trace: Trace, args: argparse.Namespace) -> SuiteResult:
    database_url = f"sqlite:///{directory / 'palabre.sqlite3'}"
    seeded = seed_palabre(database_url, args.clients, args.ingest_runs + 1)
    server = ServerProcess(database_url, CAPACITY).start()
    try:
        return await run_suite(palabre_endpoints(server, seeded), trace, args)
    finally:
        with contextlib.suppress(Exception):
            server.stop()
        server.kill()


# The reference run: pycrdt-websocket -------------------------------------------------------


class ReferenceProcess:
    """This file run with ``--serve-reference PORTFILE`` in its own process."""

    def __init__(self, directory: Path) -> None:
        self.portfile = directory / "reference.port"
        self.logfile = directory / "reference.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0

    def start(self, patience: float = 30) -> ReferenceProcess:
        command = [
            sys.executable,
            "-m",
            "tests.benchmarks.live",
            "--serve-reference",
            str(self.portfile),
        ]
        with self.logfile.open("wb") as log:
            self.process = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + patience
        while not self.portfile.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("reference server did not start:\n" + self.log()[-3000:])
            time.sleep(0.05)
        self.port = int(self.portfile.read_text())
        return self

    def log(self) -> str:
        return self.logfile.read_text(errors="replace") if self.logfile.exists() else ""

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


async def bench_reference(directory: Path, trace: Trace, args: argparse.Namespace) -> SuiteResult:
    reference = ReferenceProcess(directory).start()
    rooms = [f"/ingest-{i}" for i in range(args.ingest_runs + 1)]
    try:
        result = await run_suite(reference_endpoints(reference, args.clients, rooms), trace, args)
        assert reference.process is not None
        waited = await settle(reference.process.pid, args.timeout)
        notes = [f"its store, read {waited:.0f} s after the last load (SQLite file):"]
        notes += inspect_reference_store(directory / REFERENCE_STORE, rooms, trace.end)
        return replace(result, notes=notes)
    finally:
        reference.stop()


def inspect_reference_store(database: Path, rooms: list[str], end: str) -> list[str]:
    """What the reference's SQLite store holds for each ingest room."""
    lines = []
    try:
        uri = f"file:{database}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=10)) as db:
            for room in rooms:
                query = "SELECT yupdate FROM yupdates WHERE path = ?"
                updates = [bytes(row[0]) for row in db.execute(query, (room,))]
                complete = "complete" if stored_text(updates) == end else "INCOMPLETE"
                lines.append(f"  room {room}: {len(updates)} update rows, stored text {complete}")
    except sqlite3.Error as error:
        lines.append(f"  store unreadable: {error!r}")
    return lines


def stored_text(updates: list[bytes]) -> str:
    doc: Doc[Text] = Doc()
    if updates:
        doc.apply_update(merge_updates(*updates))
    return str(doc.get(BODY, type=Text))


def serve_reference(portfile: Path) -> None:
    """The pycrdt-websocket server (runs in the subprocess)."""
    asyncio.run(_serve_reference(portfile, portfile.parent / REFERENCE_STORE))


async def _serve_reference(portfile: Path, database: Path) -> None:
    from pycrdt.websocket import ASGIServer

    rooms = reference_rooms(database)
    async with rooms:
        config = uvicorn.Config(
            ASGIServer(rooms),
            host="127.0.0.1",
            port=0,
            ws="websockets-sansio",  # Palabre's websocket settings (palabre.server.cli.serve)
            ws_max_size=(8 << 20) + 4096,
            ws_ping_interval=20,
            ws_ping_timeout=20,
            log_level="warning",
            lifespan="on",
        )
        await AnnouncingServer(config, portfile).serve()


def reference_rooms(database: Path) -> WebsocketServer:
    """pycrdt-websocket's server, each room a YRoom whose updates go to one SQLite file.
    Imported here so that the default mode does not need pycrdt-websocket."""
    from pycrdt.store import SQLiteYStore
    from pycrdt.websocket import WebsocketServer, YRoom, exception_logger

    store_class = type("BenchYStore", (SQLiteYStore,), {"db_path": str(database)})

    class StoredRooms(WebsocketServer):
        """Rooms are created one at a time: two first clients must not both start one."""

        lock = asyncio.Lock()

        async def get_room(self, name: str) -> YRoom:
            async with self.lock:
                if name not in self.rooms:
                    self.rooms[name] = YRoom(
                        ystore=store_class(path=name), exception_handler=exception_logger
                    )
                room: YRoom = self.rooms[name]
                await self.start_room(room)
            return room

    return StoredRooms(auto_clean_rooms=False, exception_handler=exception_logger)


class AnnouncingServer(uvicorn.Server):
    """Writes its bound port to a file once it listens."""

    def __init__(self, config: uvicorn.Config, portfile: Path) -> None:
        super().__init__(config)
        self._portfile = portfile

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        port = self.servers[0].sockets[0].getsockname()[1]
        partial = self._portfile.with_suffix(".partial")
        partial.write_text(str(port))
        partial.rename(self._portfile)


# Report ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    label: str
    palabre: float | None
    reference: float | None
    lower_is_better: bool
    target: tuple[str, float] | None = None
    digits: int = 1


def fanout_rows(p: SuiteResult, r: SuiteResult | None) -> list[Row]:
    def get(s: SuiteResult | None, pick: Callable[[FanoutResult], float | None]) -> float | None:
        return None if s is None or s.fanout is None else pick(s.fanout)

    return [
        Row("fan-out p50 (ms)", get(p, lambda f: f.p(0.50)), get(r, lambda f: f.p(0.50)), True),
        Row("fan-out p95 (ms)", get(p, lambda f: f.p(0.95)), get(r, lambda f: f.p(0.95)), True),
        Row(
            "fan-out p99 (ms)",
            get(p, lambda f: f.p(0.99)),
            get(r, lambda f: f.p(0.99)),
            True,
            FANOUT_P99_MS,
        ),
        Row("fan-out max (ms)", get(p, lambda f: f.p(1.0)), get(r, lambda f: f.p(1.0)), True),
        Row(
            "fan-out lost deliveries",
            get(p, lambda f: f.lost),
            get(r, lambda f: f.lost),
            True,
            LOST,
            0,
        ),
    ]


def ingest_rate(s: SuiteResult | None, pick: Callable[[IngestRun], float | None]) -> float | None:
    if s is None:
        return None
    return median([rate(run.updates, pick(run)) for run in s.ingest])


def followed_rate(s: SuiteResult | None) -> float | None:
    if s is None or s.followed is None:
        return None
    return rate(s.followed.updates, s.followed.visible_seconds)


def join_ms(s: SuiteResult | None, warm: bool) -> float | None:
    if s is None or s.joins is None:
        return None
    value = median(s.joins.warm if warm else s.joins.idle)
    return None if value is None else value * 1000


def other_rows(p: SuiteResult, r: SuiteResult | None) -> list[Row]:
    return [
        Row(
            "ingest, acked durable (updates/s)",
            ingest_rate(p, lambda i: i.durable_seconds),
            None,
            False,
            INGEST_PER_SECOND,
            0,
        ),
        Row(
            "ingest, visible to a new client (updates/s)",
            ingest_rate(p, lambda i: i.visible_seconds),
            ingest_rate(r, lambda i: i.visible_seconds),
            False,
            None,
            0,
        ),
        Row(
            "ingest, reached a client connected during it (/s)",
            followed_rate(p),
            followed_rate(r),
            False,
            None,
            0,
        ),
        Row(
            "late join, room loaded (ms, median of 5)",
            join_ms(p, True),
            join_ms(r, True),
            True,
            JOIN_MS,
        ),
        Row(
            "late join, nobody connected (ms, median of 5)",
            join_ms(p, False),
            join_ms(r, False),
            True,
        ),
        Row("server peak RSS (MB)", p.rss_mb, None if r is None else r.rss_mb, True, RSS_MB),
    ]


def show(value: float | None, digits: int) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def verdict(value: float | None, target: tuple[str, float] | None) -> str:
    if target is None:
        return ""
    op, threshold = target
    text = f"{op} {threshold:,g}"
    if value is None:
        return f"{text:>10}  MISS"
    ok = {"<": value < threshold, ">": value > threshold, "=": value == threshold}[op]
    return f"{text:>10}  {'PASS' if ok else 'MISS'}"


def comparison(row: Row) -> tuple[str, str]:
    """(palabre / reference, which one is better)."""
    if row.palabre is None or row.reference is None:
        return "", ""
    if row.reference == 0:
        return ("", "equal") if row.palabre == 0 else ("", "pycrdt-websocket")
    ratio = row.palabre / row.reference
    if ratio == 1:
        return "1.00", "equal"
    palabre_better = (ratio < 1) == row.lower_is_better
    return f"{ratio:.3g}", "palabre" if palabre_better else "pycrdt-websocket"


def print_table(rows: list[Row], compare: bool) -> None:
    header = f"{'metric':<47}{'palabre':>12}"
    if compare:
        header += f"{'pycrdt-ws':>12}{'ratio P/R':>11}  {'better':<17}"
    print(header + f"{'target':>10}  status")
    print("-" * len(header + "target    status  "))
    for row in rows:
        line = f"{row.label:<47}{show(row.palabre, row.digits):>12}"
        if compare:
            ratio, better = comparison(row)
            line += f"{show(row.reference, row.digits):>12}{ratio:>11}  {better:<17}"
        print(line + verdict(row.palabre, row.target))


def describe_fanout(s: SuiteResult) -> list[str]:
    f = s.fanout
    if f is None:
        return [f"fan-out failed: {s.fanout_error}"]
    return [
        f"fan-out: {f.updates} updates x {f.expected // max(1, f.updates)} receivers = "
        f"{f.expected} deliveries expected, {f.delivered} received, {f.lost} lost, "
        f"{f.incomplete_updates} updates missing somewhere (waited {f.drain_seconds:.1f} s "
        f"after the last send); update frames received byte-identical to what the writer sent: "
        f"{f.byte_identical}, matched by decoding (client, clock): {f.decoded}, unmatched: "
        f"{f.unknown}; clients closed by the server: {f.disconnected}; benchmark process CPU "
        f"during the load: {f.client_cpu_percent:.0f}% of one core",
    ]


def describe_run(label: str, run: IngestRun, observer: str) -> str:
    durable = "n/a (no acks)" if not run.acks else "timeout"
    if run.durable_seconds is not None:
        durable = f"{run.durable_seconds:.2f} s"
    visible = "timeout" if run.visible_seconds is None else f"{run.visible_seconds:.2f} s"
    text = {None: "n/a", True: "OK", False: "MISMATCH"}[run.text_ok]
    syncs = ", ".join(f"{ms:.0f}" for ms in run.syncs_ms) or "none completed"
    return (
        f"  {label}: {run.updates} updates sent in {run.send_seconds:.2f} s; acked durable "
        f"after {durable}; complete for {observer} after {visible}; server text over HTTP: "
        f"{text}; syncs during the run took (ms): {syncs}"
    )


def describe_ingest(s: SuiteResult) -> list[str]:
    lines = [
        f"ingest: {len(s.ingest)} run(s) observed by new clients (median reported), then one "
        f"observed by a client connected during it; {len(s.ingest_errors)} run(s) failed"
    ]
    for i, run in enumerate(s.ingest, 1):
        lines.append(describe_run(f"run {i}", run, "a new client"))
    if s.followed is not None:
        lines.append(describe_run("followed run", s.followed, "the connected client"))
        lines += [f"    connection {i}: {text}" for i, text in enumerate(s.followed.sessions, 1)]
    lines += [f"  {error}" for error in s.ingest_errors]
    return lines


def describe_joins(s: SuiteResult) -> list[str]:
    if s.joins is None:
        return []

    def fmt(values: list[float | None]) -> str:
        return ", ".join("failed" if v is None else f"{v * 1000:.1f}" for v in values)

    return [
        f"late joins (ms): room loaded [{fmt(s.joins.warm)}]; "
        f"nobody connected [{fmt(s.joins.idle)}]"
    ]


def print_details(results: list[SuiteResult]) -> None:
    for s in results:
        print(f"\n{s.name}:")
        for line in describe_fanout(s) + describe_ingest(s) + describe_joins(s) + s.notes:
            print(f"  {line}")
        print(f"  tracebacks in the server's output: {s.tracebacks}")
        print(
            f"  other processes on this machine used {s.other_cores:.2f} cores on average "
            "meanwhile (the machine has 2; anything above ~0.1 makes the figures noisier)"
        )


def report(args: argparse.Namespace, p: SuiteResult, r: SuiteResult | None) -> None:
    print(
        f"\nLoad: {args.clients} clients, {args.writers} writers x {args.rate} edits/s x "
        f"{args.seconds} s; ingest of {TRACE.name}: {args.ingest_runs} run(s) per server "
        "observed by new clients, plus one followed by a connected client; late joins after "
        "the last replay.\n"
    )
    print_table(fanout_rows(p, r) + other_rows(p, r), compare=r is not None)
    if r is not None:
        print(
            "\nratio P/R = palabre / pycrdt-websocket; for ms, MB and lost a ratio below 1 "
            "favours palabre, for updates/s a ratio above 1 does. pycrdt-websocket has no "
            "save acknowledgements: the two other ingest lines compare it; it keeps idle "
            "rooms in memory, where palabre reloads them from SQLite."
        )
    print_details([p] if r is None else [p, r])


# Entry point -------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks.live",
        description="Fan-out latency, ingest rate, late-join time and peak RSS of a live "
        "Palabre server (and of pycrdt-websocket with --compare).",
    )
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--writers", type=int, default=20)
    parser.add_argument("--rate", type=float, default=5.0, help="edits per second per writer")
    parser.add_argument("--seconds", type=float, default=10.0, help="fan-out load duration")
    parser.add_argument("--ingest-runs", type=int, default=3)
    parser.add_argument(
        "--timeout", type=float, default=30.0, help="bound on every wait for a server (s)"
    )
    parser.add_argument("--compare", action="store_true", help="also run pycrdt-websocket")
    parser.add_argument(
        "--stock-sizes",
        default="25,100,250",
        help="fan-out sizes for the stock clients in Node, a fifth of them writing "
        "(empty: skip the side-by-side run with the Node reference)",
    )
    parser.add_argument("--rounds", type=int, default=1, help="fan-out rounds per size (stock)")
    parser.add_argument(
        "--max-writers",
        type=int,
        default=20,
        help="writers per stock fan-out: a fifth of the clients, at most this many",
    )
    parser.add_argument(
        "--cursor-moves",
        action="store_true",
        help="stock writers move their awareness cursor at each edit (doubles the messages)",
    )
    parser.add_argument(
        "--stock-ingest-runs",
        type=int,
        default=2,
        help="stock ingest runs observed by a new client (one more is followed)",
    )
    parser.add_argument(
        "--skip-python",
        action="store_true",
        help="skip the Python clients' run (only the stock clients, side by side)",
    )
    parser.add_argument("--serve-reference", type=Path, metavar="PORTFILE", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not 0 < args.writers <= args.clients or args.ingest_runs < 1:
        parser.error("need 0 < writers <= clients and at least one ingest run")
    return args


async def bench(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    print(f"Preparing {TRACE.name}...", flush=True)
    trace = load_trace(TRACE)
    print(f"  {len(trace.frames)} updates, final text {len(trace.end)} characters", flush=True)
    with tempfile.TemporaryDirectory(prefix="palabre-bench-") as tmp:
        if not args.skip_python:
            palabre = await bench_palabre(Path(tmp), trace, args)
            reference = await bench_reference(Path(tmp), trace, args) if args.compare else None
            report(args, palabre, reference)
        if args.stock_sizes:
            from tests.benchmarks import side_by_side  # it reads this module's helpers

            print("\nStock clients in Node, Palabre and @y/websocket-server side by side...")
            await side_by_side.compare(Path(tmp), args)
    print(f"\nTotal time: {time.perf_counter() - started:.0f} s")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.serve_reference is not None:
        serve_reference(args.serve_reference)
        return 0
    asyncio.run(bench(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
