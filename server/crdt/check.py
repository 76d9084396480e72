"""The update check: what an update from the network may contain, decided by reading its
bytes (the Yjs v1 update format), never by trusting the engine.

An update passes only if it inserts and deletes plain text in the root text ``body``:

- every struct is a GC, a skip, or an item whose content is a string or deleted content
  (no JSON, binary, embed, format, type, any, sub-document or move content);
- an item without origins names its parent, and that parent must be the root ``body``
  (no other root, no parent by id, no map key);
- client ids are between 1 and 2**53 - 1 (Yjs draws 32-bit ones, pycrdt 53-bit ones; 0 is the
  server's own) and clocks stay below 2**53 (JavaScript's exact integers);
- the bytes end exactly where the update does.

:func:`check_update` returns the update's :class:`Shape` (the client ids it writes under and
the UTF-8 bytes it inserts) for the rules that need the room's state (who owns a client id,
how large the document may grow). Refusals are :class:`InvalidUpdate` (malformed) or its
subclass :class:`ForbiddenContent` (well formed, but outside the rules above). Pure Python,
linear in the update's size, no engine: it runs in the server's event loop for small updates
and in a worker process for large ones (``live/checker.py``). A crash here is an ordinary
exception; nothing is held.
"""

from __future__ import annotations

from dataclasses import dataclass

from palabre.server.crdt.lib0 import Reader, write_var_uint
from palabre.server.crdt.replica import BODY, InvalidUpdate

MAX_CLIENT_ID = 2**53 - 1
MAX_CLOCK = 2**53
MAX_CLIENTS_PER_UPDATE = 4096

GC_REF = 0
DELETED_REF = 1
STRING_REF = 4
SKIP_REF = 10
CONTENT_NAMES = {
    2: "JSON content",
    3: "binary content",
    5: "an embed",
    6: "a formatting attribute",
    7: "a nested type",
    8: "structured content",
    9: "a sub-document",
    11: "a move",
}
HAS_ORIGIN = 0x80
HAS_RIGHT_ORIGIN = 0x40
HAS_PARENT_SUB = 0x20


class ForbiddenContent(InvalidUpdate):
    """A well-formed update that writes something Palabre does not accept."""


class TooLarge(InvalidUpdate):
    """An update, a document or an awareness state above its configured limit."""


@dataclass(frozen=True)
class Group:
    """The structs one update writes under one client id: clocks ``[clock, end)``, encoded
    in bytes ``[start, stop)`` of the update."""

    client: int
    clock: int
    end: int
    start: int
    stop: int


@dataclass(frozen=True)
class Shape:
    """What the room needs to know of an accepted update."""

    clients: frozenset[int]  # the client ids it writes structs under
    inserted_bytes: int  # UTF-8 bytes of text it inserts
    deletes: bool  # it carries a delete set
    groups: tuple[Group, ...] = ()
    structs_end: int = 0  # where the delete set starts

    def without(self, update: bytes, clients: set[int]) -> bytes:
        """The same update without the structs written under ``clients`` (its delete set
        kept whole): the v1 format lists each client's structs as one run of bytes."""
        kept = [g for g in self.groups if g.client not in clients]
        if len(kept) == len(self.groups):
            return update
        parts = [write_var_uint(len(kept))]
        parts += [update[g.start : g.stop] for g in kept]
        parts.append(update[self.structs_end :])
        return b"".join(parts)


def check_update(update: bytes) -> Shape:
    """Read ``update`` whole; return its shape, or raise InvalidUpdate / ForbiddenContent."""
    reader = Reader(update)
    try:
        groups, inserted = _structs(reader)
        structs_end = reader.offset
        deletes = _delete_set(reader)
    except (IndexError, UnicodeDecodeError) as error:
        raise InvalidUpdate(f"malformed update: {error}") from None
    if reader.remaining:
        raise InvalidUpdate(f"{reader.remaining} bytes after the end of the update")
    clients = frozenset(g.client for g in groups if g.end > g.clock)
    return Shape(clients, inserted, deletes, tuple(groups), structs_end)


def _structs(reader: Reader) -> tuple[list[Group], int]:
    found: list[Group] = []
    inserted = 0
    groups = reader.var_uint()
    if groups > MAX_CLIENTS_PER_UPDATE:
        raise InvalidUpdate(f"malformed update: {groups} client ids announced")
    for _ in range(groups):
        start = reader.offset
        count = reader.var_uint()
        client = _client(reader.var_uint())
        clock = end = _clock(reader.var_uint())
        for _ in range(count):
            length, utf8 = _struct(reader)
            end = _clock(end + length)
            inserted += utf8
        found.append(Group(client, clock, end, start, reader.offset))
    return found, inserted


def _struct(reader: Reader) -> tuple[int, int]:
    """One struct; returns its length in clock units and the UTF-8 bytes of text it
    inserts."""
    info = reader.byte()
    ref = info & 0x1F
    if ref in (GC_REF, SKIP_REF):
        return _clock(reader.var_uint()), 0
    if info & HAS_ORIGIN:
        _id(reader)
    if info & HAS_RIGHT_ORIGIN:
        _id(reader)
    if not info & (HAS_ORIGIN | HAS_RIGHT_ORIGIN):
        _root_parent(reader, info)
    if ref == STRING_REF:
        size = reader.var_uint()
        text = reader.take(size).decode("utf-8")
        return (size if text.isascii() else len(text.encode("utf-16-le")) // 2), size
    if ref == DELETED_REF:
        return _clock(reader.var_uint()), 0
    raise ForbiddenContent(f"{CONTENT_NAMES.get(ref, f'content of kind {ref}')}: plain text only")


def _root_parent(reader: Reader, info: int) -> None:
    if reader.var_uint() != 1:
        raise ForbiddenContent("an item inside a nested type: plain text in body only")
    name = reader.var_string()
    if name != BODY:
        raise ForbiddenContent(f"a root type other than {BODY!r}: plain text in body only")
    if info & HAS_PARENT_SUB:
        raise ForbiddenContent("a map entry in body: plain text only")


def _id(reader: Reader) -> None:
    _client(reader.var_uint())
    _clock(reader.var_uint())


def _client(client: int) -> int:
    if not 0 < client <= MAX_CLIENT_ID:
        raise ForbiddenContent(f"client id {client} out of range")
    return client


def _clock(clock: int) -> int:
    if clock >= MAX_CLOCK:
        raise ForbiddenContent(f"clock or length {clock} out of range")
    return clock


def _delete_set(reader: Reader) -> bool:
    clients = reader.var_uint()
    if clients > MAX_CLIENTS_PER_UPDATE:
        raise InvalidUpdate(f"malformed update: a delete set naming {clients} client ids")
    for _ in range(clients):
        _client(reader.var_uint())
        for _ in range(reader.var_uint()):
            _clock(reader.var_uint())
            _clock(reader.var_uint())
    return clients > 0
