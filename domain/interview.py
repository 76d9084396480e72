"""Interviews [entretiens] as sources: one ``Interview`` aggregate per interview, listed per
document, and the passages of the text linked to it.

Events, each with its author (``by``: the acting member, None for the operator):

- ``Recorded``: the details (``interview_details.py``) and the seal of the notes, never the
  notes themselves (``notes.py``: they are kept in the notes vault, so that no route that
  shows events, the audit trail included, can show them);
- ``Revised``: the fields that changed, with their new values;
- ``NotesWritten``: the seal of the new notes (None: notes cleared);
- ``PassageLinked``: a passage of the text, anchored like a comment (its quote, section and
  the client's Yjs relative positions, opaque here), drawn from this interview;
- ``LinkRemoved``: that link undone.

A crash between two commands loses nothing: each command stores its event in one
transaction, after the notes it seals are in the vault.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event
from palabre.domain.comment import Anchor
from palabre.domain.errors import Conflict, ErrorCode, NotFound
from palabre.domain.interview_details import Details

MAX_LINKS = 500  # passages per interview


@dataclass(frozen=True)
class Link:
    """A passage drawn from the interview, and who linked it, when."""

    id: str
    anchor: Anchor
    by: UUID | None
    created_at: str


@dataclass(frozen=True)
class InterviewRecord:
    """An interview as plain data, for answers. It never holds the notes: only their seal.
    Reading the notes is a separate, checked call (``InterviewCommands.notes_for``)."""

    id: UUID
    document_id: UUID
    details: Details
    notes_seal: str | None
    recorded_by: UUID | None
    created_at: datetime
    edited_at: str | None
    links: tuple[Link, ...]


class Interview(Aggregate):
    """One interview; its id is a random uuid4 (eventsourcing's default)."""

    class Recorded(Aggregate.Created):
        document_id: UUID
        details: dict[str, Any]
        notes_seal: str | None
        by: UUID | None

    class Revised(Aggregate.Event):
        changes: dict[str, Any]
        by: UUID | None
        at: str

    class NotesWritten(Aggregate.Event):
        notes_seal: str | None
        by: UUID | None
        at: str

    class PassageLinked(Aggregate.Event):
        link_id: str
        quote: str
        section: str
        start: str | None
        end: str | None
        by: UUID | None
        at: str

    class LinkRemoved(Aggregate.Event):
        link_id: str
        by: UUID | None
        at: str

    @classmethod
    def record(
        cls, document_id: UUID, details: Details, notes_seal: str | None, by: UUID | None
    ) -> Interview:
        return cls(document_id=document_id, details=details.fields(), notes_seal=notes_seal, by=by)

    @event(Recorded)
    def __init__(
        self, document_id: UUID, details: dict[str, Any], notes_seal: str | None, by: UUID | None
    ) -> None:
        self.document_id = document_id
        self.details = Details.from_fields(details)
        self.notes_seal = notes_seal
        self.recorded_by = by
        self.edited_at: str | None = None
        self.links: dict[str, Link] = {}

    def revise(self, details: Details, by: UUID | None) -> None:
        changes = details.changes_from(self.details)
        if changes:
            self._revised(changes=changes, by=by, at=_now())

    @event(Revised)
    def _revised(self, changes: dict[str, Any], by: UUID | None, at: str) -> None:
        self.details = Details.from_fields(self.details.fields() | changes)
        self.edited_at = at

    def write_notes(self, notes_seal: str | None, by: UUID | None) -> None:
        if notes_seal != self.notes_seal:
            self._notes_written(notes_seal=notes_seal, by=by, at=_now())

    @event(NotesWritten)
    def _notes_written(self, notes_seal: str | None, by: UUID | None, at: str) -> None:
        self.notes_seal = notes_seal
        self.edited_at = at

    def link(self, anchor: Anchor, by: UUID | None) -> Link:
        if len(self.links) >= MAX_LINKS:
            raise Conflict(f"an interview has at most {MAX_LINKS} linked passages")
        link_id = str(uuid.uuid4())
        self._linked(
            link_id=link_id,
            quote=anchor.quote,
            section=anchor.section,
            start=anchor.start,
            end=anchor.end,
            by=by,
            at=_now(),
        )
        return self.links[link_id]

    @event(PassageLinked)
    def _linked(
        self,
        link_id: str,
        quote: str,
        section: str,
        start: str | None,
        end: str | None,
        by: UUID | None,
        at: str,
    ) -> None:
        self.links[link_id] = Link(link_id, Anchor(quote, section, start, end), by, at)

    def unlink(self, link_id: str, by: UUID | None) -> None:
        self.found_link(link_id)
        self._unlinked(link_id=link_id, by=by, at=_now())

    @event(LinkRemoved)
    def _unlinked(self, link_id: str, by: UUID | None, at: str) -> None:
        self.links.pop(link_id, None)

    def found_link(self, link_id: str) -> Link:
        if link_id not in self.links:
            raise NotFound(f"no link {link_id} on this interview", code=ErrorCode.LINK_NOT_FOUND)
        return self.links[link_id]

    def as_record(self) -> InterviewRecord:
        return InterviewRecord(
            id=self.id,
            document_id=self.document_id,
            details=self.details,
            notes_seal=self.notes_seal,
            recorded_by=self.recorded_by,
            created_at=self.created_on,
            edited_at=self.edited_at,
            links=tuple(self.links.values()),
        )


def _now() -> str:
    return datetime.now(UTC).isoformat()
