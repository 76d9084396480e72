"""A document's audit history as JSON Lines: one stored event per line, with where it is in the
log and in the audit chain, the stored state as base64 (what the link hashes) and the event
decoded, so each line's hash can be recomputed from the line alone."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import orjson
from palabre.projections.audit_chain import AuditEntry

MEDIA_TYPE = "application/x-ndjson"


def audit_line(entry: AuditEntry) -> bytes:
    """One event as one JSON line: where it is in the log and the chain, the stored state as
    base64 (what the link hashes), and the event decoded (bytes as base64)."""
    notification = entry.notification
    line: dict[str, Any] = {
        "notification_id": notification.id,
        "originator_id": str(notification.originator_id),
        "originator_version": notification.originator_version,
        "topic": notification.topic,
        "timestamp": entry.timestamp,
        "hash": entry.link,
        "previous": entry.previous,
        "state": base64.b64encode(notification.state).decode("ascii"),
        "event": entry.fields,
    }
    if entry.problem:
        line["problem"] = entry.problem
    return orjson.dumps(line, default=_default, option=orjson.OPT_APPEND_NEWLINE)


def _default(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def audit_lines(entries: Iterator[AuditEntry]) -> Iterator[bytes]:
    return (audit_line(entry) for entry in entries)
