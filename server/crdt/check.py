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

Two readers give the same answer. The keystroke reader (:func:`read_keystroke`) recognises,
with compiled patterns, the shapes clients send all the time: one string item in ``body``
under one client id (any length, any characters), followed by a delete set naming at most
one client id; and such a delete set alone. It reads 99.8% of the updates of seph-blog1,
about four times faster than the full reader (``python -m tests.benchmarks.check``), and
leaves each client's clock range to be read when the room asks for it (:class:`Shape`). It
never refuses: whatever it does not recognise, malformed and forbidden updates included,
goes to the full reader (:func:`check_in_full`), which reads every struct and makes every
refusal. Tests hold the two to the same shape (``test_update_check.py``,
``test_fuzz_decoders.py``).
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

from palabre.server.crdt.lib0 import read_var_uint, write_var_string, write_var_uint
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


class Group(NamedTuple):
    """The structs one update writes under one client id: clocks ``[clock, end)``, encoded
    in bytes ``[start, stop)`` of the update."""

    client: int
    clock: int
    end: int
    start: int
    stop: int


class Shape:
    """What the room needs to know of an accepted update: the client ids it writes structs
    under, the UTF-8 bytes of text it inserts, whether it carries a delete set; and, for the
    rare update that writes under an id its sender does not own, each client's clock range
    (:attr:`groups`) and where the delete set starts. The keystroke reader leaves those two
    to be read from the update when first asked for (by the full reader): a plain class with
    slots, built for every keystroke at a fraction of a frozen dataclass's cost."""

    __slots__ = ("_groups", "_structs_end", "_update", "clients", "deletes", "inserted_bytes")

    def __init__(
        self,
        clients: frozenset[int],
        inserted_bytes: int,
        deletes: bool,
        groups: tuple[Group, ...] = (),
        structs_end: int = 0,
        *,
        update: bytes | None = None,  # to read groups and structs_end from, when asked
    ) -> None:
        self.clients = clients
        self.inserted_bytes = inserted_bytes
        self.deletes = deletes
        self._groups = groups
        self._structs_end = structs_end
        self._update = update

    @property
    def groups(self) -> tuple[Group, ...]:
        self._read()
        return self._groups

    @property
    def structs_end(self) -> int:
        self._read()
        return self._structs_end

    def _read(self) -> None:
        if self._update is not None:
            whole = check_in_full(self._update)  # it passes: the readers agree
            self._groups, self._structs_end, self._update = whole.groups, whole.structs_end, None

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

    def __reduce__(self) -> tuple[type[Shape], tuple[object, ...]]:
        """Pickled (from a check's worker process) read whole, without the update's bytes."""
        return (Shape, self._fields())

    def _fields(self) -> tuple[object, ...]:
        return (self.clients, self.inserted_bytes, self.deletes, self.groups, self.structs_end)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Shape) and self._fields() == other._fields()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        names = ("clients", "inserted_bytes", "deletes", "groups", "structs_end")
        shown = ", ".join(f"{n}={v!r}" for n, v in zip(names, self._fields(), strict=True))
        return f"Shape({shown})"


def check_update(update: bytes) -> Shape:
    """Read ``update`` whole; return its shape, or raise InvalidUpdate / ForbiddenContent."""
    shape = read_keystroke(update)
    return check_in_full(update) if shape is None else shape


def check_in_full(update: bytes) -> Shape:
    """The full reader: every struct read, every refusal made."""
    try:
        groups, inserted, at = _structs(update)
        structs_end = at
        deletes, at = _delete_set(update, at)
    except (IndexError, UnicodeDecodeError) as error:
        raise InvalidUpdate(f"malformed update: {error}") from None
    if at != len(update):
        raise InvalidUpdate(f"{len(update) - at} bytes after the end of the update")
    clients = frozenset(g.client for g in groups if g.end > g.clock)
    return Shape(clients, inserted, deletes, tuple(groups), structs_end)


# The keystroke reader. A match of its patterns is an update the full reader accepts, once
# the fields it captures are checked in Python (the writer's client id, the string): the
# patterns spell out the rules for the fields they do not capture. A varuint below 2**53 is
# at most seven bytes, or eight whose last is below 0x10 (bits 49 to 52); a client id is not
# zero either (its bytes are not 0x80s ending in 0x00). The writer's clock is at most seven
# bytes (below 2**49) and the string's size at most four (below 2**28), so that the clock
# after the string stays below 2**53 without being decoded.

