"""The audit chain's link function, defined once: a decision seals the chain's head, and the
audit projection (``projections/audit_chain.py``, which documents the byte layout) links every
stored event with it. It lives in the domain because the domain imports no projection."""

from __future__ import annotations

import hashlib
import struct
from typing import NamedTuple

from eventsourcing.persistence import ApplicationRecorder, Notification

GENESIS = "0" * 64  # link 0: the link "before" the first event
SCAN_PAGE = 500
_INTEGER = struct.Struct(">Q")  # every integer: 8 bytes, unsigned, big-endian


class ChainHead(NamedTuple):
    """The audit chain at one moment: the link of notification ``position`` (0 and
    :data:`GENESIS` for an empty log)."""

    position: int
    link: str


def chain_record(notification: Notification) -> bytes:
    """The canonical encoding of one stored event: notification id, originator id (its text),
    originator version, topic, state bytes; integers fixed-width, the rest length-prefixed."""
    originator = str(notification.originator_id).encode("utf-8")
    topic = notification.topic.encode("utf-8")
    return b"".join(
        (
            _INTEGER.pack(notification.id),
            _INTEGER.pack(len(originator)),
            originator,
            _INTEGER.pack(notification.originator_version),
            _INTEGER.pack(len(topic)),
            topic,
            _INTEGER.pack(len(notification.state)),
            bytes(notification.state),
        )
    )


def chain_link(previous: str, notification: Notification) -> str:
    """link_n = SHA-256(link_{n-1} as 32 bytes || record_n), as 64 lowercase hex digits."""
    return hashlib.sha256(bytes.fromhex(previous) + chain_record(notification)).hexdigest()


def scan_chain_head(recorder: ApplicationRecorder) -> ChainHead:
    """The head computed from the whole log, page by page: correct but linear in the log's
    size, so the server injects the audit projection's stored head instead."""
    head = ChainHead(0, GENESIS)
    while page := recorder.select_notifications(head.position, SCAN_PAGE, inclusive_of_start=False):
        for notification in page:
            head = ChainHead(notification.id, chain_link(head.link, notification))
    return head
