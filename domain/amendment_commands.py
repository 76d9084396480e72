"""Amendment commands and reads: a coordinator puts open suggestions to the committee in the
open meeting, members with a vote vote on each, a coordinator closes the vote. Mixed into the
application service, the only thing that saves.

Opening puts every suggestion of the set before the committee in the same transaction, so
none of them can be decided or withdrawn on its own meanwhile. Closing decides each one under
the rule the set was opened with and rejects the refused ones in the same transaction; the
accepted ones are written into the text afterwards, in the set's order, by the server
(``record_acceptance`` / ``accept_with_contribution`` with the set's id), which resumes where
it stopped if it is interrupted: the decisions are stored first.

A request that opens a vote under an idempotency key names the vote after the key
(``amendments_id``): the same request again answers the vote it opened; the same vote cast
again records nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING
from uuid import UUID

from palabre.domain.amendments import Amendments
from palabre.domain.committee import Choice, Outcome
from palabre.domain.committee_commands import COORDINATORS
from palabre.domain.errors import Conflict, ErrorCode, NotFound
from palabre.domain.retry import retried
from palabre.domain.service_parts import ServiceParts

if TYPE_CHECKING:
    from palabre.domain.application import MemberInfo
    from palabre.domain.document import Document
    from palabre.domain.roles import Role
    from palabre.domain.suggestion import Suggestion


def amendments_catalogue(document_id: UUID) -> str:
    """The catalogue kind listing one document's votes on amendments, oldest first."""
    return f"amendments:{document_id}"


class AmendmentCommands(ServiceParts):
    # Provided by the application service and the other mixins, besides ServiceParts.
    if TYPE_CHECKING:

        def _voter(self, document_id: UUID) -> tuple[MemberInfo, Document]: ...
        def _as(
            self, document_id: UUID, roles: tuple[Role, ...], refusal: str = ""
        ) -> Document: ...
        def _suggestion(self, document_id: UUID, suggestion_id: UUID) -> Suggestion: ...
        def committee(self, document_id: UUID) -> Document: ...

    @retried
    def open_amendments(
        self,
        document_id: UUID,
        suggestion_ids: Sequence[UUID],
        amendments_id: UUID | None = None,
    ) -> Amendments:
        """``amendments_id``: from the request's idempotency key, see above."""
        document = self._as(document_id, COORDINATORS)
        if (earlier := self._requested(Amendments, amendments_id, document_id)) is not None:
            return earlier
        meeting = document.open_meeting_now()
        if meeting is None:
            raise Conflict(
                "amendments are voted in a meeting: open one first",
                code=ErrorCode.MEETING_REQUIRED,
            )
        suggestions = [self._suggestion(document_id, sid) for sid in suggestion_ids]
        ordered = list(suggestion_ids)
        vote = Amendments.open(document_id, meeting.id, ordered, document.rule, amendments_id)
        for suggestion in suggestions:
            suggestion.put_to_vote(vote.id)
        self._save_listed(amendments_catalogue(document_id), vote, *suggestions)
        return vote

    @retried
    def vote_amendment(
        self,
        document_id: UUID,
        amendments_id: UUID,
        suggestion_id: UUID,
        choice: Choice,
        reason: object,
    ) -> Amendments:
        voter, document = self._voter(document_id)
        vote = self.amendments_vote(document_id, amendments_id)
        who = (voter.organisation.id, voter.id)
        vote.vote(
            suggestion_id, document.voting_organisations, document.delegates, who, choice, reason
        )
        self._commit(vote)
        return vote

    @retried
    def close_amendments(self, document_id: UUID, amendments_id: UUID) -> Amendments:
        """Decide each amendment; the refused ones are rejected at once (their reason is the
        committee's vote, recorded on the set). The accepted ones wait for the server to
        write them into the text."""
        document = self._as(document_id, COORDINATORS)
        vote = self.amendments_vote(document_id, amendments_id)
        vote.close(document.voting_organisations)
        refused = [
            self._suggestion(document_id, UUID(sid))
            for sid, item in vote.items.items()
            if item.outcome is Outcome.REJECTED
        ]
        for suggestion in refused:
            if suggestion.status == "open":
                suggestion.reject("", amendments_id=vote.id)
        self._commit(vote, *refused)
        return vote

    # Reads -----------------------------------------------------------------------------------

    def amendments_vote(self, document_id: UUID, amendments_id: UUID) -> Amendments:
        vote: Amendments = self._get(Amendments, amendments_id, "vote on amendments")
        if vote.document_id != document_id:
            raise NotFound(
                f"no vote on amendments {amendments_id} on this document",
                code=ErrorCode.AMENDMENTS_NOT_FOUND,
            )
        return vote

    def amendments_votes(self, document_id: UUID) -> list[Amendments]:
        """The document's votes on amendments, oldest first."""
        self.committee(document_id)
        listed = self._catalogue(amendments_catalogue(document_id)).get()
        return [self.amendments_vote(document_id, entry.entity_id) for entry in listed]

    def amendments_ids(self, document_id: UUID) -> list[UUID]:
        """The ids of the document's votes on amendments, oldest first, without loading them."""
        return [e.entity_id for e in self._catalogue(amendments_catalogue(document_id)).get()]

    def has_open_amendments(self, document_id: UUID, meeting_id: str) -> bool:
        listed = self._catalogue(amendments_catalogue(document_id)).get()
        votes = (self.amendments_vote(document_id, entry.entity_id) for entry in listed)
        return any(v.is_open and v.meeting_id == meeting_id for v in votes)
