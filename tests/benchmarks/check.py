"""What the update check costs on the ingest path, in process: seph-blog1 (137,154 updates)
replayed through a live room (parse, check, apply, fan-out to one reader, batching into a
recording store), with the check and with a check that accepts everything, alternately,
five times each; medians and their ratio. A ratio against a reference in the same run holds
on a busy machine where absolute figures do not.

    python -m tests.benchmarks.check [--updates N] [--runs N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from palabre.server.crdt.check import Shape, check_update
from palabre.server.crdt.protocol import update_message
from palabre.server.live.checker import InlineChecker
from palabre.server.settings import Settings

from tests.support import traces
from tests.support.core import Core

RUNS = 5


def accept_all(update: bytes) -> Shape:
    return Shape(frozenset(), 0, False)


async def replay(frames: list[bytes], checked: bool) -> float:
    """Updates per second through one room."""
    settings = Settings(batch_window_ms=50, max_document_bytes=1 << 30)
    core = Core(settings, InlineChecker(check_update if checked else accept_all))
    try:
        writer, _ = core.connect(queue=1 << 20, queue_bytes=1 << 34)
        core.connect(queue=1 << 20, queue_bytes=1 << 34)  # one reader gets every change
        started = time.perf_counter()
        for frame in frames:
            await core.room.receive(writer, frame)
        await core.room.flush()
        return len(frames) / (time.perf_counter() - started)
    finally:
        await core.close()


async def main(updates: int | None, runs: int) -> None:
    trace = traces.load("seph-blog1")
    frames = [update_message(u) for u in traces.updates_of(trace)][:updates]
    print(f"{len(frames)} updates of seph-blog1, {runs} runs each")
    with_check: list[float] = []
    without: list[float] = []
    for run in range(runs):
        with_check.append(await replay(frames, checked=True))
        without.append(await replay(frames, checked=False))
        print(f"run {run + 1}: {with_check[-1]:,.0f} updates/s checked, {without[-1]:,.0f} not")
    checked, unchecked = statistics.median(with_check), statistics.median(without)
    print(f"median: {checked:,.0f} updates/s with the check, {unchecked:,.0f} without")
    print(f"ratio: {checked / unchecked:.3f} (1.0 = the check costs nothing)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--updates", type=int, help="replay only the first N updates")
    parser.add_argument("--runs", type=int, default=RUNS)
    args = parser.parse_args()
    asyncio.run(main(args.updates, args.runs))
