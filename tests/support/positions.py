"""Yjs relative positions made by hand, as ``Y.encodeRelativePosition`` encodes them, for text
one client inserted in one go (its clocks 0, 1, ... count UTF-16 units). pycrdt 0.14's
``StickyIndex.new`` takes the item offset in UTF-8 bytes where Yjs ids count UTF-16 units, so
after an accent it would name the wrong character."""

from __future__ import annotations

from pycrdt import write_var_uint


def relative_position(client: int, clock: int, assoc: int) -> bytes:
    """A position on the item (client, clock): before it with ``assoc >= 0``, after it with
    ``assoc < 0``."""
    return (
        b"\x00"
        + write_var_uint(client)
        + write_var_uint(clock)
        + (b"\x41" if assoc < 0 else b"\x00")
    )


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def quote_positions(client: int, inserted: str, quote: str) -> tuple[bytes, bytes]:
    """Positions of ``quote`` in ``inserted``: the start sticks to the quote's first
    character, the end to its last."""
    start = inserted.index(quote)
    first = relative_position(client, utf16(inserted[:start]), 0)
    last = relative_position(client, utf16(inserted[: start + len(quote)]) - 1, -1)
    return first, last


def point_positions(client: int, inserted: str, index: int) -> tuple[bytes, bytes]:
    """An insertion point between two characters of ``inserted`` (not at either end): the
    start sticks to the character after it, the end to the one before, as a Yjs client makes
    them (``createRelativePositionFromTypeIndex`` with assoc 0 and -1)."""
    after = relative_position(client, utf16(inserted[:index]), 0)
    before = relative_position(client, utf16(inserted[:index]) - 1, -1)
    return after, before
