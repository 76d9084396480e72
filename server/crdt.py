"""The CRDT adapter: the only server module that imports pycrdt.

Why pycrdt and not y-py: y-py is archived, and it kills the whole process on some corrupted
updates; pycrdt (the maintained binding of the same Rust engine, Yrs) raises ValueError. Every
update from the network passes through :meth:`LiveText.apply`, which turns any engine error
into :class:`InvalidUpdate`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pycrdt import (
    Decoder,
    Doc,
    Text,
    TransactionEvent,
    YMessageType,
    YSyncMessageType,
    create_awareness_message,
    create_sync_message,
    create_update_message,
    handle_sync_message,
    merge_updates,
    write_var_uint,
)

BODY = "body"  # the shared Markdown text
EMPTY_UPDATE = b"\x00\x00"
MESSAGE_AUTH = 2
MESSAGE_QUERY_AWARENESS = 3
MESSAGE_SAVED = 100  # Palabre's own: "your first N updates are durable" (opt-in)
AUTH_PERMISSION_DENIED = 0


class InvalidUpdate(ValueError):
    """Bytes that the CRDT engine refused, or a malformed protocol message."""


class LiveText:
    """A replica of one document's CRDT state, holding its Markdown text ``body``."""

    def __init__(self) -> None:
        # The server never authors content, so its client id never appears in any update.
        self._doc: Doc[Text] = Doc(client_id=0)
        self._text: Text = self._doc.get(BODY, type=Text)
        self._captured: list[bytes] = []
        self._doc.observe(self._capture)

    def _capture(self, event: TransactionEvent) -> None:
        self._captured.append(event.update)

    def apply(self, update: bytes) -> list[bytes]:
        """Apply an update; return what it changed (nothing for a duplicate, possibly more
        than it carried when it completes updates that were waiting for it)."""
        self._captured.clear()
        try:
            self._doc.apply_update(update)
        except Exception as error:  # the engine raises ValueError, or panics as PanicException
            raise InvalidUpdate(f"update refused by the CRDT engine: {error}") from None
        changes, self._captured = self._captured, []
        return changes

    def apply_stored(self, updates: Iterable[bytes]) -> None:
        for update in updates:
            self._doc.apply_update(update)
        self._captured.clear()

    @property
    def text(self) -> str:
        return str(self._text)

    def state_vector(self) -> bytes:
        return self._doc.get_state()

    def encode_state(self) -> bytes:
        return self._doc.get_update()

    def sync_step1(self) -> bytes:
        return create_sync_message(self._doc)

    def answer_step1(self, message: bytes) -> bytes:
        """The sync step 2 answering a client's step 1 (``message`` is the whole frame)."""
        try:
            reply = handle_sync_message(message[1:], self._doc)
        except Exception as error:
            raise InvalidUpdate(f"malformed sync step 1: {error}") from None
        if reply is None:
            raise InvalidUpdate("malformed sync step 1")
        return reply


def rebuild(updates: Iterable[bytes]) -> LiveText:
    live = LiveText()
    live.apply_stored(updates)
    return live


def compact(updates: Iterable[bytes]) -> bytes:
    """The full state that the given updates produce, as one update."""
    return rebuild(updates).encode_state()


def merge(updates: list[bytes]) -> bytes:
    return updates[0] if len(updates) == 1 else merge_updates(*updates)


# Protocol messages -------------------------------------------------------------------------


@dataclass(frozen=True)
class SyncStep1:
    frame: bytes


@dataclass(frozen=True)
class DocumentUpdate:
    """A sync step 2 or an update: both carry an update for the document."""

    update: bytes


@dataclass(frozen=True)
class AwarenessUpdate:
    payload: bytes


@dataclass(frozen=True)
class QueryAwareness:
    pass


@dataclass(frozen=True)
class Ignored:
    """An auth message from a client: the server decides permissions, clients do not."""


Message = SyncStep1 | DocumentUpdate | AwarenessUpdate | QueryAwareness | Ignored


def parse_message(frame: bytes) -> Message:
    """Read one y-websocket frame. Raises InvalidUpdate on anything malformed."""
    if not frame:
        raise InvalidUpdate("empty frame")
    kind = frame[0]
    try:
        if kind == YMessageType.SYNC:
            if len(frame) < 2:
                raise InvalidUpdate("sync frame without a sync type")
            sync_kind = frame[1]
            if sync_kind == YSyncMessageType.SYNC_STEP1:
                _read_exact(frame, 2)
                return SyncStep1(frame)
            if sync_kind in (YSyncMessageType.SYNC_STEP2, YSyncMessageType.SYNC_UPDATE):
                return DocumentUpdate(_read_exact(frame, 2))
            raise InvalidUpdate(f"unknown sync type {sync_kind}")
        if kind == YMessageType.AWARENESS:
            return AwarenessUpdate(_read_exact(frame, 1))
        if kind == MESSAGE_QUERY_AWARENESS:
            return QueryAwareness()
        if kind == MESSAGE_AUTH:
            return Ignored()
    except (IndexError, RuntimeError) as error:
        raise InvalidUpdate(f"truncated frame: {error}") from None
    raise InvalidUpdate(f"unknown message type {kind}")


