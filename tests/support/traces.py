"""The real editing traces of ``tests/data`` (josephg/editing-traces, CC BY 4.0; see the README
there): loading them, and replaying a transaction on a pycrdt text. Reads only; a missing or
corrupt file raises at load."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from pycrdt import Doc, Text

TRACES = Path(__file__).resolve().parents[1] / "data"

Patch = tuple[int, int, str]


@dataclass(frozen=True)
class Txn:
    patches: list[Patch]
    agent: int = 0
    parents: tuple[int, ...] = ()


@dataclass(frozen=True)
class Trace:
    name: str
    end: str
    txns: list[Txn]
    agents: int


def path(name: str) -> Path:
    """The gzipped JSON file of the trace ``name`` (e.g. ``seph-blog1``)."""
    return TRACES / f"{name}.json.gz"


def load(name: str) -> Trace:
    raw: dict[str, Any] = orjson.loads(gzip.decompress(path(name).read_bytes()))
    txns = [
        Txn(
            patches=[(int(p[0]), int(p[1]), str(p[2])) for p in txn["patches"]],
            agent=int(txn.get("agent", 0)),
            parents=tuple(int(p) for p in txn.get("parents", ())),
        )
        for txn in raw["txns"]
    ]
    return Trace(name, str(raw["endContent"]), txns, int(raw.get("numAgents", 1)))


def apply_txn(text: Text, txn: Txn, current: str) -> str:
    """Apply one transaction's patches (descending positions, Array.splice semantics) to
    ``text``, whose content is ``current``; return the new content.

    pycrdt 0.14 indexes Text by UTF-8 bytes (y-crdt/pycrdt#308), while traces count code
    points, hence the conversion."""
    with text.doc.transaction():
        for position, deleted, inserted in txn.patches:
            ascii_only = current.isascii()
            start = position if ascii_only else len(current[:position].encode())
            if deleted:
                end = position + deleted
                size = deleted if ascii_only else len(current[position:end].encode())
                del text[start : start + size]
            if inserted:
                text.insert(start, inserted)
            current = current[:position] + inserted + current[position + deleted :]
    return current


def updates_of(trace: Trace) -> Iterator[bytes]:
    """The Yjs update of each transaction of a sequential trace, replayed on one replica."""
    doc: Doc[Any] = Doc()
    text = doc.get("body", type=Text)
    captured: list[bytes] = []
    doc.observe(lambda event: captured.append(event.update))
    current = ""
    for txn in trace.txns:
        current = apply_txn(text, txn, current)
        yield from captured
        captured.clear()
