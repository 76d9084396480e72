"""Anchors: where a passage quoted with Yjs relative positions stands in the text now, for a
comment (the quote is still inside it) or for a suggestion (it reads exactly as quoted).

A relative position names an item (client, clock) of the text and a side (``assoc``). The
engine's own ``StickyIndex`` cannot be used to turn one into a character index: in pycrdt 0.14
it adds UTF-8 byte lengths of the items before to a UTF-16 offset inside the item. So the
positions are placed by letting the engine integrate a marker character right after each named
item, in a copy of the document, and reading where the markers landed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from palabre.server.crdt.lib0 import Reader, write_var_string, write_var_uint
from palabre.server.crdt.replica import BODY, InvalidUpdate, LiveText

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
    found = []
    for query, (first, last) in zip(queries, _ends(live, queries), strict=True):
        if first is None or last is None:
            found.append(_find_quote(text, query.quote))
        elif _GONE in (first, last):
            found.append(AnchorRange(None, None, True))
        else:
            detached = first >= last or query.quote not in text[first:last]
            found.append(AnchorRange(first, last, detached))
    return found


def locate_passages(live: LiveText, queries: Sequence[AnchorQuery]) -> list[AnchorRange]:
    """Where each suggestion's passage stands, exactly: ``detached`` unless the text between
    its positions is its quote, character for character. An empty quote is an insertion point
    (start and end resolve to the same index: nothing was typed in between). Without usable
    positions, a non-empty quote that occurs exactly once."""
    text = live.text
    found = []
    for query, (first, last) in zip(queries, _ends(live, queries), strict=True):
        if first is None or last is None:
            found.append(_find_quote(text, query.quote))
        elif _GONE in (first, last) or first > last:
            found.append(AnchorRange(None, None, True))
        else:
            found.append(AnchorRange(first, last, text[first:last] != query.quote))
    return found


def _ends(live: LiveText, queries: Sequence[AnchorQuery]) -> list[tuple[int | None, int | None]]:
    """The indexes of each query's start and end positions (None: unusable, ``_GONE``: the
    text they named was garbage-collected), resolved in one copy of the document."""
    positions = [
        _parse_position(p) if p is not None else None for q in queries for p in (q.start, q.end)
    ]
    indexes = iter(_resolve(live, positions))
    return [(next(indexes), next(indexes)) for _ in queries]


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
    copy = LiveText(client_id=MARKER_CLIENT)
    try:
        copy.apply_stored([live.encode_state(), _marker_update(items, markers, marker_clock)])
    except InvalidUpdate:  # the engine refused: the positions are unusable, not the text
        return {}
    wanted, placed = set(markers), dict[str, int]()
    for index, char in enumerate(copy.text):
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
        + write_var_string(marker)
        for (client, item_clock), marker in zip(items, markers, strict=True)
    ]
    header = write_var_uint(1) + write_var_uint(len(structs))
    header += write_var_uint(MARKER_CLIENT) + write_var_uint(clock)
    return header + b"".join(structs) + write_var_uint(0)  # no deletions


def _deleted_ranges(live: LiveText) -> dict[int, list[tuple[int, int]]]:
    """The delete set, per client ``(clock, length)``: an update against the replica's own
    state vector carries no items, only the whole delete set."""
    reader = Reader(live.encode_state(live.state_vector()))
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
    reader = Reader(data)
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
    reader = Reader(encoded)
    return {reader.var_uint(): reader.var_uint() for _ in range(reader.var_uint())}