def _read_exact(frame: bytes, offset: int) -> bytes:
    """The length-prefixed payload starting at ``offset``, which must end the frame exactly."""
    decoder = Decoder(frame[offset:])
    announced = decoder.read_var_uint()
    if announced != decoder.length:
        raise InvalidUpdate(f"length prefix says {announced} bytes but {decoder.length} follow")
    return frame[len(frame) - announced :] if announced else b""


def update_message(update: bytes) -> bytes:
    return create_update_message(update)


def awareness_message(payload: bytes) -> bytes:
    return create_awareness_message(payload)


def permission_denied_message(reason: str) -> bytes:
    encoded = reason.encode("utf-8")
    return bytes([MESSAGE_AUTH, AUTH_PERMISSION_DENIED]) + write_var_uint(len(encoded)) + encoded


def saved_message(count: int) -> bytes:
    return bytes([MESSAGE_SAVED]) + write_var_uint(count)


# Awareness payloads ------------------------------------------------------------------------


@dataclass(frozen=True)
class AwarenessEntry:
    client_id: int
    clock: int
    state: str  # JSON text; "null" when the client left


def decode_awareness(payload: bytes) -> list[AwarenessEntry]:
    try:
        decoder = Decoder(payload)
        count = decoder.read_var_uint()
        entries = []
        for _ in range(count):
            client_id = decoder.read_var_uint()
            clock = decoder.read_var_uint()
            entries.append(AwarenessEntry(client_id, clock, decoder.read_var_string()))
    except (IndexError, RuntimeError, UnicodeDecodeError) as error:
        raise InvalidUpdate(f"malformed awareness update: {error}") from None
    if decoder.length != 0:
        raise InvalidUpdate("trailing bytes after awareness update")
    return entries


def encode_awareness(entries: Iterable[AwarenessEntry]) -> bytes:
    """lib0 encoding. Strings are prefixed with their UTF-8 length, written here by hand:
    pycrdt 0.14's ``Encoder.write_var_string`` writes the code-point count instead, which
    corrupts every state holding an accent ("Région", "Lomé")."""
    listed = list(entries)
    parts = [write_var_uint(len(listed))]
    for entry in listed:
        state = entry.state.encode("utf-8")
        parts += [
            write_var_uint(entry.client_id),
            write_var_uint(entry.clock),
            write_var_uint(len(state)),
            state,
        ]
    return b"".join(parts)


# Comment anchors ---------------------------------------------------------------------------

# Tags of a lib0-encoded Yjs relative position (yjs/src/utils/RelativePosition.js).
POSITION_ITEM = 0
POSITION_TYPE_NAME = 1


@dataclass(frozen=True)
class AnchorRange:
    """Where a comment's passage stands in the current text, in characters: ``[start, end)``,
    or no range when it cannot be found. Detached: its text was deleted or changed."""

    start: int | None
    end: int | None
    detached: bool


@dataclass(frozen=True)
class AnchorQuery:
    """A comment's quote and the client's encoded Yjs relative positions of its ends."""

    quote: str
    start: bytes | None = None
    end: bytes | None = None


def locate_anchor(
    live: LiveText, quote: str, start: bytes | None, end: bytes | None
) -> AnchorRange:
    return locate_anchors(live, [AnchorQuery(quote, start, end)])[0]


def locate_anchors(live: LiveText, queries: Sequence[AnchorQuery]) -> list[AnchorRange]:
    """Resolve each comment's relative positions against the current text; without usable
    positions, fall back to its quote, if it occurs exactly once. One pass for all of them:
    a list of comments costs one copy of the document, not one per comment."""
    text = live.text
    positions = [
        _parse_position(p) if p is not None else None for q in queries for p in (q.start, q.end)
    ]
    indexes = iter(_resolve(live, positions))
    found = []
    for query in queries:
        first, last = next(indexes), next(indexes)
        if first is None or last is None:
            found.append(_find_quote(text, query.quote))
        elif _GONE in (first, last):
            found.append(AnchorRange(None, None, True))
        else:
            detached = first >= last or query.quote not in text[first:last]
            found.append(AnchorRange(first, last, detached))
    return found


