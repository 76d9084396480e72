"""What instances tell each other through PostgreSQL's ``NOTIFY palabre_live``: small JSON
payloads, far under PostgreSQL's 8000 bytes, each naming the sending instance so nobody
acts on its own.

- ``appended``: "document D now ends at position N" (a wake-up: the contributions themselves
  are read from the log);
- ``channel``: committee, membership or comment events were stored (the relay reads them
  from the log);
- ``presence``: one awareness change of a connection on the sending instance, validated and
  stamped with the member there, and checked again here as if it came from a client (a
  database shared with a buggy or hostile writer must not reach browsers unchecked).

A payload that does not decode or validate raises :class:`BadNotification` and is dropped
by the listener: it is a wake-up, never data, so nothing is lost with it.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson
from palabre.domain.ids import DocumentId
from palabre.server.crdt.awareness import decode_awareness
from palabre.server.crdt.replica import InvalidUpdate
from palabre.server.live.presence import MAX_CLIENTS_PER_CONNECTION

# The sending instance checked each state against its PALABRE_MAX_AWARENESS_BYTES; this
# bound only limits what a damaged or forged notification can cost here.
MAX_RELAYED_STATE_BYTES = 1 << 20
CHANNEL = "palabre_live"
MAX_PAYLOAD = 7900  # PostgreSQL refuses 8000 bytes and more
MEMBER_FIELDS = frozenset({"id", "name", "organisation", "country", "role"})
MAX_FIELD = 256


class BadNotification(Exception):
    """A payload on the channel that is not one of ours, or not valid: dropped."""


@dataclass(frozen=True)
class Appended:
    instance: str
    document_id: DocumentId
    position: int
    sent_at: float  # the sender's clock: the cross-instance delay metric


@dataclass(frozen=True)
class ChannelEvents:
    instance: str
    sent_at: float


@dataclass(frozen=True)
class PresenceChanged:
    instance: str
    document_id: DocumentId
    session_id: str
    payload: bytes  # an awareness update, as y-websocket sends it


Message = Appended | ChannelEvents | PresenceChanged


def encode(message: Message) -> str | None:
    """The payload, or None when it would not fit (presence only: its states are bounded
    per entry, not in total; the people concerned show again at their next change)."""
    data: dict[str, Any] = {"i": message.instance}
    if isinstance(message, Appended):
        data |= {"k": "c", "d": str(message.document_id), "p": message.position}
        data["t"] = message.sent_at
    elif isinstance(message, ChannelEvents):
        data |= {"k": "r", "t": message.sent_at}
    else:
        data |= {"k": "a", "d": str(message.document_id), "s": message.session_id}
        data["u"] = base64.b64encode(message.payload).decode("ascii")
    text = orjson.dumps(data).decode("ascii")
    return text if len(text) <= MAX_PAYLOAD else None


def decode(text: str) -> Message:
    if len(text) > MAX_PAYLOAD:
        raise BadNotification("payload too large")
    try:
        data = orjson.loads(text)
        instance, kind = str(data["i"]), data["k"]
        if kind == "c":
            return Appended(instance, _document(data), _count(data["p"]), float(data["t"]))
        if kind == "r":
            return ChannelEvents(instance, float(data["t"]))
        if kind == "a":
            payload = checked_presence(base64.b64decode(data["u"], validate=True))
            return PresenceChanged(instance, _document(data), str(data["s"])[:64], payload)
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, InvalidUpdate) as error:
        raise BadNotification(f"{type(error).__name__}: {error}") from None
    raise BadNotification(f"unknown kind {kind!r}")


def _document(data: dict[str, Any]) -> DocumentId:
    return DocumentId(UUID(str(data["d"])))


def _count(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"not a position: {value!r}")
    return value


def now() -> float:
    return time.time()


def checked_presence(payload: bytes) -> bytes:
    """An awareness update as the sending instance forwarded it: a few entries, each state
    null or a bounded JSON object stamped with one member; raises InvalidUpdate otherwise."""
    entries = decode_awareness(payload)
    if not entries or len(entries) > MAX_CLIENTS_PER_CONNECTION:
        raise InvalidUpdate("presence: no entry, or more than one connection may hold")
    members = set()
    for entry in entries:
        if entry.state == "null":
            continue
        if len(entry.state) > MAX_RELAYED_STATE_BYTES:
            raise InvalidUpdate("presence: state too large")
        state = orjson.loads(entry.state)
        member = state.get("member") if isinstance(state, dict) else None
        if not isinstance(member, dict) or set(member) != MEMBER_FIELDS:
            raise InvalidUpdate("presence: a state without the sending instance's stamp")
        if not all(isinstance(v, str) and len(v) <= MAX_FIELD for v in member.values()):
            raise InvalidUpdate("presence: a malformed stamp")
        members.add(member["id"])
    if len(members) > 1:
        raise InvalidUpdate("presence: entries of several members in one change")
    return payload
