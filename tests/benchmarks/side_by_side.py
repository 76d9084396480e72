"""Palabre next to the Node reference server, both driven by stock ``y-websocket`` clients in
Node, in the same run: the part of ``python -m tests.benchmarks.live`` that says how Palabre
compares with what people would otherwise run.

The clients (``tests/benchmarks/node/load.mjs``) behave as browsers do: the unmodified
provider, permessage-deflate offered (each server's handshake answer is recorded and
printed: Palabre's uvicorn accepts it, ``@y/websocket-server``'s ``ws`` server declines it by
default), awareness on with a cursor moved at each edit, reconnection and the 30-second
liveness rule as shipped. The reference is ``@y/websocket-server`` run as its package ships
it, documents in memory only; Palabre stores every update (SQLite, default settings).

Both servers run side by side; each measurement alternates between them, Palabre first:

- fan-out, for each size (default 25, 100 and 250 clients, a fifth of them writing 5 edits/s
  for 10 s): latency percentiles over every (edit, other client) pair, lost deliveries, the
  server's peak RSS during that load; for Palabre, whether the stored text (read back over
  HTTP) is the clients' final text;
- ingest of seph-blog1 (137,154 transactions) through one stock client into a new document:
  the rate until a client joining after the last edit holds the final text (medians over
  ``--ingest-runs``); for Palabre also until the stored text is the final text ("persisted");
- late join of that document: a new client's time to a synced, complete text, with another
  client connected (room loaded) and with nobody connected (Palabre loads it from SQLite),
  medians of 5;
- restart: 25 clients hold that document; the server is stopped (SIGTERM) and started again
  on the same port; the time until every client has reconnected and synced again (the
  provider's own backoff included). The reference comes back empty (memory only) and gets
  the text back from its clients; Palabre reloads it from its store.

Ratios are Palabre / reference: below 1 favours Palabre for times and memory, above 1 for
rates. Nothing is asserted; targets are marked PASS or MISS.

Why one file of over 400 lines: it is one program (the two servers, each measurement, the
report), run as one comparison; its parts are called from nowhere else.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import gzip
import hashlib
import json
import statistics
import subprocess
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from palabre.domain.roles import Country, Role
from palabre.server.storage.database import Database, open_application

from tests.benchmarks import stock
from tests.benchmarks.live import CAPACITY, TRACE, CpuTime, OtherLoad, PeakRss, settle
from tests.benchmarks.stock import NodeReference, StockClient
from tests.support.server import ServerProcess

Json = dict[str, Any]
ORGANISATION = "Banc d'essai"
RESTART_CLIENTS = 25
REFERENCE_NAME = "@y/websocket-server"


@dataclass(frozen=True)
class Loads:
    sizes: list[int]
    writers: dict[int, int]
    rate: float
    seconds: float
    rounds: int
    cursor_moves: bool
    ingest_runs: int  # observed by a new client; one more is followed by a connected one
    timeout: float
    end: str  # the trace's final text

    @property
    def end_sha256(self) -> str:
        return hashlib.sha256(self.end.encode("utf-8")).hexdigest()


def loads(args: argparse.Namespace) -> Loads:
    sizes = [int(size) for size in args.stock_sizes.split(",") if size]
    return Loads(
        sizes=sizes,
        writers={size: max(1, min(size // 5, args.max_writers)) for size in sizes},
        rate=args.rate,
        seconds=args.seconds,
        rounds=args.rounds,
        cursor_moves=args.cursor_moves,
        ingest_runs=args.stock_ingest_runs,
        timeout=args.timeout,
        end=json.loads(gzip.decompress(TRACE.read_bytes()))["endContent"],
    )


# The two servers -----------------------------------------------------------------------------


class Target:
    """What the suite needs of one server."""

    name: str

    def pid(self) -> int:
        raise NotImplementedError

    def fanout(self, size: int, round_: int) -> list[StockClient]:
        raise NotImplementedError

    def ingest(self, run: int) -> StockClient:
        raise NotImplementedError

    def restart(self) -> None:
        raise NotImplementedError

    async def stored_digest(self, client: StockClient) -> str | None:
        """SHA-256 of the stored text of the client's document; None: nothing is stored."""
        return None


@dataclass(frozen=True)
class PalabreSeed:
    tokens: list[str]  # editors of every document
    fanout: dict[tuple[int, int], str]  # (size, round) -> document
    ingest: list[str]
    reader: str