def _find_quote(text: str, quote: str) -> AnchorRange:
    found = text.find(quote) if quote else -1
    if found < 0 or text.find(quote, found + 1) >= 0:
        return AnchorRange(None, None, True)
    return AnchorRange(found, found + len(quote), False)


Position = tuple[int, int, int, int]  # tag, client, clock, assoc
ItemId = tuple[int, int]  # client, clock
_GONE = -1  # the position's character was garbage-collected: its text is gone
MARKERS = [chr(code) for code in range(0xE000, 0xF900)]  # private use: never typed, mostly
MARKER_CLIENT = 0  # the server's own id (see LiveText): no real item carries it
MARKERS_PER_COPY = 500


def _resolve(live: LiveText, positions: Sequence[Position | None]) -> list[int | None]:
    """Character indexes of decoded positions (None: unusable, ``_GONE``: text gone)."""
    text = live.text
    known = _state_vector(live.state_vector())
    items = sorted(
        {
            (p[1], p[2])
            for p in positions
            if p and p[0] == POSITION_ITEM and p[2] < known.get(p[1], 0)
        }
    )
    after = _indexes_after(live, text, items, known.get(MARKER_CLIENT, 0)) if items else {}
    deleted = _deleted_ranges(live) if items else {}
    return [_index(p, len(text), after, deleted) for p in positions]


def _index(
    position: Position | None,
    length: int,
    after: dict[ItemId, int],
    deleted: dict[int, list[tuple[int, int]]],
) -> int | None:
    """Yjs semantics: a position with ``assoc >= 0`` stands before its character, one with
    ``assoc < 0`` after it; a position on the type itself stands for the text's start or end."""
    if position is None:
        return None
    tag, client, clock, assoc = position
    if tag == POSITION_TYPE_NAME:
        return 0 if assoc < 0 else length
    index = after.get((client, clock))
    if index is None or index == _GONE or assoc < 0:
        return index
    gone = any(start <= clock < start + size for start, size in deleted.get(client, []))
    return index if gone else index - 1


def _indexes_after(
    live: LiveText, text: str, items: list[ItemId], marker_clock: int
) -> dict[ItemId, int]:
    """The index right after each item, found by letting the CRDT place a marker character
    after it in a copy of the document. Not ``StickyIndex.get_index``: in pycrdt 0.14 it adds
    UTF-8 byte lengths of the items before to a UTF-16 offset inside the item."""
    typed = set(text)
    markers = [m for m in MARKERS if m not in typed]
    per_copy = min(MARKERS_PER_COPY, len(markers))
    found: dict[ItemId, int] = {}
    for at in range(0, len(items) if per_copy else 0, per_copy):
        chunk = items[at : at + per_copy]
        mine = markers[: len(chunk)]
        placed = _place_markers(live, chunk, mine, marker_clock)
        found |= {item: placed.get(m, _GONE) for item, m in zip(chunk, mine, strict=True)}
    return found


def _place_markers(
    live: LiveText, items: list[ItemId], markers: list[str], marker_clock: int
) -> dict[str, int]:
    """Marker to the index it landed at, ignoring the other markers (absent: not placed)."""
    copy: Doc[Text] = Doc(client_id=MARKER_CLIENT)
    body = copy.get(BODY, type=Text)
    try:
        copy.apply_update(live.encode_state())
        copy.apply_update(_marker_update(items, markers, marker_clock))
    except Exception:  # the engine refused: the positions are unusable, not the text
        return {}
    wanted, placed = set(markers), dict[str, int]()
    for index, char in enumerate(str(body)):
        if char in wanted:
            placed[char] = index - len(placed)
    return placed


def _marker_update(items: list[ItemId], markers: list[str], clock: int) -> bytes:
    """A Yjs v1 update inserting a marker right after each item (left origin only). The
    marker client's id is the smallest, so a marker stays right after its item even when
    other items were inserted there concurrently (Yjs orders those by client id)."""
    structs = [
        bytes([0x80 | 4])  # has a left origin; content: a string
        + write_var_uint(client)
        + write_var_uint(item_clock)
        + _var_string(marker)
        for (client, item_clock), marker in zip(items, markers, strict=True)
    ]
    header = write_var_uint(1) + write_var_uint(len(structs))
    header += write_var_uint(MARKER_CLIENT) + write_var_uint(clock)
    return header + b"".join(structs) + write_var_uint(0)  # no deletions


def _var_string(text: str) -> bytes:
    encoded = text.encode("utf-8")
    return write_var_uint(len(encoded)) + encoded


