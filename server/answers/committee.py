"""The committee's answers: members, organisations, meetings with their attendance, proposals
with their votes and tally. Ballot secrecy is applied here, in one place: under a secret
ballot an open proposal shows who voted, never how (the tally waits for the decision)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from palabre.domain.application import MemberInfo, OrganisationInfo, PalabreApplication
from palabre.domain.committee import Ballot
from palabre.domain.document import Document, Meeting, Proposal
from palabre.domain.ids import DocumentId
from palabre.domain.shapes import Json


@dataclass
class CommitteeView:
    """Builds answers in a store thread from one read of the document aggregate (or the
    aggregate as it stood at one event, for the live channel); organisations and members are
    read once each."""

    app: PalabreApplication
    document_id: DocumentId
    _document: Document | None = None
    _organisations: dict[str, OrganisationInfo] = field(default_factory=dict)
    _members: dict[str, MemberInfo] = field(default_factory=dict)

    @property
    def document(self) -> Document:
        if self._document is None:
            self._document = self.app.committee(self.document_id)
        return self._document

    def organisation_info(self, organisation_id: UUID | str) -> OrganisationInfo:
        key = str(organisation_id)
        if key not in self._organisations:
            self._organisations[key] = self.app.organisation(UUID(key))
        return self._organisations[key]

    def member_info(self, member_id: UUID | str) -> MemberInfo:
        key = str(member_id)
        if key not in self._members:
            self._members[key] = self.app.member(UUID(key))
        return self._members[key]

    def members(self) -> list[Json]:
        return [self.member(m) for m in self.app.members(self.document_id)]

    def member(self, info: MemberInfo) -> Json:
        organisation = info.organisation
        role = info.role_on(self.document_id)
        return {
            "id": str(info.id),
            "name": info.name,
            "organisation_id": str(organisation.id),
            "organisation": organisation.name,
            "country": organisation.country.value,
            "role": None if role is None else role.value,
            "votes": info.votes_on(self.document_id),
            "delegate": self.document.delegates.get(str(organisation.id)) == str(info.id),
            "organisation_votes": self.document.voting.get(str(organisation.id), False),
        }

    def organisations(self) -> list[Json]:
        """Organisations concerned by this document: with a voting entry or a member."""
        known = set(self.document.voting)
        known |= {str(m.organisation.id) for m in self.app.members(self.document_id)}
        listed = [self.document_organisation(UUID(o)) for o in known]
        return sorted(listed, key=lambda o: (o["country"], o["name"].casefold()))

    def document_organisation(self, organisation_id: UUID) -> Json:
        info = self.organisation_info(organisation_id)
        return organisation_json(info) | {
            "votes": self.document.voting.get(str(organisation_id), False)
        }

    def meeting(self, meeting: Meeting) -> Json:
        return meeting_summary(meeting) | {
            "attendance": self.attendance(meeting.present),
            "proposals": [self.proposal(self.document.proposals[p]) for p in meeting.proposals],
        }

    def attendance(self, present: list[str]) -> list[Json]:
        """Present members grouped by organisation, France first, then by name."""
        groups: dict[str, list[MemberInfo]] = {}
        for member_id in present:
            info = self.member_info(member_id)
            groups.setdefault(str(info.organisation.id), []).append(info)
        rows = [
            {
                "organisation_id": organisation_id,
                "organisation": members[0].organisation.name,
                "country": members[0].organisation.country.value,
                "members": [
                    {"id": str(m.id), "name": m.name}
                    for m in sorted(members, key=lambda m: m.name.casefold())
                ],
            }
            for organisation_id, members in groups.items()
        ]
        return sorted(rows, key=lambda r: (r["country"], r["organisation"].casefold()))

    def proposal(self, proposal: Proposal) -> Json:
        """The proposal as anyone with a role may see it: under a secret ballot, an open
        proposal shows who voted, not how (the tally waits for the decision)."""
        ballot = proposal.rule.ballot  # fixed when the proposal opened
        hidden = proposal.is_open and ballot is Ballot.SECRET
        votes = [self.vote(proposal, UUID(o)) for o in sorted(proposal.votes)]
        return {
            "id": proposal.id,
            "number": proposal.number,
            "label": proposal.label,
            "position": proposal.position,
            "sha256": proposal.sha256,
            "meeting_id": proposal.meeting_id,
            "opened_by": proposal.opened_by,
            "opened_at": proposal.opened_at,
            "status": "open" if proposal.is_open else "closed",
            "ballot": ballot.value,
            "votes": [secret(v) for v in votes] if hidden else votes,
            "casts": proposal.casts,
            "decision": None if proposal.outcome is None else proposal.outcome.value,
            "version": proposal.version,
            "tally": proposal.tally,
            "closed_by": proposal.closed_by,
        }

    def vote(self, proposal: Proposal, organisation_id: UUID) -> Json:
        cast = proposal.votes[str(organisation_id)]
        organisation = self.organisation_info(organisation_id)
        return {
            "proposal_id": proposal.id,
            "organisation_id": str(organisation_id),
            "organisation": organisation.name,
            "country": organisation.country.value,
            "member_id": cast.member_id,
            "member": self.member_info(cast.member_id).name,
            "vote": cast.choice.value,
            "reason": cast.reason,
        }


def organisation_json(info: OrganisationInfo) -> Json:
    return {"id": str(info.id), "name": info.name, "country": info.country.value}


def meeting_summary(meeting: Meeting) -> Json:
    return {
        "id": meeting.id,
        "title": meeting.title,
        "date": meeting.date,
        "status": "closed" if meeting.closed else "open",
        "opened_by": meeting.opened_by,
        "present": list(meeting.present),
        "proposal_ids": list(meeting.proposals),
    }


def meeting_summary_of(record: Mapping[str, Any]) -> Json:
    keys = ("id", "title", "date", "status", "opened_by", "present", "proposal_ids")
    return {key: record[key] for key in keys}


def secret(vote: Mapping[str, Any]) -> Json:
    """A vote as a secret ballot shows it before the decision: who voted, not how."""
    return {key: value for key, value in vote.items() if key not in ("vote", "reason")}


def removed_json(member: MemberInfo, document_id: UUID) -> Json:
    """A member taken off a document: the role that remains there (a role on every document
    may), and whether they are still active anywhere (false: their tokens are revoked)."""
    remaining = member.role_on(document_id)
    return {
        "id": str(member.id),
        "role": None if remaining is None else remaining.value,
        "active": member.active,
    }
