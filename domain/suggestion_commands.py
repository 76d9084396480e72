"""Suggestion commands and reads, mixed into the application service (the only thing that
saves).

Who may do what is checked here, from the acting member (``domain.actor``):

- coordinators, editors and commenters suggest and reply; observers only read; the operator
  at the command line writes no suggestions (every suggestion has an author);
- only its author revises or withdraws a suggestion;
- a coordinator, or an editor who wrote part of the passage, accepts or rejects it; the
  operator at the command line may too. Who wrote the passage is a fact the caller reads
  from the history (``passage_authors``): the domain knows nothing of the CRDT;
- a suggestion before the committee (an open vote on amendments) is decided by that vote.

A suggestion or a reply made under a request's idempotency key takes an id derived from it:
the same request again answers what the first made instead of making another. Deciding twice
is refused (409), so a decision retried after its answer was lost is never applied twice.

Accepting writes the replacement into the text. With no live room, the contribution that does
it and the acceptance are stored in one transaction (:meth:`accept_with_contribution`); with
a live room, the room stores the contribution and the acceptance follows it
(:meth:`record_acceptance`): a crash in between leaves the replacement in the text and the
suggestion open, shown as conflicting (its passage no longer reads as quoted), never lost.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.persistence import IntegrityError
from palabre.domain.actor import acting_member
from palabre.domain.amendments import Amendments
from palabre.domain.comment import Reply
from palabre.domain.contribution import NewContribution
from palabre.domain.errors import (
    Conflict,
    ErrorCode,
    Forbidden,
    InvalidInput,
    NotFound,
    PositionConflict,
)
from palabre.domain.ids import DocumentId
from palabre.domain.retry import retried
from palabre.domain.roles import Role
from palabre.domain.service_parts import ServiceParts
from palabre.domain.suggestion import (
    STATUSES,
    BeforeCommittee,
    Passage,
    Suggestion,
    SuggestionDecided,
    SuggestionRecord,
)

if TYPE_CHECKING:
    from eventsourcing.application import EventSourcedLog
    from palabre.domain.contribution import Contributed


def suggestions_catalogue(document_id: UUID) -> str:
    """The catalogue kind listing one document's suggestions, oldest first."""
    return f"suggestions:{document_id}"


def contribution_session(suggestion_id: UUID) -> str:
    """The session id of the contribution that writes an accepted suggestion into the text:
    the history can tell it from a person's typing, and name the suggestion."""
    return f"suggestion-{suggestion_id}"


