"""Amendments: a set of suggestions a coordinator puts to the committee in a meeting.

One ``Amendments`` aggregate per set. Each suggestion of the set is voted like a proposal,
organisation by organisation, under the document's rule as it stood when the set was opened;
closing the set decides each one with the committee's own decision logic
(:func:`palabre.domain.committee.decide`) and records every tally at once. Applying the
accepted ones to the text, in the set's order, is the server's work (it writes each one into
the text and records ``Suggestion.SuggestionAccepted`` on the
suggestion); the decisions stored here are what it follows, so an interrupted application can
be resumed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event
from palabre.domain.actor import acting_id, now_iso
from palabre.domain.committee import (
    CastVote,
    Choice,
    Outcome,
    Rule,
    check_voter,
    clean_reason,
    decide,
)
from palabre.domain.errors import Conflict, ErrorCode, InvalidInput, NotFound

MAX_AMENDMENTS = 50  # suggestions in one set: a meeting's agenda, not the whole backlog


@dataclass
class Amendment:
    """One suggestion of the set, its votes (the last one per organisation) and decision."""

    suggestion_id: str
    votes: dict[str, CastVote] = field(default_factory=dict)
    casts: int = 0
    outcome: Outcome | None = None
    tally: dict[str, Any] | None = None


class Amendments(Aggregate):
    """One vote on a set of amendments; its id is a random uuid4, or derived from the
    idempotency key of the request that opened it (so that the same request twice finds it)."""

    class Event(Aggregate.Event):
        by: str | None = field(default_factory=acting_id, init=False)
        at: str = field(default_factory=now_iso, init=False)

    class AmendmentsOpened(Aggregate.Created):
        document_id: UUID
        meeting_id: str
        suggestion_ids: list[str]
        rule: dict[str, Any]
        opened_by: str | None

    class AmendmentVoteCast(Event):
        suggestion_id: str
        organisation_id: str
        member_id: str
        choice: str
        reason: str

    class AmendmentsClosed(Event):
        decisions: dict[str, dict[str, Any]]  # suggestion id -> {"outcome", "tally"}

    @classmethod
    def open(
        cls,
        document_id: UUID,
        meeting_id: str,
        suggestion_ids: list[UUID],
        rule: Rule,
        amendments_id: UUID | None = None,
    ) -> Amendments:
        ordered = [str(s) for s in suggestion_ids]
        if not ordered:
            raise InvalidInput("put at least one suggestion to the vote")
        if len(ordered) > MAX_AMENDMENTS:
            raise InvalidInput(f"at most {MAX_AMENDMENTS} suggestions in one vote")
        if len(set(ordered)) != len(ordered):
            raise InvalidInput("a suggestion appears twice in the set")
        return cls._create(
            cls.AmendmentsOpened,
            id=amendments_id or uuid.uuid4(),
            document_id=document_id,
            meeting_id=meeting_id,
            suggestion_ids=ordered,
            rule=rule.as_dict(),
            opened_by=acting_id(),
        )

    @event(AmendmentsOpened)
    def __init__(
        self,
        document_id: UUID,
        meeting_id: str,
        suggestion_ids: list[str],
        rule: dict[str, Any],
        opened_by: str | None,
    ) -> None:
        self.document_id = document_id
        self.meeting_id = meeting_id
        self.rule = Rule.parse(rule)
        self.opened_by = opened_by
        self.items = {sid: Amendment(sid) for sid in suggestion_ids}  # in the set's order
        self.closed_by: str | None = None
        self.closed_at: str | None = None

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def item(self, suggestion_id: UUID | str) -> Amendment:
        try:
            return self.items[str(suggestion_id)]
        except KeyError:
            raise NotFound(
                f"suggestion {suggestion_id} is not in this vote",
                code=ErrorCode.SUGGESTION_NOT_FOUND,
            ) from None

    def vote(
        self,
        suggestion_id: UUID,
        voting_organisations: set[str],
        delegates: dict[str, str],
        voter: tuple[UUID, UUID],
        choice: Choice,
        reason: object,
    ) -> None:
        """Record one cast for one amendment; ``voter`` is (organisation, member), whose own
        right to vote the caller checked."""
        self._check_open()
        item = self.item(suggestion_id)
        organisation, member = (str(v) for v in voter)
        check_voter(voting_organisations, delegates, organisation, member)
        cleaned = clean_reason(choice, reason)
        previous = item.votes.get(organisation)
        if previous is not None and (previous.choice, previous.reason, previous.member_id) == (
            choice,
            cleaned,
            member,
        ):
            return  # the same vote again: nothing new to record
        self._vote_cast(
            suggestion_id=item.suggestion_id,
            organisation_id=organisation,
            member_id=member,
            choice=choice.value,
            reason=cleaned,
        )

    @event(AmendmentVoteCast)
    def _vote_cast(
        self,
        suggestion_id: str,
        organisation_id: str,
        member_id: str,
        choice: str,
        reason: str,
        by: str | None = None,
        at: str = "",
    ) -> None:
        item = self.items[suggestion_id]
        item.votes[organisation_id] = CastVote(organisation_id, member_id, Choice(choice), reason)
        item.casts += 1

    def close(self, voting_organisations: set[str]) -> None:
        """Decide every amendment of the set under the rule it was opened with."""
        self._check_open()
        decisions = {}
        for sid, item in self.items.items():
            outcome, tally = decide(self.rule, voting_organisations, item.votes)
            decisions[sid] = {"outcome": outcome.value, "tally": tally}
        self._closed(decisions=decisions)

    @event(AmendmentsClosed)
    def _closed(
        self, decisions: dict[str, dict[str, Any]], by: str | None = None, at: str = ""
    ) -> None:
        for sid, decision in decisions.items():
            self.items[sid].outcome = Outcome(decision["outcome"])
            self.items[sid].tally = decision["tally"]
        self.closed_by = by
        self.closed_at = at

    def accepted(self) -> list[str]:
        """The accepted suggestions, in the set's order: the order they are applied in."""
        return [sid for sid, item in self.items.items() if item.outcome is Outcome.ACCEPTED]

    def _check_open(self) -> None:
        if not self.is_open:
            raise Conflict(
                "this vote on amendments is closed: its decisions can no longer change",
                code=ErrorCode.AMENDMENTS_CLOSED,
            )