_BELOW_2_53 = rb"[\x80-\xff]{0,6}+(?:[\x00-\x7f]|[\x80-\xff][\x00-\x0f])"
_CLIENT = rb"(?!\x80{0,7}\x00)" + _BELOW_2_53  # bounded: 8 bytes at most
_ID = _CLIENT + _BELOW_2_53  # an origin: client id and clock
_CAPTURED = rb"([\x80-\xff]{0,7}[\x00-\x7f])"  # any varuint of up to eight bytes
_BELOW_2_49 = rb"[\x80-\xff]{0,6}[\x00-\x7f]"
_PARENT_BODY = b"\x01" + write_var_string(BODY)  # a root type's parent, by name
_STRING_ITEM = b"|".join(
    [
        rb"[\x84\x44]" + _ID,  # a string item with one origin,
        rb"\xc4" + _ID + _ID,  # with both,
        rb"\x04" + re.escape(_PARENT_BODY),  # or with none: then in body
    ]
)
_KEYSTROKE = re.compile(
    rb"\x01\x01"  # one client id, one struct
    + (_CAPTURED + _BELOW_2_49)  # the client id and its first clock
    + (rb"(?:" + _STRING_ITEM + rb")")
    + rb"([\x80-\xff]{0,3}[\x00-\x7f])"  # the string's size in bytes (below 2**28)
)


# A delete set: none, or one client id with ranges (clock, length); how many ranges there are
# is checked in Python: each varuint ends with the one byte of it below 0x80.
_RANGE = _BELOW_2_53 + _BELOW_2_53
_DELETE_SET = re.compile(rb"\x00|\x01" + _CLIENT + rb"([\x01-\x7f])((?:" + _RANGE + rb")++)")
_HIGH_BYTES = bytes(range(0x80, 0x100))
_NO_CLIENTS: frozenset[int] = frozenset()
# The shapes of an update without structs: with an empty delete set, and with deletes.
_DELETES_ONLY = (Shape(_NO_CLIENTS, 0, False, (), 1), Shape(_NO_CLIENTS, 0, True, (), 1))


def read_keystroke(update: bytes) -> Shape | None:
    """The shape of a usual keystroke, or None: then the full reader decides."""
    match = _KEYSTROKE.match(update)
    if match is None:
        if update[:1] != b"\x00" or not _read_delete_set(update, 1):
            return None
        return _DELETES_ONLY[update[1] != 0]
    client_bytes, size_bytes = match.groups()
    at = match.end()
    size = size_bytes[0] if len(size_bytes) == 1 else _value(size_bytes)
    stop = at + size
    text = update[at:stop]
    if not text or len(text) != size:
        return None
    empty_delete_set = len(update) == stop + 1 and update[stop] == 0
    if not empty_delete_set and not _read_delete_set(update, stop):
        return None
    if not text.isascii():
        try:
            text.decode("utf-8")
        except UnicodeDecodeError:
            return None
    writer = _writer(client_bytes)
    if writer is None:
        return None
    return Shape(writer, size, update[stop] != 0, update=update)


def _read_delete_set(update: bytes, at: int) -> bool:
    """Whether the bytes from ``at`` on are a delete set the keystroke reader knows."""
    match = _DELETE_SET.fullmatch(update, at)
    if match is None:
        return False
    count, ranges = match.groups()
    return count is None or 2 * count[0] == len(ranges.translate(None, _HIGH_BYTES))


@functools.lru_cache(maxsize=1024)
def _writer(raw: bytes) -> frozenset[int] | None:
    """The set of a writer's client id, or None out of range: decoded once per connection
    rather than once per keystroke."""
    client = _value(raw)
    return frozenset((client,)) if 0 < client <= MAX_CLIENT_ID else None


def _value(raw: bytes) -> int:
    """The value of one whole varuint."""
    if len(raw) == 1:
        return raw[0]
    value = shift = 0
    for byte in raw:
        value |= (byte & 0x7F) << shift
        shift += 7
    return value