class SuggestionCommands(ServiceParts):
    # Provided by the application service and the other mixins, besides ServiceParts.
    if TYPE_CHECKING:

        def _contribution_log(self, document_id: DocumentId) -> EventSourcedLog[Contributed]: ...
        def _commenter(self, document_id: UUID, refusal: str, written: str = "") -> UUID: ...
        def contribution_count(self, document_id: DocumentId) -> int: ...

    # The suggester's commands ----------------------------------------------------------------

    @retried
    def suggest(
        self,
        document_id: UUID,
        passage: Passage,
        reason: str,
        suggestion_id: UUID | None = None,
    ) -> SuggestionRecord:
        """``suggestion_id``: from the request's idempotency key, see above."""
        author = self._suggester(document_id, "observers cannot suggest")
        earlier = self._requested(Suggestion, suggestion_id, document_id, author)
        if earlier is not None:
            return earlier.record()
        suggestion = Suggestion.make(document_id, author, passage, reason, suggestion_id)
        self._save_listed(suggestions_catalogue(document_id), suggestion)
        return suggestion.record()

    @retried
    def revise_suggestion(
        self, document_id: UUID, suggestion_id: UUID, passage: Passage, reason: str | None
    ) -> SuggestionRecord:
        author = self._suggester(document_id, "observers cannot suggest")
        suggestion = self._suggestion(document_id, suggestion_id)
        suggestion.revise(author, passage, reason)
        self._commit(suggestion)
        return suggestion.record()

    @retried
    def reply_to_suggestion(
        self, document_id: UUID, suggestion_id: UUID, body: str, reply_id: str | None = None
    ) -> Reply:
        """``reply_id``: from the request's idempotency key, see above."""
        author = self._suggester(document_id, "observers cannot reply")
        suggestion = self._suggestion(document_id, suggestion_id)
        reply = suggestion.reply(author, body, reply_id)
        self._commit(suggestion)
        return reply

    @retried
    def withdraw_suggestion(self, document_id: UUID, suggestion_id: UUID) -> SuggestionRecord:
        self.document(document_id)
        suggestion = self._suggestion(document_id, suggestion_id)
        suggestion.withdraw(acting_member.get())
        self._commit(suggestion)
        return suggestion.record()

    # Decisions -------------------------------------------------------------------------------

    def check_decider(
        self, document_id: UUID, suggestion_id: UUID, passage_authors: Collection[UUID]
    ) -> SuggestionRecord:
        """The suggestion, if the acting member may decide on it now; raises otherwise.
        Changes nothing: the server checks before it writes the replacement."""
        suggestion = self._decidable(document_id, suggestion_id, passage_authors)
        return suggestion.record()

    @retried
    def reject_suggestion(
        self,
        document_id: UUID,
        suggestion_id: UUID,
        reason: str,
        passage_authors: Collection[UUID],
    ) -> SuggestionRecord:
        suggestion = self._decidable(document_id, suggestion_id, passage_authors)
        suggestion.reject(reason)
        self._commit(suggestion)
        return suggestion.record()

    @retried
    def record_acceptance(
        self,
        document_id: UUID,
        suggestion_id: UUID,
        passage_authors: Collection[UUID],
        position: int | None,
        amendments_id: UUID | None = None,
    ) -> SuggestionRecord:
        """The replacement is in the text (at ``position``, if known): record the decision."""
        suggestion = self._acceptable(document_id, suggestion_id, passage_authors, amendments_id)
        suggestion.accept(position, amendments_id)
        self._commit(suggestion)
        return suggestion.record()

    @retried
    def accept_with_contribution(
        self,
        document_id: DocumentId,
        suggestion_id: UUID,
        passage_authors: Collection[UUID],
        expected: int,
        contribution: NewContribution,
        amendments_id: UUID | None = None,
    ) -> SuggestionRecord:
        """Store ``contribution`` (the replacement, attributed to the suggester) after
        position ``expected`` and the acceptance, in one transaction. PositionConflict if the
        log moved: the caller makes the update again against the new text."""
        suggestion = self._acceptable(document_id, suggestion_id, passage_authors, amendments_id)
        if contribution.member_id != suggestion.author_id:
            raise InvalidInput("the contribution must be the suggester's")  # a server bug
        count = self.contribution_count(document_id)
        if count != expected:  # behind (a unique version catches a race) or ahead: a gap
            raise PositionConflict(expected, count)
        suggestion.accept(expected + 1, amendments_id)
        stored = self._contribution_log(document_id).trigger_event(
            next_originator_version=expected + 1,
            document_id=document_id,
            member_id=contribution.member_id,
            session_id=contribution.session_id,
            update=contribution.update,
            updates=contribution.updates,
        )
        try:
            self._commit(stored, suggestion)
        except IntegrityError:
            if self.contribution_count(document_id) != expected:
                raise PositionConflict(expected, self.contribution_count(document_id)) from None
            raise  # the suggestion changed meanwhile: @retried decides again
        return suggestion.record()

    # Reads -----------------------------------------------------------------------------------

    def suggestion(self, document_id: UUID, suggestion_id: UUID) -> SuggestionRecord:
        return self._suggestion(document_id, suggestion_id).record()

    def suggestions(self, document_id: UUID, status: str | None = None) -> list[SuggestionRecord]:
        """The document's suggestions, oldest first; ``status`` keeps one kind."""
        if status is not None and status not in STATUSES:
            expected = ", ".join(STATUSES)
            raise InvalidInput(f"unknown status {status!r}; expected one of {expected}")
        self.document(document_id)
        listed = self._catalogue(suggestions_catalogue(document_id)).get()
        records = (self.suggestion(document_id, entry.entity_id) for entry in listed)
        return [r for r in records if status is None or r.status == status]

    def suggestion_ids(self, document_id: UUID) -> list[UUID]:
        """The ids of the document's suggestions, oldest first, without loading them."""
        return [e.entity_id for e in self._catalogue(suggestions_catalogue(document_id)).get()]

    # Helpers ---------------------------------------------------------------------------------

    def _suggestion(self, document_id: UUID, suggestion_id: UUID) -> Suggestion:
        suggestion: Suggestion = self._get(Suggestion, suggestion_id, "suggestion")
        if suggestion.document_id != document_id:  # never reach one through another document
            raise NotFound(
                f"no suggestion {suggestion_id} on this document",
                code=ErrorCode.SUGGESTION_NOT_FOUND,
            )
        return suggestion

    def _suggester(self, document_id: UUID, refusal: str) -> UUID:
        """The acting member, if their role on the document lets them suggest: those who may
        comment (coordinators, editors, commenters)."""
        return self._commenter(document_id, refusal, "suggestions are made")

    def _decidable(
        self, document_id: UUID, suggestion_id: UUID, passage_authors: Collection[UUID]
    ) -> Suggestion:
        """The open suggestion, if the acting member may decide on it and no vote of the
        committee is deciding it."""
        self.document(document_id)
        suggestion = self._suggestion(document_id, suggestion_id)
        if suggestion.status != "open":
            raise SuggestionDecided(f"this suggestion is {suggestion.status} already")
        if suggestion.amendments_id is not None:
            vote: Amendments = self._get(Amendments, suggestion.amendments_id, "vote on amendments")
            if vote.is_open:
                raise BeforeCommittee(
                    "this suggestion is before the committee: its vote decides it"
                )
        member_id = acting_member.get()
        if member_id is None:
            return suggestion
        role = self.member(member_id).role_on(document_id)
        if role is Role.COORDINATOR or (
            role is not None and role.can_edit and member_id in passage_authors
        ):
            return suggestion
        raise Forbidden(
            "only the passage's author(s) or a coordinator may decide on it",
            code=ErrorCode.PASSAGE_AUTHORS_ONLY,
        )

    def _acceptable(
        self,
        document_id: UUID,
        suggestion_id: UUID,
        passage_authors: Collection[UUID],
        amendments_id: UUID | None,
    ) -> Suggestion:
        """As :meth:`_decidable`, or for a committee's decision: the closed vote
        ``amendments_id`` accepted it, and a coordinator (or the operator) applies it."""
        if amendments_id is None:
            return self._decidable(document_id, suggestion_id, passage_authors)
        self.document(document_id)
        suggestion = self._suggestion(document_id, suggestion_id)
        vote: Amendments = self._get(Amendments, amendments_id, "vote on amendments")
        if suggestion.amendments_id != amendments_id or str(suggestion_id) not in vote.accepted():
            raise Conflict("the committee did not accept this suggestion in that vote")
        member_id = acting_member.get()
        if member_id is not None and self.member(member_id).role_on(document_id) not in (
            Role.COORDINATOR,
        ):
            raise Forbidden(
                "only a coordinator applies the committee's amendments",
                code=ErrorCode.COORDINATOR_ONLY,
            )
        return suggestion
