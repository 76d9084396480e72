"""Who wrote which characters: the text as a list of runs, each attributed to the member whose
contribution inserted it, kept up to date from the CRDT engine's change deltas.

Pure Python on purpose (no CRDT import): the server's adapter replays the contributions and
hands over, for each one, the delta the engine computed from the items it integrated. So
concurrent edits are attributed by the CRDT's own merge, not guessed from text diffs.

A delta is a list of ops ``("retain", n)``, ``("delete", n)``, ``("insert", text)``. pycrdt
0.14 counts ``n`` in UTF-8 bytes (y-crdt/pycrdt#308); the runs mirror the text, so they convert
bytes to characters as they walk.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

DeltaOp = tuple[str, int | str]  # ("retain", n), ("delete", n) or ("insert", text)
HEADING = re.compile(r"^#{1,2}[ \t]+(.*?)[ \t#]*$", re.MULTILINE)  # level-1/2 Markdown headings
PREAMBLE = ""  # the section of text before the first heading


@dataclass(frozen=True)
class Run:
    """Consecutive characters inserted by one author (an opaque key, e.g. a member id)."""

    text: str
    author: str


@dataclass(frozen=True)
class Change:
    """What one delta did: characters added and removed, and where, in characters of the
    text after it (a deletion is the point where the removed text stood)."""

    added: int
    removed: int
    places: tuple[int, ...]


@dataclass
class _Cursor:
    """Walks the old runs, splitting one where a byte count ends inside it."""

    runs: Iterator[Run]
    pending: Run | None = None

    def take(self, size: int) -> list[Run]:
        """Runs covering the next ``size`` UTF-8 bytes of the old text."""
        taken: list[Run] = []
        while size > 0:
            run = self.pending if self.pending is not None else next(self.runs, None)
            self.pending = None
            if run is None:
                raise ValueError("a delta reaches beyond the end of the text")
            encoded = run.text.encode("utf-8")
            if len(encoded) > size:
                head = encoded[:size].decode("utf-8")
                self.pending = Run(run.text[len(head) :], run.author)
                run = Run(head, run.author)
            taken.append(run)
            size -= len(run.text.encode("utf-8"))
        return taken

    def rest(self) -> list[Run]:
        first = [] if self.pending is None else [self.pending]
        return first + list(self.runs)


@dataclass
class Authorship:
    """The attributed text; :meth:`apply` follows one contribution's delta."""

    runs: list[Run] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(run.text for run in self.runs)

    def apply(self, delta: Sequence[DeltaOp], author: str) -> Change:
        cursor = _Cursor(iter(self.runs))
        new: list[Run] = []
        at = added = removed = 0
        places: list[int] = []
        for kind, value in delta:
            if isinstance(value, str):  # an insert
                _extend(new, [Run(value, author)])
                places.append(at)
                at += len(value)
                added += len(value)
            elif kind == "retain":
                kept = cursor.take(value)
                _extend(new, kept)
                at += sum(len(run.text) for run in kept)
            else:
                removed += sum(len(run.text) for run in cursor.take(value))
                places.append(at)
        _extend(new, cursor.rest())
        self.runs = new
        return Change(added, removed, tuple(places))


def _extend(runs: list[Run], more: Iterable[Run]) -> None:
    """Append, merging neighbours by the same author and dropping empty runs."""
    for run in more:
        if not run.text:
            continue
        if runs and runs[-1].author == run.author:
            runs[-1] = Run(runs[-1].text + run.text, run.author)
        else:
            runs.append(run)


# Sections -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sections:
    """The level-1/2 headings of a text, to say in which section a character stands."""

    starts: tuple[int, ...]
    titles: tuple[str, ...]

    @classmethod
    def of(cls, text: str) -> Sections:
        found = list(HEADING.finditer(text))
        return cls(tuple(m.start() for m in found), tuple(m.group(1) for m in found))

    def at(self, index: int) -> str:
        """The heading of the section holding ``index`` (a heading line is in its section)."""
        found = bisect.bisect_right(self.starts, index) - 1
        return PREAMBLE if found < 0 else self.titles[found]


def shares(runs: Iterable[Run]) -> dict[str, dict[str, int]]:
    """Characters per section heading, then per author: each run is cut where a section
    starts, so the cost follows the number of runs and headings, not of characters."""
    runs = list(runs)
    sections = Sections.of("".join(run.text for run in runs))
    found: dict[str, dict[str, int]] = {}
    at = 0
    for run in runs:
        start, end = at, at + len(run.text)
        while start < end:
            following = bisect.bisect_right(sections.starts, start)
            stop = min(end, sections.starts[following]) if following < len(sections.starts) else end
            per_author = found.setdefault(sections.at(start), {})
            per_author[run.author] = per_author.get(run.author, 0) + stop - start
            start = stop
        at = end
    return found
