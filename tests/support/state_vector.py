"""Decoding a Yjs state vector: varuint count, then (client, clock) varuint pairs."""

from __future__ import annotations


def decode_state_vector(data: bytes) -> dict[int, int]:
    position = 0

    def varuint() -> int:
        nonlocal position
        value = shift = 0
        while True:
            byte = data[position]
            position += 1
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                return value
            shift += 7

    return {varuint(): varuint() for _ in range(varuint())}
