"""The y-websocket protocol's messages: read from client frames, written for them.

A frame is a message type (a varuint), then its payload. Sync messages carry a sync type and
a length-prefixed update or state vector; awareness messages a length-prefixed awareness
payload. Every reader here demands that the announced length ends the frame exactly, so a
frame cannot smuggle trailing bytes. Pure Python: no engine is involved in reading frames.
"""

from __future__ import annotations

from dataclasses import dataclass

from palabre.server.crdt.lib0 import Reader, write_var_string, write_var_uint
from palabre.server.crdt.replica import InvalidUpdate
from palabre.server.crdt.split import split_update

MESSAGE_SYNC = 0
MESSAGE_AWARENESS = 1
MESSAGE_AUTH = 2
MESSAGE_QUERY_AWARENESS = 3
MESSAGE_SAVED = 100  # Palabre's own: "your first N updates are durable" (opt-in)
SYNC_STEP1 = 0
SYNC_STEP2 = 1
SYNC_UPDATE = 2
AUTH_PERMISSION_DENIED = 0


@dataclass(frozen=True)
class SyncStep1:
    """A client's state vector: it asks for what it lacks."""

    state_vector: bytes


@dataclass(frozen=True)
class DocumentUpdate:
    """A sync step 2 or an update: both carry an update for the document. A sync step 2
    (``resync``) answers the server's state vector with everything the client holds that the
    server lacks, other people's edits included; an update carries what the client did."""

    update: bytes
    resync: bool = False


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
        if kind == MESSAGE_SYNC:
            if len(frame) < 2:
                raise InvalidUpdate("sync frame without a sync type")
            sync_kind = frame[1]
            if sync_kind == SYNC_STEP1:
                return SyncStep1(_read_exact(frame, 2))
            if sync_kind in (SYNC_STEP2, SYNC_UPDATE):
                return DocumentUpdate(_read_exact(frame, 2), resync=sync_kind == SYNC_STEP2)
            raise InvalidUpdate(f"unknown sync type {sync_kind}")
        if kind == MESSAGE_AWARENESS:
            return AwarenessUpdate(_read_exact(frame, 1))
        if kind == MESSAGE_QUERY_AWARENESS:
            return QueryAwareness()
        if kind == MESSAGE_AUTH:
            return Ignored()
    except IndexError as error:
        raise InvalidUpdate(f"truncated frame: {error}") from None
    raise InvalidUpdate(f"unknown message type {kind}")


def _read_exact(frame: bytes, offset: int) -> bytes:
    """The length-prefixed payload starting at ``offset``, which must end the frame exactly."""
    reader = Reader(frame, offset)
    announced = reader.var_uint()
    if announced != reader.remaining:
        raise InvalidUpdate(f"length prefix says {announced} bytes but {reader.remaining} follow")
    return frame[reader.offset :]


def sync_step1_message(state_vector: bytes) -> bytes:
    return bytes([MESSAGE_SYNC, SYNC_STEP1]) + write_var_uint(len(state_vector)) + state_vector


def sync_step2_message(update: bytes) -> bytes:
    return bytes([MESSAGE_SYNC, SYNC_STEP2]) + write_var_uint(len(update)) + update


def sync_step2_frames(update: bytes, limit: int) -> list[bytes]:
    """The answer to a sync step 1, as messages of about ``limit`` bytes (``split.py``): the
    pieces but the last as update messages, the last as the sync step 2, so a stock client
    counts itself synced (y-websocket's ``synced``) once everything has arrived."""
    pieces = split_update(update, limit)
    return [update_message(piece) for piece in pieces[:-1]] + [sync_step2_message(pieces[-1])]


def keepalive_message() -> bytes:
    """An awareness message naming no client: stock clients apply it and change nothing
    (y-protocols emits no event and y-websocket sends no answer), but it is a message, which
    is what y-websocket's 30-second rule counts (websocket pings are not)."""
    return awareness_message(write_var_uint(0))


def update_message(update: bytes) -> bytes:
    return bytes([MESSAGE_SYNC, SYNC_UPDATE]) + write_var_uint(len(update)) + update


def awareness_message(payload: bytes) -> bytes:
    return bytes([MESSAGE_AWARENESS]) + write_var_uint(len(payload)) + payload


def permission_denied_message(reason: str) -> bytes:
    return bytes([MESSAGE_AUTH, AUTH_PERMISSION_DENIED]) + write_var_string(reason)


def saved_message(count: int) -> bytes:
    return bytes([MESSAGE_SAVED]) + write_var_uint(count)
