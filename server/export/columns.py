"""Table column widths from their content, the same rule in every format that fixes widths
itself (PDF, DOCX, ODT; HTML leaves it to the browser, which follows the same rule).

Each column gets at least its longest word, so that no word is ever split across lines, and
at most what its longest line needs. Between those bounds the columns are first filled like
vessels to one level (a column with little text, a country or a vote, gets all it needs and
stays on one line; the columns with more text share the rest equally), then width moves from
column to column while that makes the table shorter, its height estimated by wrapping each
cell's words as the renderers do: a reason written in one row does not get the width that
names written in every row need. When every line fits, the columns widen in proportion to fill
the width. A "word" runs from one breakable space to the next: no-break spaces (U+00A0,
U+202F) and hyphens bind, so "n° 3", "« ensemble »" and "Ille-et-Vilaine" stay whole.

Only when the longest words of all columns do not fit side by side (a table of long hashes or
addresses) do columns shrink below them, in proportion.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from palabre.server.export.model import Inline, Table

# (text, bold, code) -> its width in em (that is, in points at a font size of 1 pt).
Width = Callable[[str, bool, bool], float]
BREAKABLE = re.compile(r"([ \t\r\n\u2000-\u2006\u2008-\u200b]+)")  # not U+00A0, U+2007, U+202F


@dataclass(frozen=True)
class CellSizes:
    font_size: float  # points
    padding: float  # left plus right, points
    header_bold: bool = True


def column_widths(
    table: Table, available: float, sizes: CellSizes, width: Width
) -> tuple[float, ...]:
    """Widths in points, adding up to ``available``."""
    width = functools.cache(width)  # tables repeat their words ("France", "Pour")
    columns = len(table.header)
    rows = [
        [_words(cell, index == 0 and sizes.header_bold, width) for cell in row[:columns]]
        for index, row in enumerate((table.header, *table.rows))
    ]
    space = width(" ", False, False)
    least = [0.0] * columns
    most = [0.0] * columns
    for row in rows:
        for column, lines in enumerate(row):
            least[column] = max(least[column], max((w for line in lines for w in line), default=0))
            most[column] = max(most[column], max((_length(li, space) for li in lines), default=0))
    extra = sizes.padding + 0.5  # the cell's padding, and a little for rounding
    least = [w * sizes.font_size + extra for w in least]
    most = [max(w * sizes.font_size + extra, m) for w, m in zip(most, least, strict=True)]
    floor, ceiling = sum(least), sum(most)
    if ceiling <= available:  # everything on one line: widen in proportion to the content
        return tuple(m + (available - ceiling) * m / ceiling for m in most)
    if floor >= available:  # words wider than the page: they will be split, in proportion
        return tuple(lo * available / floor for lo in least)
    height = _Height(rows, sizes.font_size, extra, space)
    widths = _shortest(_levelled(least, most, available), least, most, available, height)
    return (*widths[:-1], available - sum(widths[:-1]))


Line = tuple[float, ...]  # the widths of its words, in em


def _words(cell: Inline, bold: bool, width: Width) -> tuple[Line, ...]:
    """A cell's lines (between hard breaks), as the widths of their words, in em."""
    lines: list[Line] = []
    words: list[float] = []
    word: float | None = None
    for span in cell:
        if span.text == "\n":
            lines.append((*words, *(() if word is None else (word,))))
            words, word = [], None
            continue
        for piece in BREAKABLE.split(span.text):
            if not piece:
                continue
            if BREAKABLE.fullmatch(piece):
                if word is not None:
                    words.append(word)
                word = None
            else:
                word = (word or 0.0) + width(piece, bold or span.bold, span.code)
    lines.append((*words, *(() if word is None else (word,))))
    return tuple(lines)


def _length(line: Line, space: float) -> float:
    return sum(line) + space * max(len(line) - 1, 0)


def _levelled(least: Sequence[float], most: Sequence[float], available: float) -> list[float]:
    """Every column at one level, within its bounds, the level found by bisection."""
    low, high = 0.0, max(most)
    for _ in range(60):
        level = (low + high) / 2
        if sum(_filled(level, least, most)) > available:
            high = level
        else:
            low = level
    return list(_filled(low, least, most))


def _filled(level: float, least: Sequence[float], most: Sequence[float]) -> tuple[float, ...]:
    return tuple(min(max(level, lo), hi) for lo, hi in zip(least, most, strict=True))


class _Height:
    """The table's height in lines at given widths: each row as tall as its tallest cell,
    each cell wrapped greedily, as ReportLab, LibreOffice and Word wrap (remembered per
    column and width)."""

    def __init__(
        self, rows: list[list[tuple[Line, ...]]], size: float, padding: float, space: float
    ) -> None:
        self.rows = rows
        self.size = size
        self.padding = padding
        self.space = space
        self._known: dict[tuple[int, float], list[int]] = {}

    def __call__(self, widths: Sequence[float]) -> int:
        columns = [self._column(index, width) for index, width in enumerate(widths)]
        return sum(max(cells) for cells in zip(*columns, strict=True))

    def _column(self, index: int, width: float) -> list[int]:
        key = (index, width)
        if key not in self._known:
            inner = (width - self.padding) / self.size  # in em
            self._known[key] = [_wrapped(row[index], inner, self.space) for row in self.rows]
        return self._known[key]


def _wrapped(lines: tuple[Line, ...], inner: float, space: float) -> int:
    count = 0
    for line in lines:
        count += 1
        filled = None
        for word in line:
            if filled is not None and filled + space + word > inner:
                count += 1
                filled = None
            filled = word if filled is None else filled + space + word
    return count


def _shortest(
    widths: list[float],
    least: Sequence[float],
    most: Sequence[float],
    available: float,
    height: _Height,
) -> list[float]:
    """Move width between columns, in halving steps, while the table gets shorter."""
    best = height(widths)
    step = available / 16
    pairs = [(i, j) for i in range(len(widths)) for j in range(len(widths)) if i != j]
    while step >= available / 512:
        improved = False
        for giver, taker in pairs:
            moved = min(step, widths[giver] - least[giver], most[taker] - widths[taker])
            if moved <= 0:
                continue
            trial = list(widths)
            trial[giver] -= moved
            trial[taker] += moved
            lines = height(trial)
            if lines < best:
                widths, best, improved = trial, lines, True
        if not improved:
            step /= 2
    return widths
