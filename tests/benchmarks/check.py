"""What the update check costs, with it on and off (``PALABRE_UPDATE_CHECK``), in the same
run, alternately, so that ratios hold on a busy machine where absolute figures do not.

    python -m tests.benchmarks.check [--updates N] [--runs N] [--skip-stock] [--clients N]

Three measurements, each printed with its medians and the ratio on / off:

the check alone
    every update of seph-blog1 (137,154) read by ``check_update`` (the keystroke reader,
    then the full reader for what it does not recognise) and by the full reader alone: CPU
    time per update (best of the runs), and the share the keystroke reader reads.
in process
    seph-blog1 replayed through a live room (parse, check, apply, fan-out to one reader,
    batching into a recording store), with the check and with ``unchecked``: updates per
    second of CPU time (what the process spent) and of wall time.
end to end (stock clients)
    two servers on their own SQLite files, one with the check, one with
    ``PALABRE_UPDATE_CHECK=off``, both at the live benchmark's capacity rates; for each run
    and each server (the order alternates between runs): fan-out of ``--clients`` stock
    ``y-websocket`` clients in Node, a fifth writing 5 edits/s for 10 s (latency p50/p95/p99
    over every (edit, other client) pair, deliveries lost), then seph-blog1 typed by one
    stock client (updates/s until a new client sees the whole text and until it is stored),
    with the server's CPU time per delivery and per update typed (the whole run's: storing,
    and the reads that see the text stored, included). The Node side and the measurements
    are ``tests/benchmarks/side_by_side.py``'s.

Nothing is asserted; the ratios are the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import json
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil  # type: ignore[import-untyped]
from palabre.server.crdt.check import Shape, check_in_full, check_update, read_keystroke
from palabre.server.crdt.protocol import update_message
from palabre.server.live.checker import InlineChecker, unchecked
from palabre.server.settings import Settings

from tests.benchmarks import side_by_side as stock
from tests.benchmarks.live import CAPACITY, TRACE
from tests.support import traces
from tests.support.core import Core
from tests.support.server import ServerProcess

RUNS = 5
STOCK_RUNS = 3


def cpu_seconds(pid: int | None = None) -> float:
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


# The check alone ------------------------------------------------------------------------------


def per_update(check: Callable[[bytes], Shape], updates: list[bytes], runs: int) -> float:
    """Microseconds of CPU per update, best of ``runs``."""
    best = float("inf")
    for _ in range(runs):
        started = time.process_time()
        for update in updates:
            check(update)
        best = min(best, time.process_time() - started)
    return best / len(updates) * 1e6


def the_check_alone(updates: list[bytes], runs: int) -> None:
    read = sum(read_keystroke(u) is not None for u in updates)
    both = per_update(check_update, updates, runs)
    full = per_update(check_in_full, updates, runs)
    print(f"\nThe check alone ({len(updates)} updates, CPU time, best of {runs}):")
    print(f"  read by the keystroke reader: {read} ({read / len(updates):.1%})")
    print(f"  check_update: {both:.2f} µs per update; the full reader alone: {full:.2f} µs")


# In process -----------------------------------------------------------------------------------


async def replay(frames: list[bytes], checked: bool) -> tuple[float, float]:
    """Updates per second through one room: of CPU time, of wall time."""
    settings = Settings(batch_window_ms=50, max_document_bytes=1 << 30)
    core = Core(settings, InlineChecker(check_update if checked else unchecked))
    try:
        writer, _ = core.connect(queue=1 << 20, queue_bytes=1 << 34)
        core.connect(queue=1 << 20, queue_bytes=1 << 34)  # one reader gets every change
        wall, cpu = time.perf_counter(), time.process_time()
        for frame in frames:
            await core.room.receive(writer, frame)
        await core.room.flush()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        return len(frames) / cpu, len(frames) / wall
    finally:
        await core.close()


async def in_process(updates: list[bytes], runs: int) -> None:
    frames = [update_message(u) for u in updates]
    print(f"\nIn process: {len(frames)} updates through a room, {runs} runs each, alternating")
    on: list[tuple[float, float]] = []
    off: list[tuple[float, float]] = []
    for run in range(runs):
        order = (True, False) if run % 2 == 0 else (False, True)
        for checked in order:
            (on if checked else off).append(await replay(frames, checked))
        print(
            f"  run {run + 1}: CPU {on[-1][0]:,.0f} updates/s checked, {off[-1][0]:,.0f} not; "
            f"wall {on[-1][1]:,.0f} / {off[-1][1]:,.0f}",
            flush=True,
        )
    for index, clock in ((0, "CPU"), (1, "wall")):
        with_check = statistics.median(r[index] for r in on)
        bare = statistics.median(r[index] for r in off)
        print(
            f"  median, {clock} time: {with_check:,.0f} updates/s with the check, {bare:,.0f} "
            f"without: ratio {with_check / bare:.3f}"
        )


# End to end, stock clients --------------------------------------------------------------------


class CheckTarget(stock.PalabreTarget):
    """A Palabre server of the side-by-side benchmark, named after its check."""

    def __init__(self, name: str, server: ServerProcess, seeded: stock.PalabreSeed) -> None:
        super().__init__(server, seeded)
        self.name = name


@dataclass
class Costs:
    """The server's CPU per unit of work, per run."""

    ingest_us: list[float] = field(default_factory=list)  # per update typed
    fanout_us: list[float] = field(default_factory=list)  # per delivery


