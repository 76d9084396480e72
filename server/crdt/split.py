"""Splitting a large Yjs update into smaller updates that, applied in order, make the same
document: what keeps every message of a first sync or a long catch-up deliverable on a weak
link (``live/room.py`` sends them; README, "Weak links").

Why: the stock ``y-websocket`` provider closes a socket that has received no message for 30 s,
so one message that takes longer than that to arrive (a whole document at 256 kbit/s is about
1 MB in 30 s) is never received: the client reconnects for ever. Several messages of at most
``limit`` bytes each arrive one after the other, each well within the rule.

How: a v1 update lists, per client id, a run of structs starting at a clock, then the delete
set. Every struct's encoding stands on its own (its clock is the run's start plus the lengths
before it), so a run can be cut between two structs and each piece written as a run of its
own, from the clock where it starts. Pieces go out in the update's order, structs first and
the delete set (cut by client when large) last; a receiver that gets a piece whose origins
are not there yet keeps it pending until they are, as Yjs and Yrs always do. Only whole
structs are moved, so a single struct above ``limit`` (one huge paste) stays in one piece.

The bytes are read, not trusted to the engine, and any content the reader does not know makes
:func:`split_update` give the update back whole (as it was sent before this existed): a crash
here costs a large message, never a wrong one. Pure Python, linear in the update's size.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from palabre.server.crdt.lib0 import Reader, write_var_uint

EMPTY_DELETE_SET = b"\x00"
NO_STRUCTS = b"\x00"
GROUP_HEADER = 30  # bytes at most: a run's struct count, client id and clock
HAS_ORIGIN = 0x80
HAS_RIGHT_ORIGIN = 0x40
HAS_PARENT_SUB = 0x20
GC, DELETED, JSON, BINARY, STRING, EMBED, FORMAT, TYPE, ANY, DOC, SKIP = range(11)
XML_ELEMENT, XML_HOOK = 3, 5  # type refs that carry a name


class UnknownContent(ValueError):
    """A struct this reader cannot measure: the update is sent whole."""


@dataclass(frozen=True)
class Struct:
    clock: int  # the clock it starts at
    start: int  # its bytes in the update
    stop: int


@dataclass(frozen=True)
class Run:
    client: int
    structs: list[Struct]


def split_update(update: bytes, limit: int) -> list[bytes]:
    """``update`` as updates of about ``limit`` bytes at most, to apply in order; the update
    itself, in a list of one, when it is small enough or cannot be read."""
    if len(update) <= limit:
        return [update]
    try:
        runs, delete_set = _read(update)
    except (IndexError, UnicodeDecodeError, UnknownContent):
        return [update]
    pieces = list(_struct_pieces(update, runs, limit))
    deletes = _delete_set_pieces(update, delete_set, limit)
    if deletes == [EMPTY_DELETE_SET]:
        return pieces or [update]
    if pieces and len(pieces[-1]) + len(deletes[0]) <= limit:  # the last piece takes it
        pieces[-1] = pieces[-1][:-1] + deletes.pop(0)
    return pieces + [NO_STRUCTS + part for part in deletes]


def _struct_pieces(update: bytes, runs: list[Run], limit: int) -> Iterator[bytes]:
    """Updates of whole structs (each with an empty delete set), about ``limit`` bytes each:
    a piece is closed before the struct that would take it over, cutting the run there."""
    groups: list[bytes] = []  # the runs (or parts of runs) of the piece being filled
    size = 0  # its bytes so far
    for run in runs:
        first = 0  # the first struct of this run not yet in a group
        for index, struct in enumerate(run.structs):
            weight = struct.stop - struct.start
            if size + weight > limit and (groups or index > first):
                if index > first:
                    groups.append(_group(update, run, first, index))
                    first = index
                yield _piece(groups)
                groups, size = [], 0
            size += weight
        if first < len(run.structs):
            groups.append(_group(update, run, first, len(run.structs)))
            size += GROUP_HEADER
    if groups:
        yield _piece(groups)


def _group(update: bytes, run: Run, first: int, stop: int) -> bytes:
    structs = run.structs[first:stop]
    head = write_var_uint(len(structs)) + write_var_uint(run.client)
    return head + write_var_uint(structs[0].clock) + update[structs[0].start : structs[-1].stop]


def _piece(groups: list[bytes]) -> bytes:
    return write_var_uint(len(groups)) + b"".join(groups) + EMPTY_DELETE_SET


def _delete_set_pieces(update: bytes, at: int, limit: int) -> list[bytes]:
    """The delete set, whole, or cut into delete sets of about ``limit`` bytes: between
    clients, and between the ranges of one client when it alone is above the limit."""
    whole = update[at:]
    if len(whole) <= limit:
        return [whole]
    reader = Reader(update, at)
    entries: list[bytes] = []  # (client, its ranges) encoded, each about limit at most
    for _ in range(reader.var_uint()):
        client = write_var_uint(reader.var_uint())
        ranges: list[bytes] = []
        size = 0
        for _ in range(reader.var_uint()):
            start = reader.offset
            reader.var_uint(), reader.var_uint()
            ranges.append(update[start : reader.offset])
            size += reader.offset - start
            if size > limit - GROUP_HEADER:
                entries.append(client + write_var_uint(len(ranges)) + b"".join(ranges))
                ranges, size = [], 0
        if ranges:
            entries.append(client + write_var_uint(len(ranges)) + b"".join(ranges))
    pieces: list[bytes] = []
    current: list[bytes] = []
    size = 0
    for entry in entries:
        if current and size + len(entry) > limit - GROUP_HEADER:
            pieces.append(write_var_uint(len(current)) + b"".join(current))
            current, size = [], 0
        current.append(entry)
        size += len(entry)
    pieces.append(write_var_uint(len(current)) + b"".join(current))
    return pieces


# Reading -------------------------------------------------------------------------------------


def _read(update: bytes) -> tuple[list[Run], int]:
    """The update's runs of structs, and where its delete set starts."""
    reader = Reader(update)
    runs = []
    for _ in range(reader.var_uint()):
        count = reader.var_uint()
        client = reader.var_uint()
        clock = reader.var_uint()
        structs = []
        for _ in range(count):
            start = reader.offset
            length = _struct(reader)
            structs.append(Struct(clock, start, reader.offset))
            clock += length
        runs.append(Run(client, structs))
    return runs, reader.offset


