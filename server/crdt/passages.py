"""Writing an accepted suggestion into the text: the Yjs update that deletes its passage where
its anchors stand now and inserts the replacement there, made by the server on behalf of the
suggester.

The update is made in a copy of the document under a fresh client id (one that no update of
this document carries), so it is a plain text change like a person's: it inserts and deletes
in ``body`` and nothing else. A passage that no longer reads as quoted is never replaced: the
caller gets None and reports a conflict.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from palabre.server.crdt.anchors import MARKER_CLIENT, AnchorQuery, locate_passages
from palabre.server.crdt.lib0 import Reader
from palabre.server.crdt.replica import LiveText


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
    live = fresh_copy(list(state))
    [where] = locate_passages(live, [passage])
    if where.detached or where.start is None or where.end is None:
        return None
    update = live.replace(where.start, where.end, replacement)
    return Replacement(update, where.start, where.end, live.client_id)


def fresh_copy(updates: list[bytes]) -> LiveText:
    """A copy of the document under a random 32-bit client id (as Yjs draws them) that none
    of its items carries, nor the id anchors write their markers under; drawn again in the
    unlikely case it does."""
    while True:
        client_id = secrets.randbits(32)
        if client_id == MARKER_CLIENT:
            continue
        live = LiveText(client_id=client_id)
        live.apply_stored(updates)
        if client_id not in _clients(live.state_vector()):
            return live


def _clients(state_vector: bytes) -> set[int]:
    reader = Reader(state_vector)
    clients = set()
    for _ in range(reader.var_uint()):
        clients.add(reader.var_uint())
        reader.var_uint()
    return clients
