"""Who wrote which characters: the text as runs, each attributed to the member whose
contribution inserted it, kept up to date from the CRDT engine's change deltas.

Pure Python on purpose (no CRDT import): the server's adapter replays the contributions and
hands over, for each one, the delta the engine computed from the items it integrated. So
concurrent edits are attributed by the CRDT's own merge, not guessed from text diffs.

A delta is a list of ops ``("retain", n)``, ``("delete", n)``, ``("insert", text)``. pycrdt
0.14 counts ``n`` in UTF-8 bytes (y-crdt/pycrdt#308), so the text is kept as UTF-8 runs and
every offset here is a byte offset; characters are counted only where a person reads them.

The runs live in blocks of at most ``2 * BLOCK`` runs, with each block's byte size kept
beside it: finding an offset costs a C-speed prefix sum over the blocks plus one over a
block's runs, not a walk over the whole text. Applying a 274,000-contribution history is
linear in its number of edits, not in edits times runs.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from palabre.projections.headings import HEADING, plain_heading

DeltaOp = tuple[str, int | str]  # ("retain", n), ("delete", n) or ("insert", text)
HEADING_UTF8 = re.compile(HEADING.pattern.encode(), re.MULTILINE)
PREAMBLE = ""  # the section of text before the first heading
BLOCK = 64  # runs per block, give or take a factor of two
MERGE_LIMIT = 2048  # bytes: longer runs by the same author stay split (cheap appends)
HASH, NEWLINE = b"#", b"\n"


@dataclass(frozen=True)
class Run:
    """Consecutive characters inserted by one author (an opaque key, e.g. a member id)."""

    text: str
    author: str


@dataclass(frozen=True)
class Change:
    """What one delta did: characters added and removed, and where, as UTF-8 byte offsets
    into the text after it (a deletion is the point where the removed text stood)."""

    added: int
    removed: int
    places: tuple[int, ...]


class _Block:
    __slots__ = ("authors", "size", "texts")

    def __init__(self, texts: list[bytes], authors: list[str]) -> None:
        self.texts = texts
        self.authors = authors
        self.size = sum(map(len, texts))


class Authorship:
    """The attributed text. :meth:`apply` follows one contribution's delta; :meth:`section_at`
    names the heading above an offset, tracking headings incrementally."""

    def __init__(self) -> None:
        self._blocks: list[_Block] = []
        self._sizes: list[int] = []  # each block's byte size, for bisecting
        self._starts: list[int] = []  # byte offsets of the level-1/2 headings
        self._titles: list[str] = []
        self._headings_known = True  # False: recompute from the text on the next lookup

    @classmethod
    def of_runs(cls, runs: Iterable[tuple[bytes, str]]) -> Authorship:
        attributed = cls()
        texts: list[bytes] = []
        authors: list[str] = []
        for data, author in runs:
            if data:
                texts.append(data)
                authors.append(author)
        for start in range(0, len(texts), BLOCK):
            attributed._blocks.append(
                _Block(texts[start : start + BLOCK], authors[start : start + BLOCK])
            )
        attributed._sizes = [block.size for block in attributed._blocks]
        attributed._headings_known = False
        return attributed

    # Reading ---------------------------------------------------------------------------------

    @property
    def size(self) -> int:
        return sum(self._sizes)

    @property
    def utf8(self) -> bytes:
        return b"".join(data for block in self._blocks for data in block.texts)

    @property
    def text(self) -> str:
        return self.utf8.decode("utf-8")

    def byte_runs(self) -> list[tuple[bytes, str]]:
        """Runs merged across blocks: neighbours by the same author become one."""
        merged: list[tuple[bytes, str]] = []
        pairs = (
            (d, a)
            for block in self._blocks
            for d, a in zip(block.texts, block.authors, strict=True)
        )
        for author, group in itertools.groupby(pairs, key=lambda pair: pair[1]):
            merged.append((b"".join(data for data, _ in group), author))
        return merged

    @property
    def runs(self) -> list[Run]:
        return [Run(data.decode("utf-8"), author) for data, author in self.byte_runs()]

    @property
    def titles(self) -> list[str]:
        """The level-1/2 headings, as plain text, in text order. The list is replaced, never
        changed in place, when an edit touches a heading line: ``is`` tells whether an edit
        could have renamed one."""
        if not self._headings_known:
            found = list(HEADING_UTF8.finditer(self.utf8))
            self._starts = [match.start() for match in found]
            self._titles = [plain_heading(match.group(1).decode("utf-8")) for match in found]
            self._headings_known = True
        return self._titles

    def section_at(self, offset: int) -> str:
        """The heading of the section holding byte ``offset`` (a heading line is in its
        section)."""
        titles = self.titles
        index = bisect.bisect_right(self._starts, offset) - 1
        return PREAMBLE if index < 0 else titles[index]

    # Changing --------------------------------------------------------------------------------

    def apply(self, delta: Sequence[DeltaOp], author: str) -> Change:
        at = added = removed = 0
        places: list[int] = []
        for kind, value in delta:
            if isinstance(value, str):
                data = value.encode("utf-8")
                self._insert(at, data, author)
                self._after_edit(at, data, b"")
                places.append(at)
                at += len(data)
                added += len(value)
            elif kind == "retain":
                at += value
            else:
                gone = self._delete(at, value)
                self._after_edit(at, b"", gone)
                places.append(at)
                removed += len(gone.decode("utf-8"))
        if at > self.size:
            raise ValueError("a delta reaches beyond the end of the text")
        return Change(added, removed, tuple(places))

    def _locate(self, offset: int) -> tuple[int, int, int]:
        """(block, run, offset in run) of byte ``offset``; at a run boundary, the start of
        the later run; at the very end, one past the last run of the last block."""
        if offset < 0 or offset > self.size:
            raise ValueError("a delta reaches beyond the end of the text")
        ends = list(itertools.accumulate(self._sizes))
        index = bisect.bisect_right(ends, offset)
        if index == len(self._blocks):  # the very end
            last = len(self._blocks) - 1
            return last, len(self._blocks[last].texts), 0
        inner = offset - (ends[index - 1] if index else 0)
        block = self._blocks[index]
        run_ends = list(itertools.accumulate(map(len, block.texts)))
        run = bisect.bisect_right(run_ends, inner)
        return index, run, inner - (run_ends[run - 1] if run else 0)

    def _insert(self, offset: int, data: bytes, author: str) -> None:
        if not data:
            return
        if not self._blocks:
            self._blocks.append(_Block([data], [author]))
            self._sizes.append(len(data))
            return
        index, run, inner = self._locate(offset)
        block = self._blocks[index]
        texts, authors = block.texts, block.authors
        if inner:  # inside a run: split it, the new run goes between the halves
            if authors[run] == author and len(texts[run]) + len(data) <= MERGE_LIMIT:
                texts[run] = texts[run][:inner] + data + texts[run][inner:]
            else:
                texts[run : run + 1] = [texts[run][:inner], data, texts[run][inner:]]
                authors[run : run + 1] = [authors[run], author, authors[run]]
        elif run and authors[run - 1] == author and len(texts[run - 1]) + len(data) <= MERGE_LIMIT:
            texts[run - 1] += data
        elif (
            run < len(texts)
            and authors[run] == author
            and len(texts[run]) + len(data) <= (MERGE_LIMIT)
        ):
            texts[run] = data + texts[run]
        else:
            texts.insert(run, data)
            authors.insert(run, author)
        block.size += len(data)
        self._sizes[index] = block.size
        if len(texts) > 2 * BLOCK:
            half = len(texts) // 2
            second = _Block(texts[half:], authors[half:])
            del texts[half:], authors[half:]
            block.size -= second.size
            self._blocks.insert(index + 1, second)
            self._sizes[index : index + 1] = [block.size, second.size]

    def _delete(self, offset: int, length: int) -> bytes:
        """Remove ``length`` bytes at ``offset``; returns them."""
        if length <= 0:
            return b""
        if offset + length > self.size:
            raise ValueError("a delta reaches beyond the end of the text")
        index, run, inner = self._locate(offset)
        gone: list[bytes] = []
        while length > 0:
            block = self._blocks[index]
            if run >= len(block.texts):
                index, run, inner = index + 1, 0, 0
                continue
            data = block.texts[run]
            taken = data[inner : inner + length]
            gone.append(taken)
            length -= len(taken)
            block.size -= len(taken)
            self._sizes[index] = block.size
            rest = data[:inner] + data[inner + len(taken) :]
            if rest:
                block.texts[run] = rest
                run += 1
            else:
                del block.texts[run], block.authors[run]
            inner = 0
        if 0 in self._sizes:
            self._blocks = [block for block in self._blocks if block.size]
            self._sizes = [block.size for block in self._blocks]
        return b"".join(gone)

    def _after_edit(self, offset: int, inserted: bytes, deleted: bytes) -> None:
        """Keep the headings: an edit that cannot touch a heading shifts the later ones; any
        other makes them be recomputed. A heading line always holds a ``#``, so an edit is
        harmless when neither what it inserted or deleted nor the line(s) it now lies in
        hold one."""
        if not self._headings_known:
            return
        if HASH in inserted or HASH in deleted or self._lines_hold_hash(offset, len(inserted)):
            self._headings_known = False
            return
        shift = len(inserted) - len(deleted)
        later = bisect.bisect_right(self._starts, offset)
        self._starts[later:] = [start + shift for start in self._starts[later:]]

    def _lines_hold_hash(self, offset: int, length: int) -> bool:
        """Whether the lines around ``[offset, offset + length)`` hold a ``#``: a window of
        text grown until it reaches a line break (or the edge of the text) on each side."""
        if self._blocks:
            index, run, inner = self._locate(offset)
            found = _line_holds_hash(self._blocks[index].texts, run, inner, length)
            if found is not None:
                return found
        size, reach = self.size, 256
        while True:
            low, high = max(0, offset - reach), min(size, offset + length + reach)
            window = self._slice(low, high)
            before = window.rfind(NEWLINE, 0, offset - low)
            after = window.find(NEWLINE, offset + length - low)
            if (before >= 0 or low == 0) and (after >= 0 or high == size):
                line = window[before + 1 : after if after >= 0 else len(window)]
                return HASH in line
            reach *= 4

    def _slice(self, low: int, high: int) -> bytes:
        if low >= high:
            return b""
        index, run, inner = self._locate(low)
        pieces: list[bytes] = []
        wanted = high - low
        while wanted > 0 and index < len(self._blocks):
            texts = self._blocks[index].texts
            while run < len(texts) and wanted > 0:
                piece = texts[run][inner : inner + wanted]
                pieces.append(piece)
                wanted -= len(piece)
                run, inner = run + 1, 0
            index, run = index + 1, 0
        return b"".join(pieces)


def _line_holds_hash(texts: list[bytes], run: int, inner: int, length: int) -> bool | None:
    """The quick answer for a span inside run ``run`` of one block, looking through the
    neighbouring runs of that block for the line's ends; None when they lie beyond it."""
    if run >= len(texts) or inner + length > len(texts[run]):
        return None
    data = texts[run]
    if HASH in data[inner : inner + length]:
        return True
    segment, at = data[:inner], run
    while (cut := segment.rfind(NEWLINE)) < 0:
        if HASH in segment:
            return True
        at -= 1
        if at < 0:
            return None
        segment = texts[at]
    if HASH in segment[cut + 1 :]:
        return True
    segment, at = data[inner + length :], run
    while (cut := segment.find(NEWLINE)) < 0:
        if HASH in segment:
            return True
        at += 1
        if at >= len(texts):
            return None
        segment = texts[at]
    return HASH in segment[:cut]


# Sections -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sections:
    """The level-1/2 headings of a text, to say in which section a character stands."""

    starts: tuple[int, ...]
    titles: tuple[str, ...]

    @classmethod
    def of(cls, text: str) -> Sections:
        found = list(HEADING.finditer(text))
        return cls(tuple(m.start() for m in found), tuple(plain_heading(m.group(1)) for m in found))

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