def _struct(reader: Reader) -> int:
    """Read one struct; its length in clock units."""
    info = reader.byte()
    ref = info & 0x1F
    if ref in (GC, SKIP):
        return reader.var_uint()
    if info & HAS_ORIGIN:
        reader.var_uint(), reader.var_uint()
    if info & HAS_RIGHT_ORIGIN:
        reader.var_uint(), reader.var_uint()
    if not info & (HAS_ORIGIN | HAS_RIGHT_ORIGIN):
        if reader.var_uint() == 1:
            reader.var_bytes()  # the root type's name
        else:
            reader.var_uint(), reader.var_uint()  # the parent's id
        if info & HAS_PARENT_SUB:
            reader.var_bytes()
    return _content(reader, ref)


def _content(reader: Reader, ref: int) -> int:
    if ref == DELETED:
        return reader.var_uint()
    if ref == STRING:
        text = reader.var_string()
        return len(text.encode("utf-16-le")) // 2  # Yjs counts UTF-16 units
    if ref == JSON:
        count = reader.var_uint()
        for _ in range(count):
            reader.var_bytes()
        return count
    if ref == ANY:
        count = reader.var_uint()
        for _ in range(count):
            _any(reader)
        return count
    if ref in (BINARY, EMBED):
        reader.var_bytes()
    elif ref == FORMAT:
        reader.var_bytes(), reader.var_bytes()
    elif ref == TYPE:
        if reader.var_uint() in (XML_ELEMENT, XML_HOOK):
            reader.var_bytes()
    elif ref == DOC:
        reader.var_bytes()
        _any(reader)
    else:
        raise UnknownContent(f"content of kind {ref}")
    return 1


def _any(reader: Reader) -> None:
    """Skip one lib0 ``any`` value."""
    kind = reader.byte()
    if kind in (127, 126, 121, 120):  # undefined, null, false, true
        return
    if kind == 125:
        reader.var_int()
    elif kind in (124, 123, 122):  # float32, float64, bigint
        reader.take({124: 4, 123: 8, 122: 8}[kind])
    elif kind in (119, 116):  # a string, bytes
        reader.var_bytes()
    elif kind == 118:  # an object
        for _ in range(reader.var_uint()):
            reader.var_bytes()
            _any(reader)
    elif kind == 117:  # an array
        for _ in range(reader.var_uint()):
            _any(reader)
    else:
        raise UnknownContent(f"an any value of kind {kind}")
