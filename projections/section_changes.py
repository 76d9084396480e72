"""What changed between two texts, section by section, for a reader rather than a diff: which
sections were added, removed, renamed or modified, how many words each change touched, and
where in the newer text the added words stand (so that authorship can say whose they are).

Pure standard library, deterministic: the same two texts always give the same result.

Sections are the level-1/2 Markdown headings (``headings.HEADING``), named as plain text
(``headings.plain_heading``: "Le comité", never "Le **comité**"), as the page and the sessions
name them; the text before the first heading is a section too (heading ``""``) when it holds
more than blanks. Matching:

1. sections with the same heading are the same section (the k-th of several same-named ones
   on one side is paired with the k-th on the other);
2. among the rest, an old and a new section are the same section *renamed* when their bodies
   are mostly the same: the similarity of their words (difflib's ratio, 2·M/T over the two
   word lists) is at least ``RENAMED_SIMILARITY`` (0.5); pairs are taken best first;
3. what is left was removed (old side) or added (new side).

A word is a whitespace-separated token holding a letter or a digit (Markdown marks such as
``##``, ``-`` or ``|`` are not words). An added or removed section counts all its words,
heading included; a kept (or renamed) section counts the words its body gained and lost, by
the same word diff as the versions' diff (``text_diff.words``).

Who made a change (:func:`authors`) is read from the authorship of both texts (runs of
``(text, author)``): a section's two versions are compared as sequences of tokens *with their
author*, so a character that stood in the older text keeps its author and matches, and only
characters written since count, for whoever wrote them. Blanks are not counted. Removals are
not attributed: a removed character leaves nothing to own.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from palabre.projections import text_diff
from palabre.projections.authorship import PREAMBLE
from palabre.projections.headings import HEADING, plain_heading

RENAMED_SIMILARITY = 0.5
TOKEN = re.compile(r"\S+")
BLANK_OR_WORD = re.compile(r"\s+|\S+")
WORDY = re.compile(r"\w")


@dataclass(frozen=True)
class Part:
    """One section of a text: its heading (``""`` for the preamble), where it starts, where
    its body starts (after the heading line), where it ends."""

    heading: str
    start: int
    body_start: int
    end: int

    def body(self, text: str) -> str:
        return text[self.body_start : self.end]

    def words(self, text: str) -> list[str]:
        return words(text[self.start : self.end])


Span = tuple[int, int]  # [start, end) in characters
Runs = Sequence[tuple[str, str]]  # (text, author), in text order


@dataclass(frozen=True)
class SectionChange:
    """``heading`` is the section's heading in the newer text (in the older one for a removed
    section); ``previous`` the older heading of a renamed one; ``old`` and ``new`` where the
    section stands in each text (None on the side where it does not)."""

    heading: str
    change: str  # added, removed, renamed or modified
    added: int  # words
    removed: int
    previous: str | None = None
    old: Span | None = None
    new: Span | None = None

    @property
    def words(self) -> int:
        return self.added + self.removed


@dataclass(frozen=True)
class Comparison:
    changes: tuple[SectionChange, ...]  # in the newer text's order, removed ones where they were
    unchanged: int  # sections kept with the same heading and the same words


def words(text: str) -> list[str]:
    return [token for token in TOKEN.findall(text) if WORDY.search(token)]


def parts(text: str) -> list[Part]:
    found = list(HEADING.finditer(text))
    starts = [match.start() for match in found]
    ends = [*starts[1:], len(text)] if starts else []
    listed = []
    for match, start, end in zip(found, starts, ends, strict=True):
        line_end = text.find("\n", match.end())
        body = end if line_end < 0 else min(end, line_end + 1)
        listed.append(Part(plain_heading(match.group(1)), start, body, end))
    first = starts[0] if starts else len(text)
    if text[:first].strip():
        listed.insert(0, Part(PREAMBLE, 0, 0, first))
    return listed


def compare(old: str, new: str) -> Comparison:
    before, after = parts(old), parts(new)
    pairs = _same_headings(before, after)
    pairs |= _renamed(old, new, before, after, pairs)
    by_new = {j: i for i, j in pairs.items()}
    ordered: list[tuple[tuple[int, int, int], SectionChange]] = []
    unchanged = 0
    for j, part in enumerate(after):
        if j not in by_new:
            ordered.append(((j, 0, 0), _added(new, part)))
            continue
        change = _kept(old, new, before[by_new[j]], part)
        if change is None:
            unchanged += 1
        else:
            ordered.append(((j, 0, 0), change))
    for i, part in enumerate(before):
        if i not in pairs:
            ordered.append(((_place_of(i, pairs), 1, i), _removed(old, part)))
    ordered.sort(key=lambda entry: entry[0])
    return Comparison(tuple(change for _, change in ordered), unchanged)


def _same_headings(before: Sequence[Part], after: Sequence[Part]) -> dict[int, int]:
    waiting: dict[str, list[int]] = {}
    for j, part in enumerate(after):
        waiting.setdefault(part.heading, []).append(j)
    pairs: dict[int, int] = {}
    for i, part in enumerate(before):
        if waiting.get(part.heading):
            pairs[i] = waiting[part.heading].pop(0)
    return pairs


def _renamed(
    old: str, new: str, before: Sequence[Part], after: Sequence[Part], pairs: dict[int, int]
) -> dict[int, int]:
    """Old and new sections left over whose bodies are mostly the same words, best first."""
    olds = [i for i in range(len(before)) if i not in pairs]
    news = [j for j in range(len(after)) if j not in set(pairs.values())]
    scored = []
    for i in olds:
        old_words = words(before[i].body(old))
        for j in news:
            matcher = difflib.SequenceMatcher(
                None, old_words, words(after[j].body(new)), autojunk=False
            )
            if matcher.quick_ratio() >= RENAMED_SIMILARITY:
                ratio = matcher.ratio()
                if ratio >= RENAMED_SIMILARITY:
                    scored.append((-ratio, j, i))
    renamed: dict[int, int] = {}
    for _, j, i in sorted(scored):
        if i not in renamed and j not in renamed.values():
            renamed[i] = j
    return renamed


def _place_of(old_index: int, pairs: dict[int, int]) -> int:
    """Where a removed section goes in the list: after the new place of the nearest kept
    section before it (-1: before everything)."""
    kept_before = [pairs[i] for i in pairs if i < old_index]
    return max(kept_before) if kept_before else -1


def _added(new: str, part: Part) -> SectionChange:
    return SectionChange(part.heading, "added", len(part.words(new)), 0, new=(part.start, part.end))


def _removed(old: str, part: Part) -> SectionChange:
    words_gone = len(part.words(old))
    return SectionChange(part.heading, "removed", 0, words_gone, old=(part.start, part.end))


def _kept(old: str, new: str, was: Part, now: Part) -> SectionChange | None:
    added = removed = 0
    for segment in text_diff.words(was.body(old), now.body(new)):
        if segment.op == "insert":
            added += len(words(segment.text))
        elif segment.op == "delete":
            removed += len(words(segment.text))
    spans = (was.start, was.end), (now.start, now.end)
    if was.heading != now.heading:
        return SectionChange(now.heading, "renamed", added, removed, was.heading, *spans)
    if added or removed:
        return SectionChange(now.heading, "modified", added, removed, None, *spans)
    return None


# Who made the changes -----------------------------------------------------------------------


def authors(change: SectionChange, old_runs: Runs, new_runs: Runs) -> dict[str, int]:
    """Characters (blanks apart) per author that the change wrote: all of an added section's,
    those a kept section's newer version has and its older one has not; none for a removed
    section."""
    if change.new is None:
        return {}
    after = _tokens(new_runs, change.new)
    if change.old is None:
        return _tally(after)
    before = _tokens(old_runs, change.old)
    inserted: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "insert":
            inserted += after[j1:j2]
        elif tag == "replace":  # "travail." became "travail en commun.": look closer
            inserted += _new_characters(before[i1:i2], after[j1:j2])
    return _tally(inserted)


def _new_characters(
    before: Sequence[tuple[str, str]], after: Sequence[tuple[str, str]]
) -> list[tuple[str, str]]:
    """The characters of a replaced stretch that its older version lacks, with authors."""
    old = [(char, author) for token, author in before for char in token]
    new = [(char, author) for token, author in after for char in token]
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    return [
        char
        for tag, _, _, j1, j2 in matcher.get_opcodes()
        if tag in ("insert", "replace")
        for char in new[j1:j2]
    ]


def _tokens(runs: Runs, span: Span) -> list[tuple[str, str]]:
    """The text in ``span`` as (token, author): words and blanks, cut where authors change."""
    start, end = span
    tokens: list[tuple[str, str]] = []
    at = 0
    for text, author in runs:
        low, high = max(start, at), min(end, at + len(text))
        if low < high:
            piece = text[low - at : high - at]
            tokens += [(token, author) for token in BLANK_OR_WORD.findall(piece)]
        at += len(text)
        if at >= end:
            break
    return tokens


def _tally(tokens: Iterable[tuple[str, str]]) -> dict[str, int]:
    found: dict[str, int] = {}
    for token, author in tokens:
        if not token.isspace():
            found[author] = found.get(author, 0) + len(token)
    return found
