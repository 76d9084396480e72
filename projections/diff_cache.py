"""Diffs already computed, kept in memory: a least-recently-used cache bounded by the
characters it holds.

Safe because what it caches never changes: the text of an approved version is fixed by its
decision, and the text at a position N of a document's history is fixed by its first N
contributions, which the event log never rewrites (the audit chain detects any attempt). So
a diff keyed by (document, what is compared, from, to) is the same answer forever; nothing is
ever invalidated, only forgotten when the cache is full. Lost on restart, recomputed on
demand. Thread-safe: reads come from the store's threads.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from uuid import UUID

from palabre.projections.text_diff import TextDiff

CAPACITY = 16_000_000  # characters: a few dozen diffs of a 250,000-character text

DiffKey = tuple[UUID, str, int, int]  # (document, "versions" or "positions", from, to)


class DiffCache:
    def __init__(self, capacity: int = CAPACITY) -> None:
        self._capacity = capacity
        self._held = 0
        self._diffs: OrderedDict[DiffKey, TextDiff] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: DiffKey, compute: Callable[[], TextDiff]) -> TextDiff:
        """The cached diff for ``key``, else ``compute()``'s, kept. Two threads asking for
        the same missing diff may both compute it: the answers are equal."""
        found = self.find(key)
        if found is None:
            found = compute()
            self.keep(key, found)
        return found

    def find(self, key: DiffKey) -> TextDiff | None:
        with self._lock:
            found = self._diffs.get(key)
            if found is None:
                self.misses += 1
                return None
            self._diffs.move_to_end(key)
            self.hits += 1
            return found

    def keep(self, key: DiffKey, diff: TextDiff) -> None:
        if diff.size > self._capacity:
            return
        with self._lock:
            previous = self._diffs.pop(key, None)
            if previous is not None:
                self._held -= previous.size
            self._diffs[key] = diff
            self._held += diff.size
            while self._held > self._capacity:
                _, oldest = self._diffs.popitem(last=False)
                self._held -= oldest.size

    def __len__(self) -> int:
        return len(self._diffs)
