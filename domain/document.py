"""The document aggregate: a référentiel's identity and title, and everything its committee
does with it: the voting rule, which organisations vote, meetings, proposals, votes and
decisions.

Keystroke-rate facts (contributions) live in their own log, so loading this aggregate never
replays the editing history; it holds only facts that happen at the pace of meetings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event
from palabre.domain.actor import acting_member
from palabre.domain.committee import (
    Ballot,
    CastVote,
    Choice,
    Mode,
    Outcome,
    Rule,
    clean_label,
    clean_reason,
    decide,
)
from palabre.domain.errors import Conflict, ErrorCode, Forbidden, InvalidInput, NotFound

MAX_TITLE_LENGTH = 200
CHAIN_LINK = re.compile(r"[0-9a-f]{64}")


def clean_title(title: str, what: str = "a document") -> str:
    cleaned = " ".join(title.split())
    if not cleaned:
        raise InvalidInput(f"{what} needs a title", code=ErrorCode.TITLE_REQUIRED)
    if len(cleaned) > MAX_TITLE_LENGTH:
        raise InvalidInput(
            f"a title has at most {MAX_TITLE_LENGTH} characters", code=ErrorCode.TITLE_TOO_LONG
        )
    return cleaned


@dataclass
class Meeting:
    id: str
    title: str
    date: str  # ISO date of the meeting
    opened_by: str | None
    present: list[str] = field(default_factory=list)  # member ids
    closed: bool = False
    proposals: list[str] = field(default_factory=list)


@dataclass
class Proposal:
    id: str
    number: int
    label: str
    position: int
    sha256: str
    meeting_id: str | None
    opened_by: str | None
    rule: Rule  # the rule in force when it opened: changing it later does not affect it
    votes: dict[str, CastVote] = field(default_factory=dict)  # the last vote per organisation
    casts: int = 0  # every cast and change, for the record
    outcome: Outcome | None = None
    tally: dict[str, Any] | None = None
    version: int | None = None
    closed_by: str | None = None
    # The audit chain's head when the decision was made (None for decisions stored before
    # the chain existed): the link of notification ``chain_position``, an event stored before
    # the decision. It seals the history the decision was made on.
    chain_head: str | None = None
    chain_position: int | None = None
    opened_at: str | None = None  # ISO-8601, UTC: when the text was pinned (the event's time)

    @property
    def is_open(self) -> bool:
        return self.outcome is None


def _actor() -> str | None:
    member = acting_member.get()
    return None if member is None else str(member)


class Document(Aggregate):
    class Event(Aggregate.Event):
        """Every change of a document records who made it (``by``), from the acting member
        (``domain.actor``): None for the operator at the command line. Votes carry their
        voter (``member_id``) too, and were stored without ``by`` before it existed."""

        by: str | None = field(default_factory=_actor, init=False)

    class Created(Aggregate.Created):
        title: str
        created_by: UUID | None

    class RuleSet(Event):
        quorum: float
        mode: str
        ballot: str

    class OrganisationVotingSet(Event):
        organisation_id: str
        votes: bool

    class DelegateDesignated(Event):
        organisation_id: str
        member_id: str

    class MeetingOpened(Event):
        meeting_id: str
        title: str
        date: str

    class AttendanceRecorded(Event):
        meeting_id: str
        present: list[str]

    class MeetingClosed(Event):
        meeting_id: str

    class ProposalOpened(Event):
        proposal_id: str
        number: int
        label: str
        position: int
        sha256: str
        meeting_id: str | None
        rule: dict[str, Any]

    class VoteCast(Event):
        proposal_id: str
        organisation_id: str
        member_id: str
        choice: str
        reason: str

    class ProposalClosed(Event):
        proposal_id: str
        outcome: str
        tally: dict[str, Any]
        version: int | None
        chain_head: str | None = None  # absent from decisions stored before the chain
        chain_position: int | None = None

    @classmethod
    def start(cls, title: str) -> Document:
        return cls(title=clean_title(title), created_by=acting_member.get())

    @event(Created)
    def __init__(self, title: str, created_by: UUID | None) -> None:
        self.title = title
        self.created_by = created_by
        self.rule = Rule()
        self.voting: dict[str, bool] = {}  # organisation id -> has a vote on this document
        self.delegates: dict[str, str] = {}  # organisation id -> member id
        self.meetings: dict[str, Meeting] = {}
        self.proposals: dict[str, Proposal] = {}
        self.versions: list[str] = []  # proposal ids of approved versions, v1 first

    # Rule and voting rights ------------------------------------------------------------------

    def set_rule(self, rule: Rule) -> None:
        self._rule_set(quorum=rule.quorum, mode=rule.mode.value, ballot=rule.ballot.value)

    @event(RuleSet)
    def _rule_set(self, quorum: float, mode: str, ballot: str) -> None:
        self.rule = Rule(quorum, Mode(mode), Ballot(ballot))

    def set_voting(self, organisation_id: UUID, votes: bool) -> None:
        if self.voting.get(str(organisation_id)) is not votes:
            self._voting_set(organisation_id=str(organisation_id), votes=votes)

    @event(OrganisationVotingSet)
    def _voting_set(self, organisation_id: str, votes: bool) -> None:
        self.voting[organisation_id] = votes

    def designate_delegate(self, organisation_id: UUID, member_id: UUID) -> None:
        self._delegate_designated(organisation_id=str(organisation_id), member_id=str(member_id))

    @event(DelegateDesignated)
    def _delegate_designated(self, organisation_id: str, member_id: str) -> None:
        self.delegates[organisation_id] = member_id

    @property
    def voting_organisations(self) -> set[str]:
        return {org for org, votes in self.voting.items() if votes}

    # Meetings --------------------------------------------------------------------------------

    def open_meeting(self, title: str, day: str) -> Meeting:
        if self.open_meeting_now() is not None:
            raise Conflict(
                "a meeting is already open; close it first", code=ErrorCode.MEETING_ALREADY_OPEN
            )
        try:
            date.fromisoformat(day)
        except (TypeError, ValueError):
            raise InvalidInput(
                "a meeting's date is YYYY-MM-DD", code=ErrorCode.INVALID_DATE
            ) from None
        meeting_id = str(uuid4())
        self._meeting_opened(meeting_id=meeting_id, title=clean_title(title, "a meeting"), date=day)
        return self.meetings[meeting_id]

    @event(MeetingOpened)
    def _meeting_opened(
        self, meeting_id: str, title: str, date: str, by: str | None = None
    ) -> None:
        self.meetings[meeting_id] = Meeting(meeting_id, title, date, by)

    def record_attendance(self, meeting_id: str, present: list[UUID]) -> None:
        meeting = self._open_meeting(meeting_id)
        members = sorted({str(m) for m in present})
        if members != meeting.present:
            self._attendance_recorded(meeting_id=meeting_id, present=members)

    @event(AttendanceRecorded)
    def _attendance_recorded(self, meeting_id: str, present: list[str]) -> None:
        self.meetings[meeting_id].present = list(present)

    def close_meeting(self, meeting_id: str) -> None:
        self._open_meeting(meeting_id)
        self._meeting_closed(meeting_id=meeting_id)

    @event(MeetingClosed)
    def _meeting_closed(self, meeting_id: str) -> None:
        self.meetings[meeting_id].closed = True

    def open_meeting_now(self) -> Meeting | None:
        return next((m for m in self.meetings.values() if not m.closed), None)

    def meeting(self, meeting_id: str) -> Meeting:
        try:
            return self.meetings[meeting_id]
        except KeyError:
            raise NotFound(
                f"no meeting {meeting_id} on this document", code=ErrorCode.MEETING_NOT_FOUND
            ) from None

    def _open_meeting(self, meeting_id: str) -> Meeting:
        meeting = self.meeting(meeting_id)
        if meeting.closed:
            raise Conflict("this meeting is closed", code=ErrorCode.MEETING_CLOSED)
        return meeting

    # Proposals, votes, decisions -------------------------------------------------------------

    def propose(self, label: str, position: int, sha256: str) -> Proposal:
        """Pin the text at ``position`` (with its hash) for the committee's decision."""
        if position < 0 or len(sha256) != 64:
            raise InvalidInput("a proposal pins a position and a SHA-256")
        meeting = self.open_meeting_now()
        proposal_id = str(uuid4())
        self._proposal_opened(
            proposal_id=proposal_id,
            number=len(self.proposals) + 1,
            label=clean_label(label),
            position=position,
            sha256=sha256,
            meeting_id=meeting.id if meeting else None,
            rule=self.rule.as_dict(),
        )
        return self.proposals[proposal_id]

    @event(ProposalOpened)
    def _proposal_opened(
        self,
        proposal_id: str,
        number: int,
        label: str,
        position: int,
        sha256: str,
        meeting_id: str | None,
        rule: dict[str, Any],
        by: str | None = None,
        timestamp: datetime | None = None,  # the event's own time: when the text was pinned
    ) -> None:
        self.proposals[proposal_id] = Proposal(
            proposal_id, number, label, position, sha256, meeting_id, by, Rule.parse(rule)
        )
        self.proposals[proposal_id].opened_at = None if timestamp is None else timestamp.isoformat()
        if meeting_id is not None:
            self.meetings[meeting_id].proposals.append(proposal_id)

    def vote(
        self,
        proposal_id: str,
        organisation_id: UUID,
        member_id: UUID,
        choice: Choice,
        reason: object,
    ) -> None:
        """Record one cast. The caller has checked the member's right to vote for the
        organisation; the aggregate checks the organisation's and the proposal's state."""
        proposal = self._open_proposal(proposal_id)
        organisation = str(organisation_id)
        if organisation not in self.voting_organisations:
            raise Forbidden(
                "this organisation has no vote on this document",
                code=ErrorCode.ORGANISATION_CANNOT_VOTE,
            )
        delegate = self.delegates.get(organisation)
        if delegate is not None and delegate != str(member_id):
            raise Forbidden(
                "only the organisation's delegate votes for it", code=ErrorCode.DELEGATE_VOTES
            )
        cleaned = clean_reason(choice, reason)
        previous = proposal.votes.get(organisation)
        if previous is not None and (previous.choice, previous.reason, previous.member_id) == (
            choice,
            cleaned,
            str(member_id),
        ):
            return  # the same vote again: nothing new to record
        self._vote_cast(
            proposal_id=proposal_id,
            organisation_id=organisation,
            member_id=str(member_id),
            choice=choice.value,
            reason=cleaned,
        )

    @event(VoteCast)
    def _vote_cast(
        self, proposal_id: str, organisation_id: str, member_id: str, choice: str, reason: str
    ) -> None:
        proposal = self.proposals[proposal_id]
        proposal.votes[organisation_id] = CastVote(
            organisation_id, member_id, Choice(choice), reason
        )
        proposal.casts += 1

    def close_proposal(self, proposal_id: str, chain_head: str, chain_position: int) -> Proposal:
        """Decide, recording the audit chain's head (the link of notification
        ``chain_position``): the decision then names the exact history it was made on."""
        proposal = self._open_proposal(proposal_id)
        if chain_position < 0 or not CHAIN_LINK.fullmatch(chain_head):
            raise InvalidInput("a decision records the audit chain's head: a position and a link")
        outcome, tally = decide(proposal.rule, self.voting_organisations, proposal.votes)
        version = len(self.versions) + 1 if outcome is Outcome.ACCEPTED else None
        self._proposal_closed(
            proposal_id=proposal_id,
            outcome=outcome.value,
            tally=tally,
            version=version,
            chain_head=chain_head,
            chain_position=chain_position,
        )
        return proposal

    @event(ProposalClosed)
    def _proposal_closed(
        self,
        proposal_id: str,
        outcome: str,
        tally: dict[str, Any],
        version: int | None,
        chain_head: str | None = None,
        chain_position: int | None = None,
        by: str | None = None,
    ) -> None:
        proposal = self.proposals[proposal_id]
        proposal.outcome = Outcome(outcome)
        proposal.tally = tally
        proposal.version = version
        proposal.closed_by = by
        proposal.chain_head = chain_head
        proposal.chain_position = chain_position
        if version is not None:
            self.versions.append(proposal_id)

    def proposal(self, proposal_id: str) -> Proposal:
        try:
            return self.proposals[proposal_id]
        except KeyError:
            raise NotFound(
                f"no proposal {proposal_id} on this document", code=ErrorCode.PROPOSAL_NOT_FOUND
            ) from None

    def _open_proposal(self, proposal_id: str) -> Proposal:
        proposal = self.proposal(proposal_id)
        if not proposal.is_open:
            raise Conflict(
                "this proposal is closed: its decision can no longer change",
                code=ErrorCode.PROPOSAL_CLOSED,
            )
        return proposal