def seed_palabre(database_url: str, plan: Loads) -> PalabreSeed:
    app = open_application(Database(database_url))
    try:
        tokens = [
            app.add_member(f"Client {i}", ORGANISATION, Country.FR, Role.EDITOR).token
            for i in range(max([*plan.sizes, RESTART_CLIENTS]))
        ]
        fanout = {
            (size, round_): str(app.create_document(f"Fan-out {size} #{round_}").id)
            for size in plan.sizes
            for round_ in range(plan.rounds)
        }
        ingest = [str(app.create_document(f"Ingest {i}").id) for i in range(plan.ingest_runs + 1)]
    finally:
        app.close()
    return PalabreSeed(tokens, fanout, ingest, tokens[0])


class PalabreTarget(Target):
    name = "palabre"

    def __init__(self, server: ServerProcess, seeded: PalabreSeed) -> None:
        self.server = server
        self.seeded = seeded
        self.notes: list[str] = []
        self._document_of: dict[str, str] = {}

    def pid(self) -> int:
        assert self.server.process is not None
        return self.server.process.pid

    def _client(self, document: str, token: str) -> StockClient:
        return StockClient(f"{self.server.ws_url}/ws", document, {"token": token})

    def fanout(self, size: int, round_: int) -> list[StockClient]:
        document = self.seeded.fanout[(size, round_)]
        return [self._client(document, token) for token in self.seeded.tokens[:size]]

    def ingest(self, run: int) -> StockClient:
        return self._client(self.seeded.ingest[run], self.seeded.tokens[run % 2])

    def restart(self) -> None:
        """SIGTERM, then SIGKILL if the graceful stop takes over a minute; start again."""
        mark = len(self.server.output)
        started = time.perf_counter()
        self.notes.append(f"SIGTERM at {datetime.now(UTC).isoformat(timespec='milliseconds')}")
        try:
            self.server.stop(timeout=60)
        except subprocess.TimeoutExpired:
            self.server.kill()
            self.notes.append("the graceful stop took over 60 s: killed")
        self.notes.append(f"stopped in {time.perf_counter() - started:.1f} s")
        stages = ("Shutting down", "Waiting for", "shutdown complete", "Cancel", "not be stored")
        waits = [
            line.strip()
            for line in self.server.output[mark:]
            if any(stage in line for stage in stages)
        ]
        self.notes.extend(f"server: {line[:200]}" for line in waits)
        started = time.perf_counter()
        self.server.start()
        self.notes.append(f"started again in {time.perf_counter() - started:.1f} s")

    async def stored_digest(self, client: StockClient) -> str | None:
        headers = {"Authorization": f"Bearer {self.seeded.reader}"}
        document = f"{self.server.base_url}/api/documents/{client.room}"
        async with httpx.AsyncClient(trust_env=False, timeout=60, headers=headers) as http:
            position = (await http.get(document)).json()["contributions"]
            text = await http.get(f"{document}/history/at", params={"position": position})
            return hashlib.sha256(text.content).hexdigest()


class ReferenceTarget(Target):
    name = REFERENCE_NAME

    def __init__(self, reference: NodeReference) -> None:
        self.reference = reference
        self.notes: list[str] = []

    def pid(self) -> int:
        return self.reference.pid

    def fanout(self, size: int, round_: int) -> list[StockClient]:
        return [StockClient(self.reference.url, f"fanout-{size}-{round_}")] * size

    def ingest(self, run: int) -> StockClient:
        return StockClient(self.reference.url, f"ingest-{run}")

    def restart(self) -> None:
        started = time.perf_counter()
        self.reference.stop()
        stopped = time.perf_counter()
        self.reference.restart()
        self.notes.append(f"stopped in {stopped - started:.1f} s")
        self.notes.append(f"started again in {time.perf_counter() - stopped:.1f} s")


# Measurements --------------------------------------------------------------------------------


@dataclass
class FanoutRound:
    result: Json
    rss_mb: float
    persisted: bool | None  # None: the server stores nothing
    cpu_seconds: float = 0.0  # the server's, during the load
    other_cores: float = 0.0  # what every other process on the machine used meanwhile


@dataclass
class IngestRun:
    updates: int
    visible_seconds: float | None
    persisted_seconds: float | None
    followed: bool
    cpu_seconds: float = 0.0  # the server's, until visible


@dataclass
class Suite:
    target: Target
    fanouts: dict[int, list[FanoutRound]] = field(default_factory=dict)
    ingests: list[IngestRun] = field(default_factory=list)
    joins_warm: list[float | None] = field(default_factory=list)
    joins_idle: list[float | None] = field(default_factory=list)
    restart: Json | None = None
    handshakes: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)
    rss_mb: float = 0.0


