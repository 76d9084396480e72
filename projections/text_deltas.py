"""Each contribution's change to the text, as the CRDT engine computed it when the history
index replayed the log, kept in a compact form so that the text and its authorship at any
position are rebuilt from a stored snapshot plus these changes, without the engine.

Why: replaying contributions through the engine costs most at read time (integrating a
checkpoint of a 250,000-character text, then computing each contribution's delta, whose cost
grows with the document's item count: seconds for a thousand contributions), while applying
the deltas the engine computed once costs milliseconds. The deltas are the engine's own, so
concurrent edits are attributed as the CRDT merged them, exactly as when replaying.

A packed delta is a list of ops: a positive int retains that many UTF-8 bytes, a negative
one deletes that many, a string is inserted (pycrdt 0.14 counts in UTF-8 bytes, see
``projections/authorship.py``). A contribution's change is its list of deltas (one per
transaction of its update, usually one).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from palabre.projections.authorship import Authorship, DeltaOp

PackedOp = int | str
PackedDelta = list[PackedOp]
Change = list[list[DeltaOp]]  # one contribution: its deltas, in order


def pack(change: Sequence[Sequence[DeltaOp]]) -> list[PackedDelta]:
    return [[_pack_op(kind, value) for kind, value in delta] for delta in change]


def unpack(packed: Iterable[PackedDelta]) -> Change:
    return [[_unpack_op(op) for op in delta] for delta in packed]


def _pack_op(kind: str, value: int | str) -> PackedOp:
    if isinstance(value, str):
        return value
    if value <= 0:
        raise ValueError(f"a {kind} op of {value} bytes")
    return value if kind == "retain" else -value


def _unpack_op(op: PackedOp) -> DeltaOp:
    if isinstance(op, str):
        return ("insert", op)
    if op == 0:
        raise ValueError("an op of 0 bytes")
    return ("retain", op) if op > 0 else ("delete", -op)


@dataclass(frozen=True)
class Snapshot:
    """The attributed text at one position: its UTF-8 text and the runs' authors and byte
    lengths (``runs`` alternates an index into ``authors`` and a length, as the index's
    authorship records do)."""

    position: int
    utf8: bytes
    authors: Sequence[str]
    runs: Sequence[int]

    def authorship(self) -> Authorship:
        """The attributed text; ValueError if the runs do not add up to the text."""
        lengths = self.runs[1::2]
        if len(self.runs) % 2 or sum(lengths) != len(self.utf8):
            raise ValueError(f"the runs at {self.position} do not fit its text")
        pieces, at = [], 0
        for author, length in zip(self.runs[0::2], lengths, strict=True):
            pieces.append((self.utf8[at : at + length], self.authors[author]))
            at += length
        return Authorship.of_runs(pieces)


def replay(snapshot: Snapshot, changes: Iterable[tuple[str, Change]]) -> Authorship:
    """The attributed text after the snapshot and then each (author, change) in order."""
    text = snapshot.authorship()
    for author, change in changes:
        for delta in change:
            text.apply(delta, author)
    return text
