"""A long editing history made fast: successive sessions (each a client id) insert words at
random places and now and then erase a few characters, one Yjs update per keystroke-sized
contribution, written as raw v1 update bytes without the engine (the engine replaying a real
trace takes minutes for 260,000 contributions; this takes seconds). The CRDT state it leaves is
as fragmented as real typing leaves it (every word its own item, with tombstones), so a first
sync of it is as large as a real document's of the same history.

:func:`history` yields the updates and keeps the expected text; :func:`store_history` appends
them to a document's contribution log in batches, then stores one checkpoint, as a room
would have left it (a test crash leaves a half-built database in its temporary folder)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from uuid import uuid4

from palabre.domain.application import PalabreApplication
from palabre.domain.contribution import NewContribution
from palabre.domain.ids import DocumentId
from palabre.server.crdt.lib0 import write_var_string, write_var_uint
from palabre.server.crdt.replica import compact

LETTERS = "abcdefghijklmnopqrstuvwxyz   ,.éèàç"
STRING, HAS_ORIGIN, HAS_RIGHT_ORIGIN = 4, 0x80, 0x40
SESSIONS = 60  # client ids, one after the other
BACKSPACE = 0.22  # a contribution erases the character before the cursor
JUMP = 0.03  # the cursor goes somewhere else first
BATCH = 2000


@dataclass
class History:
    """The characters of the text, in order, each with its id (client, clock), and where the
    cursor stands."""

    items: list[tuple[int, int, str]] = field(default_factory=list)
    cursor: int = 0

    @property
    def text(self) -> str:
        return "".join(char for _, _, char in self.items)


def history(contributions: int, seed: int = 0, model: History | None = None) -> Iterator[bytes]:
    """``contributions`` keystrokes, each its own update: typing at a cursor that now and
    then moves, and erasing behind it. ``model`` (if given) ends holding the text."""
    rng = random.Random(seed)
    state = model if model is not None else History()
    clients = [rng.randrange(1, 2**31) for _ in range(SESSIONS)]
    clocks = dict.fromkeys(clients, 0)
    for n in range(contributions):
        client = clients[n * SESSIONS // contributions]
        draw = rng.random()
        if draw < JUMP or state.cursor > len(state.items):
            state.cursor = rng.randint(0, len(state.items))
        if draw < BACKSPACE and state.cursor > 0:
            yield _erase(state)
        else:
            yield _type(state, rng.choice(LETTERS), client, clocks)


def _type(state: History, char: str, client: int, clocks: dict[int, int]) -> bytes:
    at = state.cursor
    origin = state.items[at - 1][:2] if at > 0 else None
    right = state.items[at][:2] if at < len(state.items) else None
    info = STRING | (HAS_ORIGIN if origin else 0) | (HAS_RIGHT_ORIGIN if right else 0)
    struct = bytes([info])
    for edge in (origin, right):
        if edge is not None:
            struct += write_var_uint(edge[0]) + write_var_uint(edge[1])
    if origin is None and right is None:
        struct += write_var_uint(1) + write_var_string("body")  # the root text, by name
    struct += write_var_string(char)  # one UTF-16 unit: every letter is in the basic plane
    clock = clocks[client]
    clocks[client] += 1
    state.items.insert(at, (client, clock, char))
    state.cursor += 1
    head = write_var_uint(1) + write_var_uint(1) + write_var_uint(client) + write_var_uint(clock)
    return head + struct + b"\x00"


def _erase(state: History) -> bytes:
    state.cursor -= 1
    client, clock, _ = state.items.pop(state.cursor)
    delete_set = write_var_uint(1) + write_var_uint(client) + write_var_uint(1)
    return write_var_uint(0) + delete_set + write_var_uint(clock) + write_var_uint(1)


def store_history(
    application: PalabreApplication, document_id: DocumentId, contributions: int, seed: int = 0
) -> History:
    """Append the history to the document's log, then one checkpoint at its end."""
    model = History()
    member, position, batch = uuid4(), 0, []
    updates = []
    for update in history(contributions, seed, model):
        batch.append(NewContribution(member, "synthetic", update, 1))
        updates.append(update)
        if len(batch) == BATCH:
            position = application.append_contributions(document_id, position, batch)
            batch = []
    if batch:
        position = application.append_contributions(document_id, position, batch)
    application.store_checkpoint(document_id, position, compact(updates))
    return model