# The readers below take the bytes and an offset and return what they read with the next
# offset: plain functions, no object, since they run on the event loop for every update the
# keystroke reader does not recognise.


def _structs(data: bytes, at: int = 0) -> tuple[list[Group], int, int]:
    found: list[Group] = []
    inserted = 0
    groups, at = read_var_uint(data, at)
    if groups > MAX_CLIENTS_PER_UPDATE:
        raise InvalidUpdate(f"malformed update: {groups} client ids announced")
    for _ in range(groups):
        start = at
        count, at = read_var_uint(data, at)
        client, at = read_var_uint(data, at)
        clock, at = read_var_uint(data, at)
        _client(client)
        end = _clock(clock)
        for _ in range(count):
            length, utf8, at = _struct(data, at)
            end = _clock(end + length)
            inserted += utf8
        found.append(Group(client, clock, end, start, at))
    return found, inserted, at


def _struct(data: bytes, at: int) -> tuple[int, int, int]:
    """One struct: its length in clock units, the UTF-8 bytes of text it inserts, and the
    offset after it. The origins' ids are read inline (this runs for every keystroke)."""
    info = data[at]
    at += 1
    ref = info & 0x1F
    if ref in (GC_REF, SKIP_REF):
        length, at = read_var_uint(data, at)
        return _clock(length), 0, at
    if info & HAS_ORIGIN:
        client, at = read_var_uint(data, at)
        clock, at = read_var_uint(data, at)
        if not 0 < client <= MAX_CLIENT_ID or clock >= MAX_CLOCK:
            _id_in_range(client, clock)
    if info & HAS_RIGHT_ORIGIN:
        client, at = read_var_uint(data, at)
        clock, at = read_var_uint(data, at)
        if not 0 < client <= MAX_CLIENT_ID or clock >= MAX_CLOCK:
            _id_in_range(client, clock)
    if not info & (HAS_ORIGIN | HAS_RIGHT_ORIGIN):
        at = _root_parent(data, at, info)
    if ref == STRING_REF:
        size, at = read_var_uint(data, at)
        end = at + size
        if end > len(data):
            raise IndexError("a string beyond the end")
        raw = data[at:end]
        if raw.isascii():
            return size, size, end
        return len(raw.decode("utf-8").encode("utf-16-le")) // 2, size, end
    if ref == DELETED_REF:
        length, at = read_var_uint(data, at)
        return _clock(length), 0, at
    raise ForbiddenContent(f"{CONTENT_NAMES.get(ref, f'content of kind {ref}')}: plain text only")


def _root_parent(data: bytes, at: int, info: int) -> int:
    kind, at = read_var_uint(data, at)
    if kind != 1:
        raise ForbiddenContent("an item inside a nested type: plain text in body only")
    size, at = read_var_uint(data, at)
    if at + size > len(data):
        raise IndexError("a name beyond the end")
    name = data[at : at + size].decode("utf-8")
    if name != BODY:
        raise ForbiddenContent(f"a root type other than {BODY!r}: plain text in body only")
    if info & HAS_PARENT_SUB:
        raise ForbiddenContent("a map entry in body: plain text only")
    return at + size


def _id_in_range(client: int, clock: int) -> None:
    _client(client)
    _clock(clock)


def _client(client: int) -> int:
    if not 0 < client <= MAX_CLIENT_ID:
        raise ForbiddenContent(f"client id {client} out of range")
    return client


def _clock(clock: int) -> int:
    if clock >= MAX_CLOCK:
        raise ForbiddenContent(f"clock or length {clock} out of range")
    return clock


def _delete_set(data: bytes, at: int) -> tuple[bool, int]:
    clients, at = read_var_uint(data, at)
    if clients > MAX_CLIENTS_PER_UPDATE:
        raise InvalidUpdate(f"malformed update: a delete set naming {clients} client ids")
    for _ in range(clients):
        client, at = read_var_uint(data, at)
        _client(client)
        ranges, at = read_var_uint(data, at)
        for _ in range(ranges):
            clock, at = read_var_uint(data, at)
            length, at = read_var_uint(data, at)
            _clock(clock)
            _clock(length)
    return clients > 0, at
