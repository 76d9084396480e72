"""The committee's commands and reads: rule, voting rights, meetings, proposals, votes,
decisions. Mixed into the application service, the only thing that saves.

Who may do what is checked here, from the acting member (``domain.actor``): the operator at
the command line (no acting member) may do everything.

A decision records the head of the audit chain (``domain/chain.py``): the caller passes the
audit projection's stored head (``seal``); without one it is computed by scanning the log."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder
from palabre.domain.actor import acting_member
from palabre.domain.chain import ChainHead, scan_chain_head
from palabre.domain.committee import Choice, Rule
from palabre.domain.document import Document, Meeting, Proposal
from palabre.domain.errors import Conflict, ErrorCode, Forbidden, InvalidInput, NotFound
from palabre.domain.retry import retried
from palabre.domain.roles import Role

if TYPE_CHECKING:
    from palabre.domain.application import MemberInfo

COORDINATORS = (Role.COORDINATOR,)
VOTERS = (Role.COORDINATOR, Role.EDITOR)


class CommitteeCommands:
    # Provided by the application service.
    if TYPE_CHECKING:
        recorder: ApplicationRecorder

        def _get(self, cls: type[Any], aggregate_id: UUID, what: str) -> Any: ...
        def _commit(self, *aggregates: Any) -> None: ...
        def member(self, member_id: UUID) -> MemberInfo: ...
        def contribution_count(self, document_id: Any) -> int: ...
        def organisation(self, organisation_id: UUID) -> Any: ...
        def has_open_amendments(self, document_id: UUID, meeting_id: str) -> bool: ...

    def committee(self, document_id: UUID) -> Document:
        """The document aggregate, for reads (rule, meetings, proposals, versions)."""
        document: Document = self._get(Document, document_id, "document")
        return document

    @retried
    def set_rule(self, document_id: UUID, rule: Rule) -> Rule:
        document = self._as(document_id, COORDINATORS)
        document.set_rule(rule)
        self._commit(document)
        return document.rule

    @retried
    def set_organisation_voting(
        self, document_id: UUID, organisation_id: UUID, votes: bool
    ) -> None:
        document = self._as(document_id, COORDINATORS)
        self.organisation(organisation_id)
        document.set_voting(organisation_id, votes)
        self._commit(document)

    # Meetings --------------------------------------------------------------------------------

    @retried
    def open_meeting(self, document_id: UUID, title: str, day: str) -> Meeting:
        document = self._as(document_id, COORDINATORS)
        meeting = document.open_meeting(title, day)
        self._commit(document)
        return meeting

    @retried
    def record_attendance(
        self, document_id: UUID, meeting_id: str, present: Sequence[UUID]
    ) -> Meeting:
        document = self._as(document_id, COORDINATORS)
        for member_id in present:
            try:
                role = self.member(member_id).role_on(document_id)
            except NotFound:
                role = None
            if role is None:
                raise InvalidInput(
                    f"member {member_id} has no role on this document",
                    code=ErrorCode.ATTENDEE_WITHOUT_ROLE,
                )
        document.record_attendance(meeting_id, list(present))
        self._commit(document)
        return document.meeting(meeting_id)

    @retried
    def close_meeting(self, document_id: UUID, meeting_id: str) -> Meeting:
        document = self._as(document_id, COORDINATORS)
        for proposal_id in document.meeting(meeting_id).proposals:
            if document.proposals[proposal_id].is_open:
                raise Conflict(
                    "close this meeting's open proposals first",
                    code=ErrorCode.MEETING_HAS_OPEN_PROPOSALS,
                )
        if self.has_open_amendments(document_id, meeting_id):
            raise Conflict(
                "close this meeting's open vote on amendments first",
                code=ErrorCode.MEETING_HAS_OPEN_AMENDMENTS,
            )
        document.close_meeting(meeting_id)
        self._commit(document)
        return document.meeting(meeting_id)

    # Proposals -------------------------------------------------------------------------------

    @retried
    def propose(self, document_id: UUID, label: str, position: int, sha256: str) -> Proposal:
        """Pin the text at ``position``, whose canonical hash the caller computed."""
        document = self._as(document_id, COORDINATORS)
        if position > self.contribution_count(document_id):
            raise InvalidInput(
                "position beyond the stored contributions", code=ErrorCode.POSITION_BEYOND_LOG
            )
        proposal = document.propose(label, position, sha256)
        self._commit(document)
        return proposal

    @retried
    def vote(self, document_id: UUID, proposal_id: str, choice: Choice, reason: object) -> Proposal:
        voter, document = self._voter(document_id)
        document.vote(proposal_id, voter.organisation.id, voter.id, choice, reason)
        self._commit(document)
        return document.proposal(proposal_id)

    @retried
    def close_proposal(
        self, document_id: UUID, proposal_id: str, seal: Callable[[], ChainHead] | None = None
    ) -> Proposal:
        """Decide on the proposal. The chain head (from ``seal``, else by scanning the log) is
        read after the document, before the decision is stored: it is the link of an event
        stored before the decision (the last one, unless another process stored events in
        between)."""
        document = self._as(document_id, COORDINATORS)
        head = seal() if seal is not None else scan_chain_head(self.recorder)
        proposal = document.close_proposal(proposal_id, head.link, head.position)
        self._commit(document)
        return proposal

    # Helpers ---------------------------------------------------------------------------------

    def _voter(self, document_id: UUID) -> tuple[MemberInfo, Document]:
        """The acting member, if they may vote on the document (on a proposal or an
        amendment), and the document."""
        voter = self._acting()
        if voter is None:
            raise Forbidden("votes are cast by members, not from the command line")
        document = self._as(document_id, VOTERS, "commenters and observers cannot vote")
        if not voter.votes_on(document_id):
            raise Forbidden(
                "this member has no voting rights on this document", code=ErrorCode.NOT_A_VOTER
            )
        return voter, document

    def _acting(self) -> MemberInfo | None:
        member_id = acting_member.get()
        return None if member_id is None else self.member(member_id)

    def _as(self, document_id: UUID, roles: tuple[Role, ...], refusal: str = "") -> Document:
        document = self.committee(document_id)
        actor = self._acting()
        if actor is not None and actor.role_on(document_id) not in roles:
            allowed = " or ".join(r.value for r in roles)
            raise Forbidden(
                refusal or f"only a {allowed} may do this", code=ErrorCode.ROLE_NOT_ALLOWED
            )
        return document
