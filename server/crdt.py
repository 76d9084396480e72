"""The CRDT adapter: the only server module that imports pycrdt.

Why pycrdt and not y-py: y-py is archived, and it kills the whole process on some corrupted
updates; pycrdt (the maintained binding of the same Rust engine, Yrs) raises ValueError. Every
update from the network passes through :meth:`LiveText.apply`, which turns any engine error
into :class:`InvalidUpdate`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pycrdt import (
    Awareness,
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

    def new_awareness(self) -> Awareness:
        awareness = Awareness(self._doc)
        awareness.set_local_state(None)  # the server itself is never present
        return awareness


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