async def wait_stored(target: Target, client: StockClient, digest: str, patience: float) -> bool:
    """Whether the stored text reaches ``digest`` within ``patience`` seconds."""
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        if await target.stored_digest(client) == digest:
            return True
        await asyncio.sleep(0.25)
    return False


async def fanout_round(suite: Suite, size: int, round_: int, plan: Loads) -> None:
    target = suite.target
    await settle(target.pid())
    config = {
        "clients": [client.json() for client in target.fanout(size, round_)],
        "writers": plan.writers[size],
        "rate": plan.rate,
        "seconds": plan.seconds,
        "cursor_moves": plan.cursor_moves,
        "timeout": plan.timeout,
    }
    with PeakRss(target.pid()) as rss, CpuTime(target.pid()) as cpu, OtherLoad([]) as other:
        answer = await stock.run("fanout", config, plan.timeout * 4 + plan.seconds)
    suite.handshakes.update(answer["handshakes"]["answers"])
    result: Json = answer["result"]
    persisted = None
    if isinstance(target, PalabreTarget):
        first = target.fanout(size, round_)[0]
        persisted = await wait_stored(target, first, result["sha256"], plan.timeout)
    found = FanoutRound(result, rss.megabytes, persisted, cpu.seconds, other.cores)
    suite.fanouts.setdefault(size, []).append(found)
    print(
        f"  {target.name}: {size} clients, round {round_ + 1}: p99 {result['p99']:.1f} ms, "
        f"{result['expected'] - result['delivered']} lost, server CPU {cpu.seconds:.1f} s, "
        f"machine {other.cores:.2f} cores busy, load generator's loop p99 "
        f"{result['event_loop_p99_ms']:.0f} ms",
        flush=True,
    )


async def ingest_run(suite: Suite, run: int, plan: Loads, follow: bool) -> None:
    target = suite.target
    await settle(target.pid())
    client = target.ingest(run)
    config = {
        "writer": client.json(),
        "observer": client.json(),
        "trace": str(TRACE),
        "follow": follow,
        "timeout": plan.timeout,
    }
    with CpuTime(target.pid()) as cpu:
        answer = await stock.run("ingest", config, plan.timeout * 4)
    suite.handshakes.update(answer["handshakes"]["answers"])
    result: Json = answer["result"]
    persisted = None
    stores = isinstance(target, PalabreTarget)
    if stores and await wait_stored(target, client, plan.end_sha256, plan.timeout):
        persisted = time.time() - result["start_epoch_ms"] / 1000
    suite.ingests.append(
        IngestRun(result["updates"], result["visible_seconds"], persisted, follow, cpu.seconds)
    )
    print(f"  {target.name}: ingest run {run + 1} done", flush=True)


async def late_joins(suite: Suite, plan: Loads) -> None:
    target = suite.target
    client = target.ingest(plan.ingest_runs)  # the followed run's document
    base = {
        "client": client.json(),
        "length": len(plan.end),
        "sha256": plan.end_sha256,
        "runs": 5,
        "timeout": plan.timeout,
    }
    await settle(target.pid())
    idle = await stock.run("joins", base | {"pause_ms": 1000, "hold": False}, plan.timeout * 6)
    warm = await stock.run("joins", base | {"pause_ms": 100, "hold": True}, plan.timeout * 6)
    suite.joins_idle = [_seconds(ms) for ms in idle["result"]["times_ms"]]
    suite.joins_warm = [_seconds(ms) for ms in warm["result"]["times_ms"]]


def _seconds(ms: float | None) -> float | None:
    return None if ms is None else ms / 1000


async def restart(suite: Suite, plan: Loads) -> None:
    target = suite.target
    client = target.ingest(plan.ingest_runs)
    if isinstance(target, PalabreTarget):
        tokens = target.seeded.tokens[:RESTART_CLIENTS]
        clients = [StockClient(client.server, client.room, {"token": t}) for t in tokens]
    else:
        clients = [client] * RESTART_CLIENTS
    config = {
        "clients": [c.json() for c in clients],
        "length": len(plan.end),
        "sha256": plan.end_sha256,
        "timeout": plan.timeout,
    }
    await settle(target.pid())
    phase = await stock.Phase.start("restart", config)
    try:
        await phase.next(plan.timeout * 2)  # ready
        await phase.send("stop")
        await asyncio.to_thread(target.restart)
        answer = await phase.result(plan.timeout * 2)
    finally:
        await phase.kill()
    suite.restart = answer["result"]


