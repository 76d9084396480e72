"""What instances tell each other, in process: payloads round-trip, stay under PostgreSQL's
limit, and anything malformed or unstamped on the channel is refused (a shared database is
not a trusted client); wake-ups for one document are coalesced to the latest position."""

from __future__ import annotations

import base64
from uuid import uuid4

import orjson
import pytest
from palabre.domain.ids import DocumentId
from palabre.server.cluster.messages import (
    MAX_PAYLOAD,
    Appended,
    BadNotification,
    ChannelEvents,
    Message,
    PresenceChanged,
    decode,
    encode,
)
from palabre.server.cluster.outbox import _coalesced
from palabre.server.crdt.awareness import AwarenessEntry, encode_awareness

DOCUMENT = DocumentId(uuid4())
MEMBER = {"id": "m1", "name": "Awa", "organisation": "CRESS", "country": "TG", "role": "editor"}


def _presence(*states: object) -> bytes:
    entries = [AwarenessEntry(i + 1, 1, orjson.dumps(s).decode()) for i, s in enumerate(states)]
    return encode_awareness(entries)


def test_each_message_round_trips() -> None:
    messages: list[Message] = [
        Appended("a", DOCUMENT, 42, 1.5),
        ChannelEvents("a", 2.5),
        PresenceChanged("a", DOCUMENT, "s1", _presence({"cursor": 3, "member": MEMBER})),
    ]
    for message in messages:
        payload = encode(message)
        assert payload is not None
        assert decode(payload) == message


def test_a_presence_change_too_large_for_notify_is_not_sent() -> None:
    big = {"note": "x" * 6000, "member": MEMBER}
    assert encode(PresenceChanged("a", DOCUMENT, "s", _presence(big))) is None


def _raw(payload: bytes) -> str:
    data = {"i": "b", "k": "a", "d": str(DOCUMENT), "s": "s"}
    return orjson.dumps(data | {"u": base64.b64encode(payload).decode()}).decode()


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        '{"i": "b", "k": "z"}',
        orjson.dumps({"i": "b", "k": "c", "d": str(DOCUMENT), "p": -1, "t": 0}).decode(),
        orjson.dumps({"i": "b", "k": "c", "d": "nope", "p": 1, "t": 0}).decode(),
        _raw(b"\x05\x01"),  # a truncated awareness update
        _raw(_presence({"cursor": 1})),  # no stamp from the sending instance
        _raw(_presence({"member": MEMBER | {"admin": "yes"}})),
        _raw(_presence({"member": MEMBER}, {"member": MEMBER | {"id": "m2"}})),
        _raw(_presence(*[{"member": MEMBER}] * 9)),  # more than one connection may hold
        "x" * (MAX_PAYLOAD + 1),
    ],
    ids=[
        "not-json",
        "unknown-kind",
        "negative-position",
        "bad-document",
        "truncated-awareness",
        "unstamped",
        "extra-stamp-field",
        "two-members",
        "too-many-clients",
        "too-large",
    ],
)
def test_malformed_or_unstamped_payloads_are_refused(text: str) -> None:
    with pytest.raises(BadNotification):
        decode(text)


def test_wake_ups_for_one_document_are_coalesced_to_the_latest_position() -> None:
    other = DocumentId(uuid4())
    presence = PresenceChanged("a", DOCUMENT, "s", _presence({"member": MEMBER}))
    batch: list[Message] = [
        Appended("a", DOCUMENT, 3, 0),
        ChannelEvents("a", 0),
        Appended("a", DOCUMENT, 5, 0),
        presence,
        Appended("a", other, 1, 0),
        Appended("a", DOCUMENT, 4, 0),
        ChannelEvents("a", 0),
    ]
    assert _coalesced(batch) == [
        ChannelEvents("a", 0),
        presence,
        Appended("a", DOCUMENT, 5, 0),
        Appended("a", other, 1, 0),
    ]
