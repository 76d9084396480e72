"""Yjs state vectors (a count, then (client, clock) pairs), for tests and benchmarks that
look inside frames."""

from __future__ import annotations

from palabre.server.crdt.lib0 import Reader


def read_var_uint(data: bytes, offset: int) -> tuple[int, int]:
    """A lib0 variable-length unsigned integer at ``offset``; returns (value, next offset)."""
    reader = Reader(data, offset)
    return reader.var_uint(), reader.offset


def decode_state_vector(data: bytes) -> dict[int, int]:
    reader = Reader(data)
    return {reader.var_uint(): reader.var_uint() for _ in range(reader.var_uint())}
