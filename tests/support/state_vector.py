"""lib0 varuints and Yjs state vectors (a count, then (client, clock) pairs), for tests and
benchmarks that look inside frames."""

from __future__ import annotations


def read_var_uint(data: bytes, offset: int) -> tuple[int, int]:
    """A lib0 variable-length unsigned integer at ``offset``; returns (value, next offset)."""
    value = shift = 0
    while True:
        byte = data[offset]
        offset += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, offset
        shift += 7


def decode_state_vector(data: bytes) -> dict[int, int]:
    count, offset = read_var_uint(data, 0)
    clocks: dict[int, int] = {}
    for _ in range(count):
        client, offset = read_var_uint(data, offset)
        clocks[client], offset = read_var_uint(data, offset)
    return clocks
