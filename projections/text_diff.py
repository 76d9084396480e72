"""Differences between two texts (two approved versions): a unified diff by lines, for people
used to patches, and a diff by words, for showing changes inline in prose, where a line is a
whole paragraph. Both are pure functions of the two texts."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Literal

Op = Literal["equal", "insert", "delete"]
LINE = re.compile(r"[^\n]*\n|[^\n]+")  # only "\n" ends a line, unlike str.splitlines
TOKEN = re.compile(r"\s+|\S+")  # words and the whitespace between them: joining gives the text
NO_NEWLINE = "\\ No newline at end of file\n"


@dataclass(frozen=True)
class Segment:
    op: Op
    text: str


def unified(old: str, new: str, old_name: str, new_name: str) -> str:
    """A unified diff (3 lines of context), empty when the texts are equal; a last line
    without a newline is marked the way GNU diff marks it."""
    lines = difflib.unified_diff(
        LINE.findall(old), LINE.findall(new), fromfile=old_name, tofile=new_name
    )
    return "".join(line if line.endswith("\n") else f"{line}\n{NO_NEWLINE}" for line in lines)


def words(old: str, new: str) -> list[Segment]:
    """Segments that spell ``old`` when the inserts are left out, and ``new`` when the
    deletes are; neighbouring segments never share an op."""
    before, after = TOKEN.findall(old), TOKEN.findall(new)
    segments: list[Segment] = []
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            _append(segments, "equal", before[i1:i2])
            continue
        _append(segments, "delete", before[i1:i2])
        _append(segments, "insert", after[j1:j2])
    return segments


def _append(segments: list[Segment], op: Op, tokens: list[str]) -> None:
    if not tokens:
        return
    text = "".join(tokens)
    if segments and segments[-1].op == op:
        segments[-1] = Segment(op, segments[-1].text + text)
    else:
        segments.append(Segment(op, text))
