"""Compression decided per message, measured against the alternatives in one run: Palabre
servers that differ only by ``PALABRE_COMPRESSION`` (``per-message``, the default;
``per-connection``, uvicorn's way: every message compressed for each connection with its own
context; ``off``), under the same load, alternating.

    python -m tests.benchmarks.compression [--clients 100] [--rounds 2] [--kilobytes 250]

- fan-out: stock ``y-websocket`` clients in Node, compression offered as browsers do
  (``tests/benchmarks/node/load.mjs``), a fifth of them writing 5 edits/s for 10 s: latency
  percentiles, the server's CPU seconds during the load (what the choice costs the server,
  the figure a shared machine disturbs least), and the handshake each server answered;
- first sync: a document of ``--kilobytes`` KB of prose (typed by a Python client), joined
  by a client offering compression as browsers do (``tests/support/rawsocket.py``): the
  bytes of the answer on the wire, raw and as sent, and the time to receive it (median of 5).
  What a first sync weighs is what a member on a weak link waits for.

Nothing is asserted; medians of the rounds are printed. Every server stores every update on
its own SQLite file, the update check on.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from palabre.client import LiveDocument

from tests.benchmarks import side_by_side
from tests.benchmarks.live import CAPACITY
from tests.benchmarks.side_by_side import Loads, PalabreTarget, Suite, fanout_round
from tests.support.rawsocket import RawSocket
from tests.support.server import ServerProcess

MODES = ("per-message", "per-connection", "off")
SYNC_STEP1_EMPTY = b"\x00\x00\x01\x00"
WORDS = ["comité", "référentiel", "structure", "économie", "solidaire", "Lomé", "Rennes"]


def prose(kilobytes: int) -> str:
    draw = random.Random(1)
    words: list[str] = []
    size = 0
    while size < kilobytes * 1000:
        word = draw.choice(WORDS)
        words.append(word)
        size += len(word.encode()) + 1
    return " ".join(words)


async def first_sync(url: str) -> tuple[float, int, int]:
    """(seconds, bytes as sent, bytes raw) of a first sync's answer."""
    started = time.perf_counter()
    raw = await RawSocket.open(url)
    try:
        raw.send(SYNC_STEP1_EMPTY)
        wire = plain = 0
        while True:
            message = await raw.receive(timeout=60)
            if message.payload[:2] in (b"\x00\x01", b"\x00\x02"):
                wire += message.wire_bytes
                plain += len(message.payload)
            if message.payload[:2] == b"\x00\x01":
                return time.perf_counter() - started, wire, plain
    finally:
        await raw.close()


async def bench(args: argparse.Namespace) -> None:
    plan = side_by_side.loads(
        argparse.Namespace(
            stock_sizes=str(args.clients),
            max_writers=20,
            rate=5.0,
            seconds=10.0,
            rounds=args.rounds,
            cursor_moves=False,
            stock_ingest_runs=1,
            timeout=60.0,
        )
    )
    with (
        tempfile.TemporaryDirectory(prefix="palabre-compression-") as tmp,
        contextlib.ExitStack() as stack,
    ):
        suites: list[Suite] = []
        for mode in MODES:
            url = f"sqlite:///{Path(tmp) / f'{mode}.sqlite3'}"
            seeded = side_by_side.seed_palabre(url, plan)
            server = ServerProcess(url, CAPACITY | {"PALABRE_COMPRESSION": mode}).start()
            stack.callback(server.kill)
            target = PalabreTarget(server, seeded)
            target.name = f"palabre ({mode})"
            suites.append(Suite(target))
        for round_ in range(args.rounds):
            for suite in suites:
                await fanout_round(suite, args.clients, round_, plan)
        syncs = {
            mode: await join_times(suite, args.kilobytes)
            for mode, suite in zip(MODES, suites, strict=True)
        }
        report(suites, syncs, plan, args)


async def join_times(suite: Suite, kilobytes: int) -> list[tuple[float, int, int]]:
    target = suite.target
    assert isinstance(target, PalabreTarget)
    document = target.seeded.ingest[0]
    token = target.seeded.tokens[0]
    async with LiveDocument(target.server.base_url, document, token) as writer:
        writer.insert(0, prose(kilobytes))
        await writer.wait_saved(timeout=120)
    url = f"{target.server.ws_url}/ws/{document}?token={token}"
    return [await first_sync(url) for _ in range(5)]


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def report(
    suites: list[Suite],
    syncs: dict[str, list[tuple[float, int, int]]],
    plan: Loads,
    args: argparse.Namespace,
) -> None:
    writers = plan.writers[args.clients]
    print(f"\nFan-out, {args.clients} stock clients, {writers} writers, medians of {args.rounds}:")
    print(f"{'PALABRE_COMPRESSION':<22}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}", end="")
    print(f"{'server CPU s':>14}{'lost':>7}  handshake")
    for mode, suite in zip(MODES, suites, strict=True):
        rounds = suite.fanouts.get(args.clients, [])
        p50, p95, p99 = (_median([r.result[k] for r in rounds]) for k in ("p50", "p95", "p99"))
        cpu = _median([r.cpu_seconds for r in rounds])
        lost = _median([r.result["expected"] - r.result["delivered"] for r in rounds])
        print(f"{mode:<22}{p50:>9.1f}{p95:>9.1f}{p99:>9.1f}{cpu:>14.2f}{lost:>7.0f}", end="")
        print(f"  {sorted(suite.handshakes)}")
    print(f"\nFirst sync of {args.kilobytes} KB of prose, median of 5 joins:")
    print(f"{'PALABRE_COMPRESSION':<22}{'raw KB':>9}{'sent KB':>9}{'ms':>9}  s at 1 Mbit/s")
    for mode, found in syncs.items():
        seconds = _median([t for t, _, _ in found])
        wire = _median([w for _, w, _ in found])
        plain = _median([p for _, _, p in found])
        print(f"{mode:<22}{plain / 1000:>9.1f}{wire / 1000:>9.1f}{seconds * 1000:>9.1f}", end="")
        print(f"  {wire * 8 / 1e6:.2f}")
    for suite in suites:
        for error in suite.errors:
            print(f"  {suite.target.name}: error {error}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks.compression", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--kilobytes", type=int, default=250, help="size of the first sync's text")
    asyncio.run(bench(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
