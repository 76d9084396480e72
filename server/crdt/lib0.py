"""lib0, the binary encoding of Yjs, as far as Palabre reads and writes it by hand: unsigned
and signed varints and length-prefixed UTF-8 strings. Pure Python, no engine.

Written here rather than taken from pycrdt: pycrdt 0.14's ``Decoder`` has no signed varint and
its string reader and writer count characters instead of UTF-8 bytes (the length prefix of
"Lomé" would be 4, not 5)."""

from __future__ import annotations

MAX_VARINT_BYTES = 10  # 70 bits: more than any length or clock Palabre accepts


def write_var_uint(value: int) -> bytes:
    """An unsigned LEB128 varint."""
    if value < 0:
        raise ValueError("a varuint is not negative")
    out = bytearray()
    while value > 0x7F:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    out.append(value)
    return bytes(out)


def write_var_string(text: str) -> bytes:
    """UTF-8 bytes prefixed with their length in bytes."""
    encoded = text.encode("utf-8")
    return write_var_uint(len(encoded)) + encoded


def read_var_uint(data: bytes, at: int) -> tuple[int, int]:
    """The varuint at ``at`` in ``data``: its value and the offset after it. A plain function
    for the readers that run on the event loop for every update (``check.py``, ``split.py``);
    IndexError past the end or beyond ten bytes."""
    byte = data[at]
    if byte < 0x80:
        return byte, at + 1
    value, shift = byte & 0x7F, 7
    while True:
        at += 1
        byte = data[at]
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, at + 1
        shift += 7
        if shift >= 7 * MAX_VARINT_BYTES:
            raise IndexError("varint too long")


class Reader:
    """Reads lib0 values from ``data`` in order; IndexError when they run past its end."""

    def __init__(self, data: bytes | memoryview, offset: int = 0) -> None:
        self._data = data
        self.offset = offset

    @property
    def remaining(self) -> int:
        return len(self._data) - self.offset

    def byte(self) -> int:
        if self.offset >= len(self._data):
            raise IndexError("read past the end")
        value = self._data[self.offset]
        self.offset += 1
        return value

    def var_uint(self) -> int:
        # One loop over the bytes, no call per byte: the update check reads ten of these per
        # keystroke, on the event loop.
        data, offset = self._data, self.offset
        size = len(data)
        value = shift = 0
        while offset < size:
            byte = data[offset]
            offset += 1
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                self.offset = offset
                return value
            shift += 7
            if shift >= 7 * MAX_VARINT_BYTES:
                raise IndexError("varint too long")
        raise IndexError("read past the end")

    def var_int(self) -> int:
        """lib0 ``readVarInt``: sign in bit 6 of the first byte, which holds 6 bits of value."""
        first = self.byte()
        value, negative = first & 0x3F, bool(first & 0x40)
        if first & 0x80:
            value |= self.var_uint() << 6
        return -value if negative else value

    def take(self, size: int) -> bytes:
        if size > self.remaining:
            raise IndexError("bytes beyond the end")
        value = bytes(self._data[self.offset : self.offset + size])
        self.offset += size
        return value

    def var_bytes(self) -> bytes:
        return self.take(self.var_uint())

    def var_string(self) -> str:
        return self.var_bytes().decode("utf-8")
