"""Writing an accepted suggestion into the text: the Yjs update that deletes its passage where
its anchors stand now and inserts the replacement there, made by the server on behalf of the
suggester.

The update is made in a copy of the document under a fresh client id (one that no update of
this document carries), so it is a plain text change like a person's: it inserts and deletes
in ``body`` and nothing else. Offsets are converted to UTF-8 bytes for pycrdt 0.14's ``Text``
(y-crdt/pycrdt#308). A passage that no longer reads as quoted is never replaced: the caller
gets None and reports a conflict.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from palabre.server.crdt.anchors import MARKER_CLIENT, AnchorQuery, locate_passages
from palabre.server.crdt.lib0 import Reader
from palabre.server.crdt.replica import BODY, LiveText, engine_refusals, rebuild
from pycrdt import Doc, Text


@dataclass(frozen=True)
class Replacement:
    """The update that replaces the passage ``[start, end)`` (characters, in the text it was
    made against), and the client id it was made under."""

    update: bytes
    start: int
    end: int
    client_id: int


def replace_passage(
    state: Iterable[bytes], passage: AnchorQuery, replacement: str
) -> Replacement | None:
    """The update replacing ``passage`` with ``replacement`` in the document that ``state``
    (stored or live updates) builds; None when the passage does not read as quoted there."""
    live = rebuild(state)
    [where] = locate_passages(live, [passage])
    if where.detached or where.start is None or where.end is None:
        return None
    client_id = fresh_client_id(live)
    doc: Doc[Text] = Doc(client_id=client_id)
    with engine_refusals("the document's state"):
        doc.apply_update(live.encode_state())
    text = doc.get(BODY, type=Text)
    before = doc.get_state()
    current = str(text)
    low = len(current[: where.start].encode("utf-8"))
    high = low + len(current[where.start : where.end].encode("utf-8"))
    with engine_refusals("a replacement"), doc.transaction():
        if high > low:
            del text[low:high]
        if replacement:
            text.insert(low, replacement)
    return Replacement(doc.get_update(before), where.start, where.end, client_id)


def fresh_client_id(live: LiveText) -> int:
    """A random 32-bit client id (as Yjs draws them) that no item of ``live`` carries, and
    not the id anchors write their markers under."""
    taken = _clients(live.state_vector()) | {MARKER_CLIENT}
    while True:
        candidate = secrets.randbits(32)
        if candidate not in taken:
            return candidate


def _clients(state_vector: bytes) -> set[int]:
    reader = Reader(state_vector)
    clients = set()
    for _ in range(reader.var_uint()):
        clients.add(reader.var_uint())
        reader.var_uint()
    return clients
