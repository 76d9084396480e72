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
own, from the clock where it starts. Only whole structs are moved, so a single struct above
``limit`` (one huge paste) stays in one piece; the delete set (cut by client when large) goes
last.

In which order: every struct names what it stands next to (its origins, or its parent), and a
receiver can only place it once those are there. Pieces cut in the update's order (client by
client) arrive mostly ahead of their origins, and a receiver keeps such a piece pending; Yjs
then merges everything pending with each new piece and tries again, work that grows with
every piece: a 100-page first sync applied in 43 pieces took Node 4.5 times as long as the
whole update (10.5 s against 2.3 s, the slowest piece 1.1 s), and a browser blocked for
seconds at a time, which y-websocket's 30-second rule counts against the link. So the structs
go out in an order where each comes after everything it names (each client's structs in clock
order, a client waiting while what it needs is not out yet): each piece is integrated as it
arrives. What the order cannot place (a struct naming a clock the update does not reach)
follows in the update's own order, which is still correct, only slower to apply.

The bytes are read, not trusted to the engine, and any content the reader does not know makes
:func:`split_update` give the update back whole (as it was sent before this existed): a crash
here costs a large message, never a wrong one. Pure Python, linear in the update's size.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from palabre.server.crdt.lib0 import Reader, read_var_uint, write_var_uint

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


Id = tuple[int, int]  # (client, clock): a struct's unit, as structs name each other


class Struct(NamedTuple):  # a tuple: made once per struct, on the event loop
    clock: int  # the clock it starts at
    end: int  # the clock after it
    start: int  # its bytes in the update
    stop: int
    needs: tuple[Id, ...]  # what it names: its origins, or its parent's id


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
    """Updates of whole structs (each with an empty delete set), about ``limit`` bytes each,
    in causal order: a piece is closed before the struct that would take it over."""
    first: dict[int, int] = {}  # run -> its first struct in the piece being filled
    last: dict[int, int] = {}  # run -> its last struct there
    size = 0
    for run, index in _causal_order(runs):
        struct = runs[run].structs[index]
        weight = struct.stop - struct.start + (0 if run in first else GROUP_HEADER)
        if size + weight > limit and first:
            yield _piece([_group(update, runs[r], i, last[r] + 1) for r, i in first.items()])
            first, last, size = {}, {}, 0
            weight = struct.stop - struct.start + GROUP_HEADER
        first.setdefault(run, index)
        last[run] = index
        size += weight
    if first:
        yield _piece([_group(update, runs[r], i, last[r] + 1) for r, i in first.items()])


def _causal_order(runs: list[Run]) -> list[tuple[int, int]]:
    """Every struct as (run, index), each run's in clock order, each struct after everything
    it names that the update holds; a run waits (a heap per run it waits on, by the clock it
    needs) and is woken when that run reaches the clock. Linear, up to the heaps' logarithm."""
    runs_of = {run.client: n for n, run in enumerate(runs)}
    placed = [0] * len(runs)  # the next struct of each run
    reached = [run.structs[0].clock if run.structs else 0 for run in runs]  # its clock there
    waiting: dict[int, list[tuple[int, int]]] = {}  # run -> (clock needed, run waiting)
    ready = list(reversed(range(len(runs))))  # the update's order first
    order: list[tuple[int, int]] = []
    while ready:
        n = ready.pop()
        structs = runs[n].structs
        while placed[n] < len(structs):
            blocker = _waits_for(structs[placed[n]], runs_of, reached)
            if blocker is not None:
                heapq.heappush(waiting.setdefault(blocker[0], []), (blocker[1], n))
                break
            order.append((n, placed[n]))
            reached[n] = structs[placed[n]].end
            placed[n] += 1
            woken = waiting.get(n, [])
            while woken and woken[0][0] < reached[n]:
                ready.append(heapq.heappop(woken)[1])
    for n, run in enumerate(runs):  # what could not be placed: in the update's order
        order.extend((n, index) for index in range(placed[n], len(run.structs)))
    return order


def _waits_for(struct: Struct, runs_of: dict[int, int], reached: list[int]) -> Id | None:
    """The first thing ``struct`` names that the update holds and is not placed yet, as
    (run, clock); None when it can go (what the update does not hold, the receiver has)."""
    for client, clock in struct.needs:
        n = runs_of.get(client)
        if n is not None and clock >= reached[n]:
            return n, clock
    return None


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
#
# The reader is one loop with the varuints read inline: a first sync of seph-blog1 (15,092
# structs, 429 KB) took 100 ms to read through ``lib0.Reader``'s method calls and frozen
# dataclasses, on the event loop of every late joiner; the rare kinds of content (anything
# but strings and deleted runs) are still read through ``Reader``.


def _read(update: bytes) -> tuple[list[Run], int]:
    """The update's runs of structs, and where its delete set starts."""
    runs = []
    groups, at = read_var_uint(update, 0)
    for _ in range(groups):
        count, at = read_var_uint(update, at)
        client, at = read_var_uint(update, at)
        clock, at = read_var_uint(update, at)
        structs = []
        for _ in range(count):
            start = at
            length, needs, at = _struct(update, at)
            structs.append(Struct(clock, clock + length, start, at, needs))
            clock += length
        runs.append(Run(client, structs))
    return runs, at


def _struct(data: bytes, at: int) -> tuple[int, tuple[Id, ...], int]:
    """Read one struct at ``at``: its length in clock units, the ids it names, and the offset
    after it."""
    info = data[at]
    at += 1
    ref = info & 0x1F
    if ref in (GC, SKIP):
        length, at = read_var_uint(data, at)
        return length, (), at
    needs: tuple[Id, ...] = ()
    if info & HAS_ORIGIN:
        client, at = read_var_uint(data, at)
        clock, at = read_var_uint(data, at)
        needs = ((client, clock),)
    if info & HAS_RIGHT_ORIGIN:
        client, at = read_var_uint(data, at)
        clock, at = read_var_uint(data, at)
        needs = (*needs, (client, clock))
    if not info & (HAS_ORIGIN | HAS_RIGHT_ORIGIN):
        reader = Reader(data, at)
        if reader.var_uint() == 1:
            reader.var_bytes()  # the root type's name
        else:
            needs = ((reader.var_uint(), reader.var_uint()),)  # the parent's id
        if info & HAS_PARENT_SUB:
            reader.var_bytes()
        at = reader.offset
    if ref == DELETED:
        length, at = read_var_uint(data, at)
        return length, needs, at
    if ref == STRING:
        size, at = read_var_uint(data, at)
        end = at + size
        if end > len(data):
            raise IndexError("a string beyond the end")
        chunk = data[at:end]
        if chunk.isascii():
            return size, needs, end
        return len(chunk.decode("utf-8").encode("utf-16-le")) // 2, needs, end  # UTF-16 units
    reader = Reader(data, at)
    length = _content(reader, ref)
    return length, needs, reader.offset


def _content(reader: Reader, ref: int) -> int:
    """The length of a struct's content of the rarer kinds (not a string, not deleted)."""
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
