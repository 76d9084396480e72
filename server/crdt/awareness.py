"""Awareness (presence) payloads: a count, then per client its id, clock and state (JSON text,
``"null"`` when the client left), lib0-encoded. Strings are prefixed with their UTF-8 length:
pycrdt 0.14's ``Encoder.write_var_string`` writes the code-point count instead, which corrupts
every state holding an accent ("Région", "Lomé"), so both directions are written here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from palabre.server.crdt.lib0 import Reader, write_var_string, write_var_uint
from palabre.server.crdt.replica import InvalidUpdate


@dataclass(frozen=True)
class AwarenessEntry:
    client_id: int
    clock: int
    state: str  # JSON text; "null" when the client left


def decode_awareness(payload: bytes) -> list[AwarenessEntry]:
    reader = Reader(payload)
    try:
        entries = [
            AwarenessEntry(reader.var_uint(), reader.var_uint(), reader.var_string())
            for _ in range(reader.var_uint())
        ]
    except (IndexError, UnicodeDecodeError) as error:
        raise InvalidUpdate(f"malformed awareness update: {error}") from None
    if reader.remaining:
        raise InvalidUpdate("trailing bytes after awareness update")
    return entries


def encode_awareness(entries: Iterable[AwarenessEntry]) -> bytes:
    listed = list(entries)
    parts = [write_var_uint(len(listed))]
    for entry in listed:
        parts += [
            write_var_uint(entry.client_id),
            write_var_uint(entry.clock),
            write_var_string(entry.state),
        ]
    return b"".join(parts)
