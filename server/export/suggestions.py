"""The suggestions an export shows, gathered from the store in a store thread: every
suggestion (or the open ones) with its fate, for the annex (``suggestions=open|all``), and the
amendments the committee decided in the meeting of a version's decision, for its cover."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from palabre.domain.application import PalabreApplication
from palabre.domain.committee import Outcome
from palabre.domain.ids import DocumentId
from palabre.domain.suggestion import SuggestionRecord
from palabre.server.export.model import AmendmentResult, NoteReply, Person, SuggestionNote

People = Callable[[str], Person]  # member id to the person shown


def suggestion_notes(
    application: PalabreApplication, person: People, document_id: DocumentId, which: str
) -> tuple[SuggestionNote, ...]:
    """``which`` is ``open`` (those still waiting for a decision) or ``all``."""
    status = None if which == "all" else "open"
    return tuple(_note(r, person) for r in application.suggestions(document_id, status))


def _note(record: SuggestionRecord, person: People) -> SuggestionNote:
    passage = record.passage
    return SuggestionNote(
        id=str(record.id),
        author=person(str(record.author_id)),
        created_at=record.created_at,
        status=record.status,
        section=passage.section,
        quote=passage.quote,
        replacement=passage.replacement,
        reason=record.reason,
        decided_by=None if record.decided_by is None else person(str(record.decided_by)),
        decided_at=None if record.decided_at is None else datetime.fromisoformat(record.decided_at),
        decision_reason=record.decision_reason,
        by_committee=record.amendments_id is not None and record.status != "withdrawn",
        replies=tuple(
            NoteReply(person(str(r.author_id)), datetime.fromisoformat(r.created_at), r.body)
            for r in record.replies
        ),
    )


def meeting_amendments(
    application: PalabreApplication,
    person: People,
    document_id: DocumentId,
    meeting_id: str,
    decided_at: datetime,
) -> tuple[AmendmentResult, ...]:
    """The amendments decided in the meeting before the version's decision (``decided_at``),
    vote after vote, each in its vote's order."""
    found = []
    for vote in application.amendments_votes(document_id):
        closed = vote.closed_at
        if vote.meeting_id != meeting_id or closed is None:
            continue
        if datetime.fromisoformat(closed) > decided_at:
            continue
        for item in vote.items.values():
            record = application.suggestion(document_id, UUID(item.suggestion_id))
            tally = item.tally or {}
            found.append(
                AmendmentResult(
                    author=person(str(record.author_id)),
                    quote=record.passage.quote,
                    replacement=record.passage.replacement,
                    outcome="accepted" if item.outcome is Outcome.ACCEPTED else "rejected",
                    applied=record.status == "accepted",
                    approve=int(tally.get("approve", 0)),
                    abstain=int(tally.get("abstain", 0)),
                    object=int(tally.get("object", 0)),
                )
            )
    return tuple(found)
