"""The diffs of ``projections/text_diff.py``: the word segments always spell both texts, the
unified diff always turns the old text into the new one, on generated texts (accents,
« guillemets », non-breaking spaces, lines without a final newline) and on real edits."""

from __future__ import annotations

import difflib
import itertools
import random
import re

from hypothesis import given, settings
from hypothesis import strategies as st
from palabre.projections.text_diff import (
    LINE,
    NO_NEWLINE,
    Segment,
    TextDiff,
    blocks_of,
    compare,
    unified,
    words,
)

from tests.support import traces

HUNK = re.compile(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
PIECES = ["é", "è", "à", "ç", "«\u00a0", "\u00a0»", "’", "ɖ", "ŋ", "ʋ", "a", "b", " ", "  "]
PIECES += ["\n", "\n\n", "\t", "# Titre\n", "mot", "structures.", "ESS", "🙂", "e\u0301"]
texts = st.lists(st.sampled_from(PIECES), max_size=60).map("".join)


def spelled(segments: list[Segment]) -> tuple[str, str]:
    old = "".join(s.text for s in segments if s.op != "insert")
    new = "".join(s.text for s in segments if s.op != "delete")
    return old, new


def patched(old: str, patch: str) -> str:
    """Apply a unified diff to ``old`` strictly: every context and removed line must be
    where the hunk says."""
    lines, result, at = LINE.findall(old), [], 0
    body = patch.splitlines(keepends=True)[2:]
    index = 0
    while index < len(body):
        match = HUNK.match(body[index])
        assert match, body[index]
        start = int(match.group(1)) - (0 if match.group(2) == "0" else 1)
        result += lines[at:start]
        at = start
        index += 1
        while index < len(body) and not body[index].startswith("@@"):
            mark, line = body[index][0], body[index][1:]
            if index + 1 < len(body) and body[index + 1] == "\\ No newline at end of file\n":
                line = line[:-1]
                index += 1
            if mark in " -":
                assert lines[at] == line, (lines[at], line)
                at += 1
            if mark in " +":
                result.append(line)
            index += 1
    return "".join(result + lines[at:])


def check(old: str, new: str) -> TextDiff:
    diff = compare(old, new, "v1", "v2")
    assert spelled(diff.words) == (old, new)
    assert all(a.op != b.op for a, b in itertools.pairwise(diff.words))
    assert all(segment.text for segment in diff.words)
    assert patched(old, diff.unified) == new
    assert (diff.unified == "") == (old == new)
    assert diff.unified == unified(old, new, "v1", "v2")
    assert diff.words == words(old, new)
    return diff


@settings(max_examples=400, deadline=None)
@given(texts, texts)
def test_segments_spell_both_texts_and_the_patch_applies(old: str, new: str) -> None:
    check(old, new)


@settings(max_examples=200, deadline=None)
@given(texts, st.lists(st.tuples(st.integers(0, 200), st.integers(0, 8), texts), max_size=6))
def test_edits_of_one_text_diff_exactly(old: str, edits: list[tuple[int, int, str]]) -> None:
    new = old
    for at, length, inserted in edits:
        at = min(at, len(new))
        new = new[:at] + inserted + new[at + length :]
    check(old, new)


def test_both_ways_of_comparing_a_long_run_spell_the_texts() -> None:
    """A run of changed tokens too large for the exact comparison is aligned another way;
    both cover both sequences, in order."""
    rng = random.Random(4)
    a = [rng.randrange(30) for _ in range(3000)]
    b = [x for x in a if rng.random() > 0.2] + [rng.randrange(30) for _ in range(300)]
    for cells in (len(a) * len(b), 0):
        blocks = blocks_of(a, b, exact_cells=cells)
        assert [(i1, j1) for _, i1, _, j1, _ in blocks[:1]] == [(0, 0)]
        assert (blocks[-1][2], blocks[-1][4]) == (len(a), len(b))
        for (_, _, i2, _, j2), (_, k1, _, l1, _) in itertools.pairwise(blocks):
            assert (i2, j2) == (k1, l1)
        for changed, i1, i2, j1, j2 in blocks:
            assert changed or a[i1:i2] == b[j1:j2]


def test_unified_matches_difflib_where_the_alignment_is_unique() -> None:
    old = "".join(f"ligne {k}\n" for k in range(40))
    new = old.replace("ligne 5\n", "ligne cinq\n").replace("ligne 30\n", "") + "fin"
    lines = difflib.unified_diff(LINE.findall(old), LINE.findall(new), "a", "b")
    expected = "".join(line if line.endswith("\n") else f"{line}\n{NO_NEWLINE}" for line in lines)
    assert unified(old, new, "a", "b") == expected


def test_real_edits_between_points_of_a_trace_diff_exactly() -> None:
    trace = traces.load("seph-blog1")
    text, points = "", {}
    wanted = {3_000, 20_000, 60_000, 100_000, len(trace.txns) - 1}
    for k, txn in enumerate(trace.txns):
        for position, deleted, inserted in txn.patches:
            text = text[:position] + inserted + text[position + deleted :]
        if k in wanted:
            points[k] = text
    for old, new in itertools.combinations(points.values(), 2):
        diff = check(old, new)
        assert any(segment.op == "equal" for segment in diff.words)
        check(new, old)


def test_a_changed_word_in_french_prose() -> None:
    old = "« Le réseau ESS de Bretagne » relie\u00a0les structures.\n"
    new = "« Le réseau solidaire de Bretagne » relie\u00a0les structures.\n"
    changes = [s for s in words(old, new) if s.op != "equal"]
    assert changes == [Segment("delete", "ESS"), Segment("insert", "solidaire")]