@contextlib.contextmanager
def cpu_of(pid: int, into: list[float], per: Callable[[], int]) -> Iterator[None]:
    """Adds the server's CPU microseconds per ``per()`` units of work to ``into``."""
    before = cpu_seconds(pid)
    yield
    units = per()
    if units:
        into.append((cpu_seconds(pid) - before) / units * 1e6)


async def stock_run(suite: stock.Suite, costs: Costs, run: int, plan: stock.Loads) -> None:
    pid, size = suite.target.pid(), plan.sizes[0]
    fanouts = suite.fanouts.setdefault(size, [])
    with cpu_of(pid, costs.fanout_us, lambda: fanouts[-1].result["delivered"] if fanouts else 0):
        await stock.fanout_round(suite, size, run, plan)
    ingests = suite.ingests
    with cpu_of(pid, costs.ingest_us, lambda: ingests[-1].updates if ingests else 0):
        await stock.ingest_run(suite, run, plan, follow=False)


def plan_of(clients: int, runs: int) -> stock.Loads:
    return stock.Loads(
        sizes=[clients],
        writers={clients: max(1, clients // 5)},
        rate=5.0,
        seconds=10.0,
        rounds=runs,
        cursor_moves=False,
        ingest_runs=runs,
        timeout=60.0,
        end=json.loads(gzip.decompress(TRACE.read_bytes()))["endContent"],
    )


async def end_to_end(directory: Path, clients: int, runs: int) -> None:
    plan = plan_of(clients, runs)
    print(f"\nEnd to end, stock clients: {runs} runs per server, alternating", flush=True)
    suites: dict[str, tuple[stock.Suite, Costs]] = {}
    servers: list[ServerProcess] = []
    try:
        for name, check in (("check on", "on"), ("check off", "off")):
            url = f"sqlite:///{directory / f'check-{check}.sqlite3'}"
            seeded = stock.seed_palabre(url, plan)
            server = ServerProcess(url, CAPACITY | {"PALABRE_UPDATE_CHECK": check}).start()
            servers.append(server)
            suites[name] = (stock.Suite(CheckTarget(name, server, seeded)), Costs())
        for run in range(runs):
            names = list(suites) if run % 2 == 0 else list(reversed(suites))
            for name in names:
                suite, costs = suites[name]
                try:
                    await stock_run(suite, costs, run, plan)
                except Exception as error:  # a benchmark reports what failed and goes on
                    suite.errors.append(repr(error))
                    print(f"  {name}: {error!r}", flush=True)
    finally:
        for server in servers:
            with contextlib.suppress(Exception):
                server.stop()
            server.kill()
    report(suites, plan)


def report(suites: dict[str, tuple[stock.Suite, Costs]], plan: stock.Loads) -> None:
    size = plan.sizes[0]
    rows: list[tuple[str, Callable[[stock.Suite, Costs], float | None], int]] = [
        (f"fan-out p50, {size} clients (ms)", lambda s, c: _fanout(s, "p50"), 1),
        (f"fan-out p95, {size} clients (ms)", lambda s, c: _fanout(s, "p95"), 1),
        (f"fan-out p99, {size} clients (ms)", lambda s, c: _fanout(s, "p99"), 1),
        ("fan-out deliveries lost", lambda s, c: _fanout(s, "lost"), 0),
        ("fan-out: server CPU per delivery (µs)", lambda s, c: _median(c.fanout_us), 1),
        ("ingest, visible to a new client (updates/s)", lambda s, c: _median(_rates(s)), 0),
        ("ingest, stored (updates/s)", lambda s, c: _median(_rates(s, stored=True)), 0),
        ("ingest: server CPU per update (µs)", lambda s, c: _median(c.ingest_us), 1),
    ]
    on, off = suites["check on"], suites["check off"]
    print(f"\n{'medians':<48}{'check on':>12}{'check off':>12}{'on/off':>8}")
    for label, pick, digits in rows:
        a, b = pick(*on), pick(*off)
        ratio = f"{a / b:.3f}" if a is not None and b else ""
        print(f"{label:<48}{_show(a, digits):>12}{_show(b, digits):>12}{ratio:>8}")
    for name, (suite, costs) in suites.items():
        p99 = ", ".join(_show(r.result["p99"], 1) for r in _rounds(suite))
        rates = ", ".join(_show(rate, 0) for rate in _rates(suite))
        cpu = ", ".join(_show(us, 1) for us in costs.ingest_us)
        print(
            f"  {name}: fan-out p99 per run [{p99}] ms; ingest per run [{rates}] updates/s, "
            f"[{cpu}] µs of server CPU per update"
        )
        for error in suite.errors:
            print(f"  {name} error: {error}")


def _rounds(suite: stock.Suite) -> list[stock.FanoutRound]:
    return [r for rounds in suite.fanouts.values() for r in rounds]


def _fanout(suite: stock.Suite, key: str) -> float | None:
    if key == "lost":
        return _median(
            [float(r.result["expected"] - r.result["delivered"]) for r in _rounds(suite)]
        )
    return _median([float(r.result[key]) for r in _rounds(suite)])


def _rates(suite: stock.Suite, stored: bool = False) -> list[float]:
    seconds = [
        (r.updates, r.persisted_seconds if stored else r.visible_seconds) for r in suite.ingests
    ]
    return [updates / s for updates, s in seconds if s]


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _show(value: float | None, digits: int) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


# Entry point ----------------------------------------------------------------------------------


async def main(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    print(f"load average at the start: {' '.join(f'{x:.2f}' for x in psutil.getloadavg())}")
    updates = list(traces.updates_of(traces.load("seph-blog1")))[: args.updates]
    the_check_alone(updates, args.runs)
    await in_process(updates, args.runs)
    if not args.skip_stock:
        with tempfile.TemporaryDirectory(prefix="palabre-check-") as directory:
            await end_to_end(Path(directory), args.clients, args.stock_runs)
    print(f"\nload average at the end: {' '.join(f'{x:.2f}' for x in psutil.getloadavg())}")
    print(f"total time: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--updates", type=int, help="only the first N updates, in process")
    parser.add_argument("--runs", type=int, default=RUNS, help="in-process runs of each")
    parser.add_argument("--skip-stock", action="store_true", help="no end-to-end runs")
    parser.add_argument("--stock-runs", type=int, default=STOCK_RUNS)
    parser.add_argument("--clients", type=int, default=100, help="stock fan-out size")
    asyncio.run(main(parser.parse_args()))
