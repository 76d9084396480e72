"""The committee's vocabulary and its decision rule, as plain values and one pure function."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from palabre.domain.errors import ErrorCode, Forbidden, InvalidInput

MAX_REASON_LENGTH = 2000
MAX_LABEL_LENGTH = 300


class Choice(StrEnum):
    APPROVE = "approve"
    ABSTAIN = "abstain"
    OBJECT = "object"

    @classmethod
    def parse(cls, value: object) -> Choice:
        try:
            return cls(str(value))
        except ValueError:
            raise InvalidInput(
                "vote must be approve, abstain or object", code=ErrorCode.INVALID_VOTE
            ) from None


class Mode(StrEnum):
    MAJORITY = "majority"  # accepted when approvals outnumber objections
    CONSENT = "consent"  # accepted when nobody objects


class Ballot(StrEnum):
    OPEN = "open"  # everyone sees how each organisation voted, as votes arrive
    SECRET = "secret"  # who voted is visible at once; how, only after the decision


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Rule:
    quorum: float = 0.5  # share of voting organisations that must have voted
    mode: Mode = Mode.MAJORITY
    ballot: Ballot = Ballot.OPEN

    @classmethod
    def parse(cls, body: Mapping[str, Any]) -> Rule:
        quorum = body.get("quorum", 0.5)
        if isinstance(quorum, bool) or not isinstance(quorum, int | float):
            raise InvalidInput(
                "quorum must be a number between 0 and 1", code=ErrorCode.INVALID_RULE
            )
        if not 0 < float(quorum) <= 1:
            raise InvalidInput("quorum must be above 0 and at most 1", code=ErrorCode.INVALID_RULE)
        try:
            mode = Mode(str(body.get("mode", "majority")))
            ballot = Ballot(str(body.get("ballot", "open")))
        except ValueError:
            raise InvalidInput(
                "mode is majority or consent; ballot is open or secret", code=ErrorCode.INVALID_RULE
            ) from None
        return cls(float(quorum), mode, ballot)

    def as_dict(self) -> dict[str, Any]:
        return {"quorum": self.quorum, "mode": self.mode.value, "ballot": self.ballot.value}


@dataclass(frozen=True)
class CastVote:
    organisation_id: str
    member_id: str
    choice: Choice
    reason: str


def decide(
    rule: Rule, voting_organisations: set[str], votes: Mapping[str, CastVote]
) -> tuple[Outcome, dict[str, Any]]:
    """The outcome under ``rule`` and the full tally. ``votes`` holds the last vote of each
    organisation; votes of organisations that no longer have voting rights do not count."""
    counted = {org: vote for org, vote in votes.items() if org in voting_organisations}
    totals = {choice.value: 0 for choice in Choice}
    for vote in counted.values():
        totals[vote.choice.value] += 1
    eligible = len(voting_organisations)
    quorum_met = eligible > 0 and len(counted) / eligible >= rule.quorum - 1e-12
    if rule.mode is Mode.MAJORITY:
        carried = totals["approve"] > totals["object"]
    else:
        carried = totals["object"] == 0
    outcome = Outcome.ACCEPTED if quorum_met and carried else Outcome.REJECTED
    tally = {
        "rule": rule.as_dict(),
        "voting_organisations": eligible,
        "voted": len(counted),
        "quorum_met": quorum_met,
        **totals,
        "votes": {
            org: {"member": vote.member_id, "vote": vote.choice.value, "reason": vote.reason}
            for org, vote in sorted(counted.items())
        },
    }
    return outcome, tally


def check_voter(
    voting_organisations: set[str], delegates: Mapping[str, str], organisation: str, member: str
) -> None:
    """May ``member`` cast ``organisation``'s vote? The caller has checked the member's own
    right to vote; this checks the organisation's vote and its delegate."""
    if organisation not in voting_organisations:
        raise Forbidden(
            "this organisation has no vote on this document",
            code=ErrorCode.ORGANISATION_CANNOT_VOTE,
        )
    delegate = delegates.get(organisation)
    if delegate is not None and delegate != member:
        raise Forbidden(
            "only the organisation's delegate votes for it", code=ErrorCode.DELEGATE_VOTES
        )


def canonical_sha256(markdown: str) -> str:
    """The hash a proposal pins: SHA-256 of the text's UTF-8 bytes, exactly as stored."""
    return hashlib.sha256(markdown.encode("utf-8")).hexdigest()


def clean_reason(choice: Choice, reason: object) -> str:
    text = "" if reason is None else str(reason).strip()
    if choice is Choice.OBJECT and not text:
        raise InvalidInput("an objection needs a reason", code=ErrorCode.REASON_REQUIRED)
    if len(text) > MAX_REASON_LENGTH:
        raise InvalidInput(
            f"a reason has at most {MAX_REASON_LENGTH} characters", code=ErrorCode.REASON_TOO_LONG
        )
    return text


def clean_label(label: object) -> str:
    text = " ".join(str(label or "").split())
    if not text:
        raise InvalidInput("a proposal needs a label", code=ErrorCode.LABEL_REQUIRED)
    if len(text) > MAX_LABEL_LENGTH:
        raise InvalidInput(
            f"a label has at most {MAX_LABEL_LENGTH} characters", code=ErrorCode.LABEL_TOO_LONG
        )
    return text
