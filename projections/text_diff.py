"""Differences between two texts (two approved versions, two points of the history): a
unified diff by lines, for people used to patches, and a diff by words, for showing changes
inline in prose, where a line is a whole paragraph. Both are pure functions of the two texts.

How, in close to linear time on a 100-page text: lines first, then words only where lines
changed. The lines are compared as a longest common subsequence (rapidfuzz's bit-parallel
``Indel``, O(N·M/64) over lines, which a 250,000-character text has a few thousand of); each
run of changed lines is then compared by words. A run is small in practice, and compared
exactly the same way; a run too large for that bit matrix (``EXACT_CELLS``) is compared with
rapidfuzz's ``Levenshtein`` alignment instead, in linear memory and O(N·D/64) time (D: the
edit distance), its substitutions written as a deletion then an insertion. Either way the
result depends only on the texts, never on time limits.

Tokens and lines are numbered (a dictionary from each distinct one to an integer) before they
are compared, so equality is string equality, never a hash that could collide.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from rapidfuzz.distance import Indel, Levenshtein

Op = Literal["equal", "insert", "delete"]
LINE = re.compile(r"[^\n]*\n|[^\n]+")  # only "\n" ends a line, unlike str.splitlines
TOKEN = re.compile(r"\s+|\S+")  # words and the whitespace between them: joining gives the text
NO_NEWLINE = "\\ No newline at end of file\n"
CONTEXT = 3  # lines of context around each hunk of the unified diff
EXACT_CELLS = 1 << 24  # largest n·m compared as an exact LCS (its bit matrix: n·m/8 bytes)

Block = tuple[bool, int, int, int, int]  # (changed, i1, i2, j1, j2): old[i1:i2] -> new[j1:j2]


@dataclass(frozen=True)
class Segment:
    op: Op
    text: str


@dataclass(frozen=True)
class TextDiff:
    """Both diffs of two texts, from one comparison of their lines."""

    unified: str
    words: list[Segment]

    @property
    def size(self) -> int:
        """Characters held, give or take: what a cache of diffs weighs."""
        return len(self.unified) + sum(len(s.text) + 16 for s in self.words)


def compare(old: str, new: str, old_name: str, new_name: str) -> TextDiff:
    """The unified diff and the word diff (see :func:`unified` and :func:`words`)."""
    before, after = LINE.findall(old), LINE.findall(new)
    blocks = line_blocks(before, after)
    return TextDiff(
        _unified(before, after, blocks, old_name, new_name), _words(before, after, blocks)
    )


def unified(old: str, new: str, old_name: str, new_name: str) -> str:
    """A unified diff (3 lines of context), empty when the texts are equal; a last line
    without a newline is marked the way GNU diff marks it."""
    before, after = LINE.findall(old), LINE.findall(new)
    return _unified(before, after, line_blocks(before, after), old_name, new_name)


def words(old: str, new: str) -> list[Segment]:
    """Segments that spell ``old`` when the inserts are left out, and ``new`` when the
    deletes are; neighbouring segments never share an op."""
    before, after = LINE.findall(old), LINE.findall(new)
    return _words(before, after, line_blocks(before, after))


# Comparing sequences ------------------------------------------------------------------------


def line_blocks(before: Sequence[str], after: Sequence[str]) -> list[Block]:
    return blocks_of(*_numbered(before, after))


def blocks_of(a: list[int], b: list[int], exact_cells: int = EXACT_CELLS) -> list[Block]:
    """Alternating unchanged and changed stretches covering both sequences, in order: an
    exact LCS when ``len(a) * len(b)`` is at most ``exact_cells``, else a Levenshtein
    alignment. Adjacent edits are merged into one changed stretch."""
    aligner = Indel if len(a) * len(b) <= exact_cells else Levenshtein
    blocks: list[Block] = []
    for tag, i1, i2, j1, j2 in aligner.opcodes(a, b):
        changed = tag != "equal"
        if i1 == i2 and j1 == j2:
            continue
        if blocks and blocks[-1][0] == changed:
            _, start_a, _, start_b, _ = blocks[-1]
            blocks[-1] = (changed, start_a, i2, start_b, j2)
        else:
            blocks.append((changed, i1, i2, j1, j2))
    return blocks


def _numbered(before: Sequence[str], after: Sequence[str]) -> tuple[list[int], list[int]]:
    numbers: dict[str, int] = {}
    a = [numbers.setdefault(item, len(numbers)) for item in before]
    b = [numbers.setdefault(item, len(numbers)) for item in after]
    return a, b


# Words --------------------------------------------------------------------------------------


def _words(before: list[str], after: list[str], blocks: list[Block]) -> list[Segment]:
    segments: list[Segment] = []
    for changed, i1, i2, j1, j2 in blocks:
        if not changed:
            _append(segments, "equal", "".join(before[i1:i2]))
            continue
        old, new = TOKEN.findall("".join(before[i1:i2])), TOKEN.findall("".join(after[j1:j2]))
        for token_changed, k1, k2, l1, l2 in blocks_of(*_numbered(old, new)):
            if token_changed:
                _append(segments, "delete", "".join(old[k1:k2]))
                _append(segments, "insert", "".join(new[l1:l2]))
            else:
                _append(segments, "equal", "".join(old[k1:k2]))
    return segments


def _append(segments: list[Segment], op: Op, text: str) -> None:
    if not text:
        return
    if segments and segments[-1].op == op:
        segments[-1] = Segment(op, segments[-1].text + text)
    else:
        segments.append(Segment(op, text))


# Unified ------------------------------------------------------------------------------------


def _unified(
    before: list[str], after: list[str], blocks: list[Block], old_name: str, new_name: str
) -> str:
    if not any(changed for changed, *_ in blocks):
        return ""
    out = [f"--- {old_name}\n", f"+++ {new_name}\n"]
    for hunk in _hunks(blocks):
        first, last = hunk[0], hunk[-1]
        old_range = _range(first[1], last[2])
        new_range = _range(first[3], last[4])
        out.append(f"@@ -{old_range} +{new_range} @@\n")
        for changed, i1, i2, j1, j2 in hunk:
            if not changed:
                out += (_line(" ", line) for line in before[i1:i2])
                continue
            out += (_line("-", line) for line in before[i1:i2])
            out += (_line("+", line) for line in after[j1:j2])
    return "".join(out)


def _hunks(blocks: list[Block]) -> Iterator[list[Block]]:
    """The changed blocks with up to ``CONTEXT`` unchanged lines around each, grouped into
    hunks where two changes are more than twice that apart (difflib's grouping)."""
    hunk: list[Block] = []
    last = len(blocks) - 1
    for index, (changed, i1, i2, j1, j2) in enumerate(blocks):
        if changed:
            hunk.append((changed, i1, i2, j1, j2))
            continue
        if index == 0:  # leading context only
            hunk.append((False, max(i1, i2 - CONTEXT), i2, max(j1, j2 - CONTEXT), j2))
        elif index == last:  # trailing context only
            hunk.append((False, i1, min(i2, i1 + CONTEXT), j1, min(j2, j1 + CONTEXT)))
        elif i2 - i1 > 2 * CONTEXT:  # a long unchanged stretch ends a hunk
            hunk.append((False, i1, i1 + CONTEXT, j1, j1 + CONTEXT))
            yield hunk
            hunk = [(False, i2 - CONTEXT, i2, j2 - CONTEXT, j2)]
        else:
            hunk.append((changed, i1, i2, j1, j2))
    if any(changed for changed, *_ in hunk):
        yield hunk


def _range(start: int, stop: int) -> str:
    """A hunk's line range as GNU diff writes it (difflib's ``_format_range_unified``)."""
    beginning, length = start + 1, stop - start
    if length == 1:
        return str(beginning)
    if not length:
        beginning -= 1
    return f"{beginning},{length}"


def _line(mark: str, line: str) -> str:
    return mark + line if line.endswith("\n") else f"{mark}{line}\n{NO_NEWLINE}"
