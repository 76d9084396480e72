"""A document's audit history as JSON Lines: one stored event per line, with where it is in the
log and in the audit chain, the stored state as base64 (what the link hashes) and the event
decoded, so each line's hash can be recomputed from the line alone.

Interview notes are never in an event, only their seal (``domain/notes.py``), so no line
shows them to anyone by default. For a reader who may read an interview's notes (the operator
at the command line; over HTTP, whoever the domain allows), the lines that carry a seal also
carry ``notes``: the text and the nonce, with which the seal can be recomputed. Who may read
which interview is decided once, when the export starts (:func:`notes_revealer`, called
while the requester is the acting member): the lines are written later, in other threads,
where no acting member is set, and an unset one would mean the operator."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from typing import Any

import orjson
from eventsourcing.utils import get_topic
from palabre.domain.application import PalabreApplication
from palabre.domain.interview import Interview
from palabre.domain.notes import SealedNotes
from palabre.projections.audit_chain import AuditEntry

MEDIA_TYPE = "application/x-ndjson"
SEALING = frozenset(get_topic(cls) for cls in (Interview.Recorded, Interview.NotesWritten))

Reveal = Callable[[AuditEntry], SealedNotes | None]


def hidden(entry: AuditEntry) -> None:
    """Reveal nothing."""
    return None


def notes_revealer(application: PalabreApplication, document_id: Any) -> Reveal:
    """What to reveal on each line, for the acting member now (see the module's docstring)."""
    readable = {str(i) for i in application.readable_interviews(document_id)}

    def reveal(entry: AuditEntry) -> SealedNotes | None:
        notification = entry.notification
        if notification.topic not in SEALING or str(notification.originator_id) not in readable:
            return None
        seal = None if entry.fields is None else entry.fields.get("notes_seal")
        return application.kept_notes(seal) if isinstance(seal, str) else None

    return reveal


def audit_line(entry: AuditEntry, reveal: Reveal = hidden) -> bytes:
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
    if (notes := reveal(entry)) is not None:
        line["notes"] = {"text": notes.text, "nonce": notes.nonce}
    return orjson.dumps(line, default=_default, option=orjson.OPT_APPEND_NEWLINE)


def _default(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def audit_lines(entries: Iterator[AuditEntry], reveal: Reveal = hidden) -> Iterator[bytes]:
    return (audit_line(entry, reveal) for entry in entries)