def _deleted_ranges(live: LiveText) -> dict[int, list[tuple[int, int]]]:
    """The delete set, per client ``(clock, length)``: an update against the replica's own
    state vector carries no items, only the whole delete set."""
    reader = _Reader(live._doc.get_update(live.state_vector()))
    if reader.var_uint() != 0:  # items too: not the update this was written for
        return {}
    ranges: dict[int, list[tuple[int, int]]] = {}
    for _ in range(reader.var_uint()):
        client = reader.var_uint()
        ranges[client] = [(reader.var_uint(), reader.var_uint()) for _ in range(reader.var_uint())]
    return ranges


def _parse_position(data: bytes) -> Position | None:
    """``(tag, client, clock, assoc)`` of an encoded Yjs relative position; client and clock
    are 0 for a position on the type itself, accepted only on the body text."""
    reader = _Reader(data)
    try:
        tag = reader.var_uint()
        client = clock = 0
        if tag == POSITION_ITEM:
            client, clock = reader.var_uint(), reader.var_uint()
        elif tag != POSITION_TYPE_NAME or reader.var_string() != BODY:
            return None
        assoc = reader.var_int() if reader.remaining else 0
    except (IndexError, UnicodeDecodeError):
        return None
    return None if reader.remaining else (tag, client, clock, assoc)


def _state_vector(encoded: bytes) -> dict[int, int]:
    """Client id to the number of items this replica holds from it."""
    reader = _Reader(encoded)
    return {reader.var_uint(): reader.var_uint() for _ in range(reader.var_uint())}


class _Reader:
    """Just enough of lib0's decoding for relative positions and state vectors: pycrdt's
    ``Decoder`` has no signed varint, and its string reader counts characters."""

    MAX_VARINT_BYTES = 10

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._at = 0

    @property
    def remaining(self) -> int:
        return len(self._data) - self._at

    def _byte(self) -> int:
        byte = self._data[self._at]  # IndexError when truncated
        self._at += 1
        return byte

    def var_uint(self) -> int:
        value = shift = 0
        for _ in range(self.MAX_VARINT_BYTES):
            byte = self._byte()
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                return value
            shift += 7
        raise IndexError("varint too long")

    def var_int(self) -> int:
        """lib0 ``readVarInt``: sign in bit 6 of the first byte, which holds 6 bits of value."""
        first = self._byte()
        value, negative = first & 0x3F, bool(first & 0x40)
        if first & 0x80:
            value |= self.var_uint() << 6
        return -value if negative else value

    def var_string(self) -> str:
        size = self.var_uint()
        if size > self.remaining:
            raise IndexError("string beyond the end")
        text = self._data[self._at : self._at + size].decode("utf-8")
        self._at += size
        return text


# Change deltas, for authorship and history ---------------------------------------------------

# ``("retain", n)``, ``("delete", n)`` (n in UTF-8 bytes) or ``("insert", text)``: the shape
# ``palabre.projections.authorship.DeltaOp`` reads.
DeltaOp = tuple[str, int | str]


class DeltaReplay:
    """A replica that reports, for each stored update it applies, the change deltas the engine
    computed for the ``body`` text (``projections/authorship.py`` reads them). The engine
    derives them from the items it integrated, so concurrent edits come out as what each
    update really inserted and deleted. Counts are in UTF-8 bytes in pycrdt 0.14."""

    def __init__(self) -> None:
        self._doc: Doc[Text] = Doc(client_id=0)
        self._text: Text = self._doc.get(BODY, type=Text)
        self._seen: list[list[DeltaOp]] = []
        # pycrdt 0.14's TextEvent declares ``delta`` in ``__slots__`` only, untyped.
        self._subscription = self._text.observe(
            lambda event: self._record(event.delta)  # type: ignore[attr-defined]
        )

    def _record(self, delta: list[dict[str, object]]) -> None:
        self._seen.append([op for raw in delta if (op := _delta_op(raw)) is not None])

    def apply(self, update: bytes) -> list[list[DeltaOp]]:
        """The deltas of one update, in order (one per transaction: usually one, none for an
        update that changed nothing in the text)."""
        self._seen = []
        try:
            self._doc.apply_update(update)
        except Exception as error:
            raise InvalidUpdate(f"stored update refused by the CRDT engine: {error}") from None
        return self._seen

    @property
    def text(self) -> str:
        return str(self._text)

    def state(self) -> bytes:
        """Everything applied so far as one update (what a checkpoint stores)."""
        return self._doc.get_update()


def _delta_op(raw: dict[str, object]) -> DeltaOp | None:
    """One of the engine's delta entries as a plain op; embeds and formatting, which Palabre
    never writes, are left out."""
    inserted, retained, deleted = raw.get("insert"), raw.get("retain"), raw.get("delete")
    if isinstance(inserted, str):
        return ("insert", inserted)
    if isinstance(retained, int):
        return ("retain", retained)
    if isinstance(deleted, int):
        return ("delete", deleted)
    return None