async def run_both(palabre: Suite, reference: Suite, plan: Loads) -> None:
    """Every measurement, alternating between the two servers, Palabre first."""
    suites = (palabre, reference)
    steps: list[Callable[[Suite], Awaitable[None]]] = [
        functools.partial(fanout_round, size=size, round_=round_, plan=plan)
        for size in plan.sizes
        for round_ in range(plan.rounds)
    ]
    steps += [
        functools.partial(ingest_run, run=run, plan=plan, follow=run == plan.ingest_runs)
        for run in range(plan.ingest_runs + 1)
    ]
    steps += [functools.partial(late_joins, plan=plan), functools.partial(restart, plan=plan)]
    for step in steps:
        for suite in suites:
            try:
                await step(suite)
            except Exception as error:  # a benchmark reports what failed and goes on
                suite.errors.append(repr(error))
                print(f"  {suite.target.name}: {error!r}", flush=True)


# Report --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    label: str
    palabre: float | None
    reference: float | None
    lower_is_better: bool
    target: str = ""  # "ratio<=1", "ratio>=1", "<150"
    digits: int = 1


def _median(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def _fanout_value(
    suite: Suite, size: int, pick: Callable[[FanoutRound], float | None]
) -> float | None:
    return _median([pick(r) for r in suite.fanouts.get(size, [])])


def _result(r: FanoutRound, key: str) -> float | None:
    value: float | None = r.result[key]
    return value


def _lost(r: FanoutRound) -> float:
    return float(r.result["expected"] - r.result["delivered"])


def lines(p: Suite, r: Suite, plan: Loads) -> list[Line]:
    found: list[Line] = []
    for size in plan.sizes:
        label = f"{size} clients, {plan.writers[size]} writers:"
        for key in ("p50", "p95", "p99"):
            target = "ratio<=1" if key == "p99" else ""
            found.append(
                Line(
                    f"{label} fan-out {key} (ms)",
                    _fanout_value(p, size, functools.partial(_result, key=key)),
                    _fanout_value(r, size, functools.partial(_result, key=key)),
                    True,
                    target,
                )
            )
        found.append(
            Line(
                f"{label} lost deliveries",
                _fanout_value(p, size, _lost),
                _fanout_value(r, size, _lost),
                True,
                "=0",
                0,
            )
        )
        found.append(
            Line(
                f"{label} server CPU during the load (s)",
                _fanout_value(p, size, lambda x: x.cpu_seconds),
                _fanout_value(r, size, lambda x: x.cpu_seconds),
                True,
            )
        )
        rss_target = "<150" if size == max(plan.sizes) else ""
        found.append(
            Line(
                f"{label} server peak RSS (MB)",
                _fanout_value(p, size, lambda x: x.rss_mb),
                _fanout_value(r, size, lambda x: x.rss_mb),
                True,
                rss_target,
            )
        )
    found += [
        Line(
            "ingest seph-blog1, visible to a new client (updates/s)",
            _rate(p, persisted=False),
            _rate(r, persisted=False),
            False,
            "ratio>=1",
            0,
        ),
        Line(
            "ingest seph-blog1, persisted (updates/s)", _rate(p, persisted=True), None, False, "", 0
        ),
        Line(
            "ingest seph-blog1: server CPU per run (s)",
            _median([run.cpu_seconds for run in p.ingests]),
            _median([run.cpu_seconds for run in r.ingests]),
            True,
        ),
        Line(
            "late join, room loaded (ms, median of 5)",
            _ms(_median(p.joins_warm)),
            _ms(_median(r.joins_warm)),
            True,
            "ratio<=1",
        ),
        Line(
            "late join, nobody connected (ms, median of 5)",
            _ms(_median(p.joins_idle)),
            _ms(_median(r.joins_idle)),
            True,
        ),
        Line(
            f"restart: {RESTART_CLIENTS} clients reconnected and synced (s)",
            _restart(p),
            _restart(r),
            True,
            "",
            2,
        ),
        Line("server peak RSS over the whole suite (MB)", p.rss_mb, r.rss_mb, True),
    ]
    return found


def _rate(suite: Suite, persisted: bool) -> float | None:
    rates = []
    for run in suite.ingests:
        seconds = run.persisted_seconds if persisted else run.visible_seconds
        if seconds:
            rates.append(run.updates / seconds)
    return _median(rates)


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000


def _restart(suite: Suite) -> float | None:
    if suite.restart is None:
        return None
    value: float | None = suite.restart["all_seconds"]
    return value


def _show(value: float | None, digits: int) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def _status(line: Line) -> tuple[str, str]:
    """(ratio, status)"""
    ratio = None
    if line.palabre is not None and line.reference:
        ratio = line.palabre / line.reference
    shown = "" if ratio is None else f"{ratio:.2f}"
    if not line.target:
        return shown, ""
    if line.target.startswith("ratio"):
        if ratio is None:
            return shown, "MISS"
        ok = ratio <= 1 if line.target == "ratio<=1" else ratio >= 1
    elif line.target == "=0":
        ok = line.palabre == 0
    else:
        ok = line.palabre is not None and line.palabre < float(line.target[1:])
    return shown, "PASS" if ok else "MISS"


def report(p: Suite, r: Suite, plan: Loads) -> None:
    print(
        f"\nStock y-websocket clients in Node, side by side with {REFERENCE_NAME} (memory only); "
        f"{plan.rate:g} edits/s per writer for {plan.seconds:g} s; medians of {plan.rounds} "
        f"round(s) per size, of {plan.ingest_runs + 1} ingest runs, of 5 joins.\n"
    )
    header = f"{'metric':<58}{'palabre':>10}{'reference':>11}{'P/R':>7}{'target':>10}  status"
    print(header)
    print("-" * len(header))
    for line in lines(p, r, plan):
        ratio, status = _status(line)
        target = line.target.replace("ratio", "P/R ")
        print(
            f"{line.label:<58}{_show(line.palabre, line.digits):>10}"
            f"{_show(line.reference, line.digits):>11}{ratio:>7}{target:>10}  {status}"
        )
    for suite in (p, r):
        print(f"\n{suite.target.name}:")
        print(f"  handshake answers (Sec-WebSocket-Extensions): {sorted(suite.handshakes)}")
        for size, rounds in sorted(suite.fanouts.items()):
            for k, found in enumerate(rounds, 1):
                x = found.result
                stored = {None: "n/a", True: "yes", False: "NO"}[found.persisted]
                print(
                    f"  fan-out {size} #{k}: {x['updates']} edits, {x['delivered']}/"
                    f"{x['expected']} deliveries, p50/p95/p99/max {x['p50']:.1f}/{x['p95']:.1f}/"
                    f"{x['p99']:.1f}/{x['max']:.1f} ms, server CPU {found.cpu_seconds:.1f} s, "
                    f"machine busy {found.other_cores:.2f} cores, converged {x['converged']}, "
                    f"stored text is the final text: {stored}, reconnections {x['reconnections']} "
                    f"(close codes {x.get('close_codes', {})}), "
                    f"load generator {x['load_cpu']:.2f} cores (event loop p99 "
                    f"{x['event_loop_p99_ms']:.0f} ms)"
                )
        for run in suite.ingests:
            kind = "followed" if run.followed else "new client"
            print(
                f"  ingest ({kind}): visible after {_show(run.visible_seconds, 2)} s, persisted "
                f"after {_show(run.persisted_seconds, 2)} s"
            )
        joins = ", ".join(_show(_ms(v), 1) for v in suite.joins_warm)
        idle = ", ".join(_show(_ms(v), 1) for v in suite.joins_idle)
        print(f"  late joins (ms): room loaded [{joins}]; nobody connected [{idle}]")
        print(f"  restart: {suite.restart}; {'; '.join(getattr(suite.target, 'notes', []))}")
        for error in suite.errors:
            print(f"  error: {error}")


# Entry point ---------------------------------------------------------------------------------


async def compare(directory: Path, args: argparse.Namespace) -> None:
    plan = loads(args)
    database_url = f"sqlite:///{directory / 'palabre-stock.sqlite3'}"
    seeded = seed_palabre(database_url, plan)
    server = ServerProcess(database_url, CAPACITY).start()
    reference = NodeReference(directory / "reference-node.log").start()
    try:
        palabre = Suite(PalabreTarget(server, seeded))
        node = Suite(ReferenceTarget(reference))
        with PeakRss(palabre.target.pid()) as p_rss, PeakRss(reference.pid) as r_rss:
            await run_both(palabre, node, plan)
        palabre.rss_mb, node.rss_mb = p_rss.megabytes, r_rss.megabytes
    finally:
        reference.stop()
        with contextlib.suppress(Exception):
            server.stop()
        server.kill()
    report(palabre, node, plan)
