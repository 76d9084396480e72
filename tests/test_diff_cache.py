"""The cache of computed diffs (``projections/diff_cache.py``): the same answer as computing,
computed once per key, the least recently used forgotten first when full."""

from __future__ import annotations

from uuid import UUID

from palabre.projections.diff_cache import DiffCache, DiffKey
from palabre.projections.text_diff import TextDiff, compare

DOCUMENT = UUID(int=1)


def key(old: int, new: int, kind: str = "versions") -> DiffKey:
    return (DOCUMENT, kind, old, new)


class Computing:
    """Computes the diff of two texts and counts how often it was asked to."""

    def __init__(self, old: str, new: str) -> None:
        self.old, self.new, self.calls = old, new, 0

    def __call__(self) -> TextDiff:
        self.calls += 1
        return compare(self.old, self.new, "v1", "v2")


def test_a_diff_is_computed_once_and_answered_the_same() -> None:
    cache = DiffCache()
    computing = Computing("Le réseau ESS.\n", "Le réseau solidaire.\n")
    first = cache.get(key(1, 2), computing)
    assert cache.get(key(1, 2), computing) == first == computing()
    assert computing.calls == 2  # once through the cache, once above
    assert (cache.hits, cache.misses) == (1, 1)
    assert cache.find(key(1, 2, "positions")) is None  # kinds never mix


def test_the_least_recently_used_diff_goes_first_when_full() -> None:
    diffs = {n: compare("« a »\n" * n, "« b »\n" * n, "v1", "v2") for n in (1, 2, 3)}
    cache = DiffCache(capacity=diffs[1].size + diffs[2].size + diffs[3].size - 1)
    for n, diff in diffs.items():
        cache.keep(key(0, n), diff)
        if n == 2:
            assert cache.find(key(0, 1)) is not None  # 1 is now more recent than 2
    assert cache.find(key(0, 2)) is None
    assert cache.find(key(0, 1)) == diffs[1]
    assert cache.find(key(0, 3)) == diffs[3]
    assert len(cache) == 2


def test_a_diff_larger_than_the_cache_is_not_kept() -> None:
    diff = compare("a\n" * 50, "b\n" * 50, "v1", "v2")
    cache = DiffCache(capacity=diff.size - 1)
    cache.keep(key(1, 2), diff)
    assert len(cache) == 0
    assert cache.find(key(1, 2)) is None
