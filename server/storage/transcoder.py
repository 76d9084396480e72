"""A compact binary transcoder for stored events: orjson for the fields, raw bytes for blobs.

Layout: ``0x01``, a varint length (lib0's, as Yjs writes them: ``crdt/lib0.py``), the JSON
document, then each blob as a varint length and its raw bytes. In the JSON, a blob is
``{"\\u0000b": index}``; UUIDs and datetimes (ISO 8601 with their UTC offset: a named zone
comes back as its offset at that instant) are tagged the same way. A CRDT update therefore
costs its own size plus a few bytes, not a base64 string.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import Transcoder
from palabre.server.crdt.lib0 import Reader, write_var_uint

FORMAT = 1
BYTES_TAG = "\x00b"
UUID_TAG = "\x00u"
TIME_TAG = "\x00t"


class TranscodingError(ValueError):
    """Stored state that this transcoder cannot read (corrupt, or of another format)."""


def _read_varint(data: bytes | memoryview, offset: int) -> tuple[int, int]:
    reader = Reader(data, offset)
    try:
        return reader.var_uint(), reader.offset
    except IndexError:
        raise TranscodingError("truncated varint in stored event") from None


class CompactTranscoder(Transcoder):
    def encode(self, obj: Any) -> bytes:
        blobs: list[bytes] = []
        document = orjson.dumps(self._lower(obj, blobs))
        out = bytearray([FORMAT])
        out += write_var_uint(len(document))
        out += document
        for blob in blobs:
            out += write_var_uint(len(blob))
            out += blob
        return bytes(out)

    def decode(self, data: bytes) -> Any:
        view = memoryview(data)
        if not view or view[0] != FORMAT:
            raise TranscodingError("stored event is not in the compact format")
        length, offset = _read_varint(view, 1)
        end = offset + length
        if end > len(view):
            raise TranscodingError("truncated JSON part in stored event")
        try:
            document = orjson.loads(view[offset:end])
        except orjson.JSONDecodeError as error:
            raise TranscodingError(f"corrupt JSON part in stored event: {error}") from None
        blobs: list[bytes] = []
        offset = end
        while offset < len(view):
            size, offset = _read_varint(view, offset)
            if offset + size > len(view):
                raise TranscodingError("truncated blob in stored event")
            blobs.append(bytes(view[offset : offset + size]))
            offset += size
        return self._raise(document, blobs)

    def _lower(self, obj: Any, blobs: list[bytes]) -> Any:
        if isinstance(obj, bytes | bytearray | memoryview):
            blobs.append(bytes(obj))
            return {BYTES_TAG: len(blobs) - 1}
        if isinstance(obj, str | int | float | bool) or obj is None:
            return obj
        if isinstance(obj, UUID):
            return {UUID_TAG: obj.hex}
        if isinstance(obj, datetime):
            if obj.tzinfo is None:
                raise TypeError("naive datetimes are not stored; give a time zone")
            return {TIME_TAG: obj.isoformat()}
        if isinstance(obj, dict):
            return {_key(k): self._lower(v, blobs) for k, v in obj.items()}
        if isinstance(obj, list | tuple):
            return [self._lower(v, blobs) for v in obj]
        raise TypeError(f"cannot store a {type(obj).__name__} in an event")

    def _raise(self, obj: Any, blobs: list[bytes]) -> Any:
        if isinstance(obj, dict):
            if len(obj) == 1:
                ((key, value),) = obj.items()
                if key == BYTES_TAG:
                    try:
                        return blobs[value]
                    except (IndexError, TypeError):
                        raise TranscodingError("blob reference out of range") from None
                if key == UUID_TAG:
                    return UUID(value)
                if key == TIME_TAG:
                    return datetime.fromisoformat(value)
            return {k: self._raise(v, blobs) for k, v in obj.items()}
        if isinstance(obj, list):
            return [self._raise(v, blobs) for v in obj]
        return obj


def _key(key: object) -> str:
    if not isinstance(key, str):
        raise TypeError("event fields that are dicts need string keys")
    if key.startswith("\x00"):
        raise TypeError("keys starting with NUL are reserved by the transcoder")
    return key
