"""Cross-instance fan-out: the live benchmark's load (100 clients, 20 writers at 5 edits/s for
10 s) on two Palabre instances sharing one PostgreSQL database, clients split evenly between
them, next to the same load on one instance, in the same run and on the same private
PostgreSQL cluster. Each configuration runs ``--runs`` times, alternating; the medians of
p50, p95 and p99 delivery latency are printed, with the deliveries lost and the instances'
own cross-instance wake-up delay (``palabre_cross_instance_delay_seconds``).

    python -m tests.benchmarks.instances [--runs 3] [--batch-window-ms 50]

Target: p99 under 100 ms on two instances. An edit reaches the people on its own instance at
once; the others get it once it is stored (after the batch window) and the other instance is
woken, so the batch window bounds the cross-instance latency from below.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import signal
import statistics
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass

import httpx
import psutil  # type: ignore[import-untyped]
from palabre.server.crdt.lib0 import Reader

from tests.benchmarks.live import (
    Book,
    FanoutResult,
    close_quietly,
    connect_peers,
    drain,
    seed_palabre,
    write_steadily,
)
from tests.support.postgres import fresh_database, private_cluster
from tests.support.server import ServerProcess

TARGET_P99_MS = 100.0


class MergedBook(Book):
    """Across instances an edit arrives inside a stored contribution, which may merge several
    consecutive updates of one writer (a run), and the other instance may forward several
    writers' items in one frame. So a frame that is not one of the sent ones is read for the
    clock ranges it carries (every edit of a writer's fresh document is one clock), and each
    edit in them counts as delivered."""

    def receive(self, client: int, frame: bytes, at: float) -> None:
        if frame in self.by_frame:
            super().receive(client, frame, at)
            return
        delivered = False
        for writer, start, end in _ranges(frame):
            for clock in range(start, end):
                sent = self.by_key.get((writer, clock))
                if sent is not None and sent.writer != client:
                    self.latencies.append(at - sent.at)
                    sent.received += 1
                    delivered = True
        if delivered:
            self.decoded += 1
            self._check()
        else:
            self.unknown += 1


def _ranges(frame: bytes) -> list[tuple[int, int, int]]:
    """(client, first clock, end clock) of each client's structs in the update of a sync
    frame: the Yjs v1 encoding, for the structs a text-only document holds."""
    reader = Reader(frame, 2)
    reader.var_uint()  # the payload's length
    ranges = []
    for _ in range(reader.var_uint()):
        structs, client, clock = reader.var_uint(), reader.var_uint(), reader.var_uint()
        start = clock
        for _ in range(structs):
            clock += _struct_length(reader)
        ranges.append((client, start, clock))
    return ranges


def _struct_length(reader: Reader) -> int:
    info = reader.byte()
    kind = info & 0x1F
    if kind in (0, 10):  # GC, Skip
        return reader.var_uint()
    if info & 0x80:  # origin
        reader.var_uint(), reader.var_uint()
    if info & 0x40:  # right origin
        reader.var_uint(), reader.var_uint()
    if info & 0xC0 == 0:  # parent
        if reader.var_uint() == 1:
            reader.take(reader.var_uint())
        else:
            reader.var_uint(), reader.var_uint()
        if info & 0x20:
            reader.take(reader.var_uint())  # parent sub
    if kind == 1:  # deleted
        return reader.var_uint()
    if kind == 4:  # string: its length in UTF-16 code units
        text = reader.take(reader.var_uint()).decode("utf-8")
        return len(text.encode("utf-16-le")) // 2
    raise ValueError(f"unexpected content {kind} in a text update")


async def measure(urls: list[str], args: argparse.Namespace) -> FanoutResult:
    """The live benchmark's fan-out measurement, with merged deliveries counted."""
    book = MergedBook()
    peers = await connect_peers(urls, args.writers, book)
    listeners = [asyncio.create_task(p.listen()) for p in peers]
    cpu = psutil.Process()
    cpu_before, wall_before = sum(cpu.cpu_times()[:2]), time.perf_counter()
    start = time.perf_counter() + 0.5
    await asyncio.gather(*(write_steadily(p, args, start) for p in peers[: args.writers]))
    updates, receivers = len(book.by_frame), len(peers) - 1
    drained = await drain(book, updates * receivers, args.timeout)
    cpu_used, wall = sum(cpu.cpu_times()[:2]) - cpu_before, time.perf_counter() - wall_before
    await asyncio.gather(*(close_quietly(p.ws) for p in peers))
    with contextlib.suppress(Exception):
        await asyncio.gather(*listeners, return_exceptions=True)
    return FanoutResult(
        updates=updates,
        expected=updates * receivers,
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


@dataclass(frozen=True)
class Run:
    instances: int
    result: FanoutResult
    wake_ms: float | None  # mean NOTIFY delay the instances measured


async def one_run(admin_url: str, instances: int, args: argparse.Namespace) -> Run:
    url = fresh_database(admin_url)
    seeded = seed_palabre(url, args.clients, runs=0)
    env = {"PALABRE_BATCH_WINDOW_MS": str(args.batch_window_ms), "PYTHONFAULTHANDLER": "1"}
    servers = [ServerProcess(url, env).start() for _ in range(instances)]
    try:
        urls = [
            f"{servers[i % instances].ws_url}/ws/{seeded.fanout_document}?token={token}"
            for i, token in enumerate(seeded.fanout_tokens)
        ]
        result = await measure(urls, args)
        retries = sum(server.log().count("retrying") for server in servers)
        if retries:
            print(f"the instances retried storing {retries} times")
        return Run(instances, result, _wake_ms(servers))
    finally:
        for server in servers:
            try:
                server.stop()
            except subprocess.TimeoutExpired:
                print("an instance did not stop within 30 s; its log ends with:")
                assert server.process is not None
                server.process.send_signal(signal.SIGABRT)  # PYTHONFAULTHANDLER: its stacks
                await asyncio.sleep(2)
                noise = ("WebSocket /ws/", "connection open", "GET /metrics", "connection closed")
                kept = [line for line in server.output if not any(n in line for n in noise)]
                print("".join(line for line in kept if line.startswith("{"))[-6000:])
                server.kill()


def _wake_ms(servers: list[ServerProcess]) -> float | None:
    total = count = 0.0
    for server in servers:
        text = httpx.get(server.base_url + "/metrics", timeout=10).text
        flushes = _value(text, "palabre_batch_flush_seconds_count")
        flush_ms = 1000 * _value(text, "palabre_batch_flush_seconds_sum") / max(1.0, flushes)
        conflicts = _value(text, "palabre_position_conflicts_total")
        print(f"  instance: {flushes:.0f} batches of {flush_ms:.1f} ms, {conflicts:.0f} conflicts")
        total += _value(text, "palabre_cross_instance_delay_seconds_sum")
        count += _value(text, "palabre_cross_instance_delay_seconds_count")
    return None if count == 0 else 1000 * total / count


def _value(text: str, name: str) -> float:
    found = re.search(rf"^{name} (\S+)$", text, re.MULTILINE)
    return 0.0 if found is None else float(found.group(1))


def _median(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def _show(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def report(runs: list[Run]) -> None:
    print("instances  p50 ms  p95 ms  p99 ms  lost  of       wake ms  runs")
    for instances in (1, 2):
        mine = [r for r in runs if r.instances == instances]
        p50 = _median([r.result.p(0.50) for r in mine])
        p95 = _median([r.result.p(0.95) for r in mine])
        p99 = _median([r.result.p(0.99) for r in mine])
        lost = sum(r.result.lost for r in mine)
        expected = sum(r.result.expected for r in mine)
        wake = _median([r.wake_ms for r in mine])
        print(
            f"{instances:<9}  {_show(p50):>6}  {_show(p95):>6}  {_show(p99):>6}  "
            f"{lost:<4}  {expected:<7}  {_show(wake):>7}  {len(mine)}"
        )
        if instances == 2 and p99 is not None:
            verdict = "meets" if p99 < TARGET_P99_MS else "MISSES"
            print(f"two instances: p99 {p99:.1f} ms {verdict} the target (< {TARGET_P99_MS} ms)")


async def bench(args: argparse.Namespace) -> None:
    with private_cluster() as cluster:
        runs = []
        for _ in range(args.runs):
            for instances in (1, 2):
                run = await one_run(cluster.url, instances, args)
                result = run.result
                print(
                    f"run: {instances} instance(s), p99 {_show(result.p(0.99))} ms, "
                    f"lost {result.lost} (unattributed frames {result.unknown}, "
                    f"disconnected {result.disconnected}, drained in {result.drain_seconds:.1f} s)",
                    flush=True,
                )
                runs.append(run)
    report(runs)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--writers", type=int, default=20)
    parser.add_argument("--rate", type=float, default=5.0, help="edits per second per writer")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch-window-ms", type=int, default=50)
    parser.add_argument("--timeout", type=float, default=30.0, help="to drain deliveries")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    asyncio.run(bench(parse_args(argv)))


if __name__ == "__main__":
    main()
