"""Suggestions: a proposed replacement of one passage of the text, decided openly.

One ``Suggestion`` aggregate per suggestion, with named, past-tense events: it is made
(``SuggestionMade``), may be revised by its author while it is open (suggesting mode
extends it as they type), gathers replies, may be put to the committee's vote as an amendment
(``SuggestionPutToVote``), and ends accepted, rejected (with a reason) or withdrawn. Each
event records who (``by``, from the acting member) and when.

The passage is kept as the suggester saw it: the quote (possibly empty: an insertion), its
section, and the client's Yjs relative positions as opaque text. The domain knows nothing of
the CRDT: the server decides from them whether the passage still stands as quoted, writes the
replacement into the text when a suggestion is accepted, and says at which position of the
contribution log it did (``position``).
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event
from palabre.domain.actor import acting_id, now_iso
from palabre.domain.comment import (
    Reply,
    bounded_text,
    clean_body,
    earlier_reply,
    parse_positions,
)
from palabre.domain.errors import Conflict, ErrorCode, Forbidden, InvalidInput

MAX_PASSAGE = 10_000  # characters of the quote, and of the replacement
MAX_SECTION = 300
MAX_REASON = 2_000
STATUSES = ("open", "accepted", "rejected", "withdrawn")


class SuggestionDecided(Conflict):
    """The suggestion was accepted, rejected or withdrawn already: it can no longer change."""

    code = ErrorCode.SUGGESTION_DECIDED


class SuggestionConflict(Conflict):
    """The passage no longer reads as quoted: the suggestion cannot be applied blindly (the
    server finds it, against the text)."""

    code = ErrorCode.SUGGESTION_CONFLICT


class BeforeCommittee(Conflict):
    """An open vote of the committee on amendments decides this suggestion, nobody alone."""

    code = ErrorCode.SUGGESTION_BEFORE_COMMITTEE


@dataclass(frozen=True)
class Passage:
    """What a suggestion changes: ``quote`` (empty for an insertion) becomes ``replacement``
    (empty for a deletion). ``start`` and ``end`` are the Yjs relative positions of the
    quote's first and last character (for an insertion: of the point, before and after it),
    base64, or None."""

    quote: str
    replacement: str
    section: str = ""
    start: str | None = None
    end: str | None = None

    @classmethod
    def parse(
        cls, quote: object, replacement: object, section: object = None, positions: object = None
    ) -> Passage:
        start, end = parse_positions(positions)
        passage = cls(
            quote=bounded_text(quote, "quote", MAX_PASSAGE, required=False, strip=False),
            replacement=bounded_text(
                replacement, "replacement", MAX_PASSAGE, required=False, strip=False
            ),
            section=bounded_text(section or "", "section", MAX_SECTION, required=False),
            start=start,
            end=end,
        )
        if passage.quote == passage.replacement:
            raise InvalidInput(
                "a suggestion must change the passage: replacement equals quote",
                code=ErrorCode.SUGGESTION_UNCHANGED,
            )
        if not passage.quote and start is None:
            raise InvalidInput(
                "an insertion (empty quote) needs an anchor: where to insert",
                code=ErrorCode.ANCHOR_INVALID,
            )
        return passage

    def fields(self) -> dict[str, Any]:
        """The passage as its events store it."""
        return asdict(self)


def clean_reason(reason: object, *, required: bool = False) -> str:
    return bounded_text(reason or "", "reason", MAX_REASON, required=required)


@dataclass(frozen=True)
class SuggestionRecord:
    """A suggestion as plain data, for answers: what the application returns."""

    id: UUID
    document_id: UUID
    author_id: UUID
    passage: Passage
    reason: str
    created_at: datetime
    revised_at: str | None
    status: str
    decided_by: UUID | None
    decided_at: str | None
    decision_reason: str
    position: int | None  # where an accepted suggestion was written into the contribution log
    amendments_id: UUID | None  # the committee vote it was put to, if any
    replies: tuple[Reply, ...]

    @property
    def is_open(self) -> bool:
        return self.status == "open"


class Suggestion(Aggregate):
    """One suggestion; its id is a random uuid4, or derived from the idempotency key of the
    request that made it (so that the same request twice finds it). Its events are named in
    full (``Suggestion.SuggestionMade``...), as the audit trail shows their topics."""

    class Event(Aggregate.Event):
        """Every change after the first records who made it (None: the operator at the
        command line) and when."""

        by: str | None = field(default_factory=acting_id, init=False)
        at: str = field(default_factory=now_iso, init=False)

    class SuggestionMade(Aggregate.Created):
        document_id: UUID
        author_id: UUID
        quote: str
        replacement: str
        reason: str
        section: str
        start: str | None
        end: str | None

    class SuggestionRevised(Event):
        quote: str
        replacement: str
        reason: str
        section: str
        start: str | None
        end: str | None

    class SuggestionReplied(Event):
        reply_id: str
        body: str

    class SuggestionPutToVote(Event):
        amendments_id: UUID

    class SuggestionAccepted(Event):
        position: int | None
        amendments_id: UUID | None

    class SuggestionRejected(Event):
        reason: str
        amendments_id: UUID | None

    class SuggestionWithdrawn(Event):
        pass

    @classmethod
    def make(
        cls,
        document_id: UUID,
        author_id: UUID,
        passage: Passage,
        reason: str,
        suggestion_id: UUID | None = None,
    ) -> Suggestion:
        return cls._create(
            cls.SuggestionMade,
            id=suggestion_id or uuid.uuid4(),
            document_id=document_id,
            author_id=author_id,
            reason=clean_reason(reason),
            **passage.fields(),
        )

    @event(SuggestionMade)
    def __init__(
        self,
        document_id: UUID,
        author_id: UUID,
        quote: str,
        replacement: str,
        reason: str,
        section: str,
        start: str | None,
        end: str | None,
    ) -> None:
        self.document_id = document_id
        self.author_id = author_id
        self.passage = Passage(quote, replacement, section, start, end)
        self.reason = reason
        self.revised_at: str | None = None
        self.status = "open"
        self.decided_by: UUID | None = None
        self.decided_at: str | None = None
        self.decision_reason = ""
        self.position: int | None = None
        self.amendments_id: UUID | None = None
        self.replies: dict[str, Reply] = {}

    # The author's changes --------------------------------------------------------------------

    def revise(self, editor_id: UUID, passage: Passage, reason: str | None) -> None:
        """Only the author changes a suggestion, while it is open and not before the
        committee: suggesting mode extends the passage or the replacement as they type. A
        reason left out (None) stays as it was."""
        self._check_author(editor_id, "revise")
        self._check_open_to_decide()
        kept = self.reason if reason is None else clean_reason(reason)
        self._revised(reason=kept, **passage.fields())

    @event(SuggestionRevised)
    def _revised(
        self,
        quote: str,
        replacement: str,
        reason: str,
        section: str,
        start: str | None,
        end: str | None,
        at: str = "",
    ) -> None:
        self.passage = Passage(quote, replacement, section, start, end)
        self.reason = reason
        self.revised_at = at

    def withdraw(self, member_id: UUID | None) -> None:
        self._check_author(member_id, "withdraw")
        self._check_open_to_decide()
        self._withdrawn()

    @event(SuggestionWithdrawn)
    def _withdrawn(self, by: str | None = None, at: str = "") -> None:
        self._decided("withdrawn", by, at)

    def reply(self, author_id: UUID, body: str, reply_id: str | None = None) -> Reply:
        """A new reply; ``reply_id`` names it (from a request's idempotency key): a reply of
        that id by the same author is the same request again, and nothing new is recorded."""
        reply_id = reply_id or str(uuid.uuid4())
        if (earlier := earlier_reply(self.replies, reply_id, author_id)) is not None:
            return earlier
        self._replied(reply_id=reply_id, body=clean_body(body))
        return self.replies[reply_id]

    @event(SuggestionReplied)
    def _replied(self, reply_id: str, body: str, by: str | None = None, at: str = "") -> None:
        assert by is not None, "replies are written by members"
        self.replies[reply_id] = Reply(reply_id, UUID(by), body, at)

    # Decisions -------------------------------------------------------------------------------

    def put_to_vote(self, amendments_id: UUID) -> None:
        self._check_open_to_decide()
        self._put_to_vote(amendments_id=amendments_id)

    @event(SuggestionPutToVote)
    def _put_to_vote(self, amendments_id: UUID) -> None:
        self.amendments_id = amendments_id

    def accept(self, position: int | None, amendments_id: UUID | None = None) -> None:
        """The replacement was written into the text at ``position`` (the caller did it, or
        does it in the same transaction)."""
        self._check_open()
        self._accepted(position=position, amendments_id=amendments_id)

    @event(SuggestionAccepted)
    def _accepted(
        self,
        position: int | None,
        amendments_id: UUID | None,
        by: str | None = None,
        at: str = "",
    ) -> None:
        self.position = position
        self._decided("accepted", by, at)

    def reject(self, reason: str, amendments_id: UUID | None = None) -> None:
        """Rejected with a reason; the committee's reason is its vote (``amendments_id``)."""
        self._check_open()
        cleaned = clean_reason(reason, required=amendments_id is None)
        self._rejected(reason=cleaned, amendments_id=amendments_id)

    @event(SuggestionRejected)
    def _rejected(
        self, reason: str, amendments_id: UUID | None, by: str | None = None, at: str = ""
    ) -> None:
        self.decision_reason = reason
        self._decided("rejected", by, at)

    def _decided(self, status: str, by: str | None, at: str) -> None:
        self.status = status
        self.decided_by = None if by is None else UUID(by)
        self.decided_at = at

    # Checks and reads ------------------------------------------------------------------------

    def _check_author(self, member_id: UUID | None, action: str) -> None:
        if member_id != self.author_id:
            raise Forbidden(
                f"only its author may {action} a suggestion", code=ErrorCode.AUTHOR_ONLY
            )

    def _check_open(self) -> None:
        if self.status != "open":
            raise SuggestionDecided(f"this suggestion is {self.status} already")

    def _check_open_to_decide(self) -> None:
        """Open, and not before the committee (its vote decides it)."""
        self._check_open()
        if self.amendments_id is not None:
            raise BeforeCommittee("this suggestion is before the committee: its vote decides it")

    def record(self) -> SuggestionRecord:
        return SuggestionRecord(
            id=self.id,
            document_id=self.document_id,
            author_id=self.author_id,
            passage=self.passage,
            reason=self.reason,
            created_at=self.created_on,
            revised_at=self.revised_at,
            status=self.status,
            decided_by=self.decided_by,
            decided_at=self.decided_at,
            decision_reason=self.decision_reason,
            position=self.position,
            amendments_id=self.amendments_id,
            replies=tuple(self.replies.values()),
        )
