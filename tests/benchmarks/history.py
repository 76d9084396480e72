"""How fast is the text at any point of a long history?

Builds a document of about 274,000 contributions (the seph-blog1 trace typed twice, one
contribution per transaction, as a live room would store them at keystroke pace) in a fresh
SQLite file, with the checkpoints a server writes (every PALABRE_CHECKPOINT_EVERY, default
1000), then measures, in the same process:

- ``history/at?position=N``: the text after N contributions (checkpoint at or before N, plus
  the tail), for random positions;
- ``history/at?time=T``: the same after finding the position by binary search on time;
- indexing the whole log once (what the server's history index does in the background,
  a thousand contributions at a time, as rooms checkpoint);
- then authorship at random positions and the list of editing sessions, read from the index
  (stored state at or before the position plus the tail);
- as a reference, a full replay of every contribution from zero (what a version without
  checkpoints would cost), once.

Target from issue 4: under 50 ms for a document of 260,000 contributions.
Run: ``python -m tests.benchmarks.history [--positions 40]``.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

from palabre.domain.contribution import NewContribution
from palabre.domain.ids import DocumentId
from palabre.projections.history_index import HistoryIndex
from palabre.projections.history_index_store import HistoryIndexStore
from palabre.server.answers.history import HistoryReports, session_filter
from palabre.server.crdt.replay import DeltaReplay
from palabre.server.crdt.replica import rebuild
from palabre.server.live.rooms import Rooms
from palabre.server.settings import Settings
from palabre.server.storage.database import Database, open_application
from palabre.server.storage.store import Store
from palabre.server.storage.transcoder import CompactTranscoder
from palabre.server.texts import DocumentTexts
from pycrdt import Doc, Text

from tests.support import traces

BATCH = 1000  # contributions stored per transaction while building


def typed_twice(trace: traces.Trace) -> Iterator[bytes]:
    """The trace typed twice, the second copy after the first: one update per transaction."""
    doc: Doc[Any] = Doc()
    text = doc.get("body", type=Text)
    captured: list[bytes] = []
    doc.observe(lambda event: captured.append(event.update))
    current = ""
    for _copy in range(2):
        base = len(current)
        for txn in trace.txns:
            shifted = traces.Txn([(p + base, d, i) for p, d, i in txn.patches])
            current = traces.apply_txn(text, shifted, current)
            yield from captured
            captured.clear()


async def build(store: Store, document: DocumentId, every: int) -> tuple[int, float]:
    app = store.application
    member = uuid4()
    position = 0
    started = time.perf_counter()
    batch: list[NewContribution] = []
    for update in typed_twice(traces.load("seph-blog1")):
        batch.append(NewContribution(member, "bench", update, 1))
        if len(batch) == BATCH:
            position = app.append_contributions(document, position, batch)
            batch = []
            if position % every == 0:
                await store.checkpoint(document, every)  # as a room does after a flush
    if batch:
        position = app.append_contributions(document, position, batch)
    return position, time.perf_counter() - started


async def measure(
    store: Store,
    views: HistoryIndexStore,
    document: DocumentId,
    count: int,
    samples: int,
    every: int,
) -> None:
    rng = random.Random(7)
    index = HistoryIndex(store.application, views, DeltaReplay, every)
    texts = DocumentTexts(store, Rooms(store, Settings()), index)
    positions = [rng.randint(1, count) for _ in range(samples)]
    at_position = []
    for position in positions:  # before the index: from checkpoints, through the engine
        started = time.perf_counter()
        await texts.rebuilt_at(document, position)
        at_position.append((time.perf_counter() - started) * 1000)
    reader = HistoryReports(store.application, index)
    application = store.application
    at_time = []
    for position in positions[: samples // 2]:
        when = application.contribution_time(document, position)
        started = time.perf_counter()
        found = await store.call(application.position_at, document, when)
        await texts.rebuilt_at(document, found)
        at_time.append((time.perf_counter() - started) * 1000)
    started = time.perf_counter()
    await store.call(index.catch_up, document)
    print(f"indexing the whole log (1 run): {time.perf_counter() - started:.1f} s")
    authorship = []
    for position in positions[: samples // 2]:
        started = time.perf_counter()
        await store.call(reader.authorship_report, document, position)
        authorship.append((time.perf_counter() - started) * 1000)
    listing = []
    for _ in range(5):
        started = time.perf_counter()
        listed = await store.call(reader.sessions_report, document, session_filter({}))
        listing.append((time.perf_counter() - started) * 1000)
    now = []
    for _ in range(5):
        started = time.perf_counter()
        await store.call(reader.authorship_report, document, None)
        now.append((time.perf_counter() - started) * 1000)
    print(
        f"authorship at a random position: median {statistics.median(authorship):.0f} ms, "
        f"max {max(authorship):.0f} ms ({len(authorship)} runs)"
    )
    print(f"authorship now: median {statistics.median(now):.0f} ms (5 runs)")
    print(f"editing sessions ({len(listed)}): median {statistics.median(listing):.0f} ms (5 runs)")
    index.close()
    started = time.perf_counter()
    full = await store.call(
        lambda: rebuild(c.update for c in store.application.contributions(document)).text
    )
    replay_ms = (time.perf_counter() - started) * 1000
    report(count, at_position, at_time, replay_ms, len(full))


def report(
    count: int, at_position: list[float], at_time: list[float], replay_ms: float, length: int
) -> None:
    def line(name: str, values: list[float]) -> str:
        ordered = sorted(values)
        p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
        median = statistics.median(ordered)
        verdict = "PASS" if median < 50 else "MISS"
        return f"{name:<34}{median:>10.1f}{p95:>10.1f}{'< 50':>8}  {verdict}"

    print(f"\ndocument: {count:,} contributions, final text {length:,} characters")
    print(f"{'metric (ms)':<34}{'median':>10}{'p95':>10}{'target':>8}")
    print(line(f"history/at?position= ({len(at_position)} runs)", at_position))
    print(line(f"history/at?time= ({len(at_time)} runs)", at_time))
    median = statistics.median(at_position)
    print(f"{'full replay from zero (1 run)':<34}{replay_ms:>10.1f}")
    print(f"ratio full replay / median at position: {replay_ms / median:.0f}x")


async def run(
    store: Store, views: HistoryIndexStore, document: DocumentId, every: int, samples: int
) -> None:
    count, seconds = await build(store, document, every)
    print(f"built {count:,} contributions in {seconds:.1f} s (checkpoint every {every})")
    await measure(store, views, document, count, samples, every)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--positions", type=int, default=40)
    args = parser.parse_args()
    settings = Settings.from_env({})
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{Path(directory) / 'history.sqlite3'}"
        database = Database(url)
        store = Store(open_application(database), threads=2)
        views = HistoryIndexStore(env=database.env(), transcoder=CompactTranscoder())
        try:
            document = DocumentId(store.application.create_document("Référentiel").id)
            asyncio.run(run(store, views, document, settings.checkpoint_every, args.positions))
        finally:
            store.close()


if __name__ == "__main__":
    main()
