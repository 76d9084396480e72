"""The committee's HTTP interface: organisations, members, voting rights, the rule, meetings,
proposals, votes and decisions, and meeting minutes.

Each handler reads its body, runs one application command in the store's threads, publishes
what happened on the live channel (``server/events.py``) and answers JSON built from the same
read. Who may do what is decided by the domain's committee commands (from the acting member);
the only checks made here are those the domain does not make (managing members, registering
organisations) and an early refusal before proposing, which costs a flush and a rebuild.

Ballot secrecy is applied here, at the edge, in one place (``_View.proposal``, and the
``vote.cast`` event): under a secret ballot an open proposal shows who voted, never how.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from uuid import UUID

from palabre.domain.application import MemberInfo, OrganisationInfo, PalabreApplication
from palabre.domain.committee import Ballot, Choice, Rule, canonical_sha256
from palabre.domain.document import Document, Meeting, Proposal
from palabre.domain.errors import ErrorCode, Forbidden, InvalidInput, NotFound
from palabre.domain.ids import DocumentId, organisation_id_for, parse_id
from palabre.domain.roles import Country, Role
from palabre.server import crdt
from palabre.server.close_codes import CloseCode
from palabre.server.errors import StoreUnavailable
from palabre.server.events import EventHub
from palabre.server.http import (
    JSONResponse,
    read_json,
    readable_document,
    require_global_coordinator,
)
from palabre.server.minutes import render_minutes
from palabre.server.rooms import Rooms
from palabre.server.store import Store
from starlette.requests import Request
from starlette.responses import Response

T = TypeVar("T")
Json = dict[str, Any]

# How long a proposal waits for the live room to store what it received before pinning.
FLUSH_TIMEOUT_SECONDS = 10.0


class TextNotStored(StoreUnavailable):
    """The live room could not store what it received in time: a proposal would pin a text
    that differs from what people see."""

    code = ErrorCode.TEXT_NOT_STORED


async def stored_position(store: Store, rooms: Rooms, document_id: DocumentId) -> int:
    """The latest stored position, after this process's live room has stored what it
    received (edits held by another instance are not seen); TextNotStored if that takes
    longer than ``FLUSH_TIMEOUT_SECONDS``."""
    try:
        await asyncio.wait_for(rooms.flush(document_id), FLUSH_TIMEOUT_SECONDS)
    except TimeoutError:
        raise TextNotStored(
            "the live text could not be stored in time (is the store slow?); try again"
        ) from None
    return await store.call(store.application.contribution_count, document_id)


class CommitteeApi:
    def __init__(self, store: Store, rooms: Rooms, hub: EventHub) -> None:
        self._store = store
        self._rooms = rooms
        self._hub = hub

    @property
    def _app(self) -> PalabreApplication:
        return self._store.application

    # Organisations ---------------------------------------------------------------------------

    async def list_organisations(self, request: Request, member: MemberInfo) -> Response:
        organisations = await self._store.call(self._app.organisations)
        return JSONResponse({"organisations": [organisation_json(o) for o in organisations]})

    async def create_organisation(self, request: Request, member: MemberInfo) -> Response:
        require_global_coordinator(member, "register organisations")
        body = await read_json(request)
        name, country = _text(body, "name"), Country.parse(_text(body, "country"))

        def register() -> tuple[OrganisationInfo, bool]:
            existed = self._exists(lambda: self._app.organisation(organisation_id_for(name)))
            return self._app.register_organisation(name, country), not existed

        organisation, created = await self._command(register)
        return JSONResponse(organisation_json(organisation), 201 if created else 200)

    async def document_organisations(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        listed = await self._store.call(lambda: _View(self._app, document_id).organisations())
        return JSONResponse({"organisations": listed})

    async def set_organisation_voting(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        organisation_id = parse_id(request.path_params["organisation_id"], "organisation id")
        votes = _flag(await read_json(request), "votes")

        def command() -> Json:
            self._app.set_organisation_voting(document_id, organisation_id, votes)
            return _View(self._app, document_id).document_organisation(organisation_id)

        answer = await self._command(command)
        self._hub.publish(document_id, "organisation.voting", answer)
        return JSONResponse(answer)

    # Members ---------------------------------------------------------------------------------

    async def list_members(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        members = await self._store.call(lambda: _View(self._app, document_id).members())
        return JSONResponse({"members": members})

    async def add_member(self, request: Request, member: MemberInfo) -> Response:
        document_id = await self._coordinated(request, member)
        body = await read_json(request)
        name, role = _text(body, "name"), Role.parse(_text(body, "role"))
        organisation_id = parse_id(_text(body, "organisation_id"), "organisation id")
        votes, delegate = _flag(body, "votes", False), _flag(body, "delegate", False)

        def command() -> tuple[Json, str]:
            issued = self._app.add_member_to(
                document_id, name, organisation_id, role, votes, delegate
            )
            return _View(self._app, document_id).member(issued.member), issued.token

        answer, token = await self._command(command)
        self._hub.publish(document_id, "member.added", answer)
        return JSONResponse({**answer, "token": token}, 201)

    async def change_member(self, request: Request, member: MemberInfo) -> Response:
        document_id = await self._coordinated(request, member)
        member_id = parse_id(request.path_params["member_id"], "member id")
        body = await read_json(request)
        new_role = Role.parse(_text(body, "role")) if "role" in body else None
        new_votes = _flag(body, "votes") if "votes" in body else None

        def command() -> tuple[Json, bool]:
            """Fields left out keep their current value."""
            before = self._app.member(member_id)
            role = new_role or before.role_on(document_id)
            if role is None:
                raise NotFound(f"member {member_id} has no role on this document")
            votes = before.votes_on(document_id) if new_votes is None else new_votes
            after = self._app.change_role(document_id, member_id, role, votes)
            changed = after.role_on(document_id) is not before.role_on(document_id)
            return _View(self._app, document_id).member(after), changed

        answer, role_changed = await self._command(command)
        if role_changed:  # connections hold the role they opened with: make them reconnect
            self._rooms.disconnect(
                document_id, member_id, CloseCode.RESET_CONNECTION, "role changed; reconnect"
            )
        self._hub.publish(document_id, "member.changed", answer)
        return JSONResponse(answer)

    async def remove_member(self, request: Request, member: MemberInfo) -> Response:
        document_id = await self._coordinated(request, member)
        member_id = parse_id(request.path_params["member_id"], "member id")
        removed = await self._command(lambda: self._app.remove_member(document_id, member_id))
        remaining = removed.role_on(document_id)  # a role on every document may remain
        if remaining is None:
            reason = "removed from this document"
            self._rooms.disconnect(document_id, member_id, CloseCode.FORBIDDEN, reason)
            self._hub.disconnect(document_id, member_id, reason)
        else:
            reason = "role changed; reconnect"
            self._rooms.disconnect(document_id, member_id, CloseCode.RESET_CONNECTION, reason)
        answer = {
            "id": str(member_id),
            "role": None if remaining is None else remaining.value,
            "active": removed.active,
        }
        self._hub.publish(document_id, "member.removed", answer)
        return JSONResponse(answer)

    # Rule ------------------------------------------------------------------------------------

    async def get_rule(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        rule = await self._store.call(lambda: self._app.committee(document_id).rule)
        return JSONResponse(rule.as_dict())

    async def set_rule(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        rule = Rule.parse(await read_json(request))
        answer = (await self._command(lambda: self._app.set_rule(document_id, rule))).as_dict()
        self._hub.publish(document_id, "rule.set", answer)
        return JSONResponse(answer)

    # Meetings --------------------------------------------------------------------------------

    async def list_meetings(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)

        def read() -> list[Json]:
            view = _View(self._app, document_id)
            return [meeting_summary(m) for m in view.document.meetings.values()]

        return JSONResponse({"meetings": await self._store.call(read)})

    async def open_meeting(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        body = await read_json(request)
        title, day = _text(body, "title"), _text(body, "date")

        def command() -> Json:
            meeting = self._app.open_meeting(document_id, title, day)
            return _View(self._app, document_id).meeting(meeting)

        answer = await self._command(command)
        self._hub.publish(document_id, "meeting.opened", meeting_summary_of(answer))
        return JSONResponse(answer, 201)

    async def get_meeting(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        meeting_id = str(request.path_params["meeting_id"])
        return JSONResponse(await self._store.call(self._meeting_record, document_id, meeting_id))

    async def record_attendance(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        meeting_id = str(request.path_params["meeting_id"])
        present = _ids(await read_json(request), "present")

        def command() -> Json:
            meeting = self._app.record_attendance(document_id, meeting_id, present)
            return _View(self._app, document_id).meeting(meeting)

        answer = await self._command(command)
        event = {key: answer[key] for key in ("present", "attendance")}
        self._hub.publish(document_id, "attendance.recorded", {"meeting_id": meeting_id, **event})
        return JSONResponse(answer)

    async def close_meeting(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        meeting_id = str(request.path_params["meeting_id"])

        def command() -> Json:
            meeting = self._app.close_meeting(document_id, meeting_id)
            return _View(self._app, document_id).meeting(meeting)

        answer = await self._command(command)
        self._hub.publish(document_id, "meeting.closed", meeting_summary_of(answer))
        return JSONResponse(answer)

    async def get_minutes(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        meeting_id = str(request.path_params["meeting_id"])

        def read() -> str:
            record = self._meeting_record(document_id, meeting_id)
            return render_minutes(self._app.document(document_id).title, record)

        text = await self._store.call(read)
        return Response(text.encode("utf-8"), media_type="text/markdown; charset=utf-8")

    def _meeting_record(self, document_id: DocumentId, meeting_id: str) -> Json:
        view = _View(self._app, document_id)
        return view.meeting(view.document.meeting(meeting_id))

    # Proposals, votes, decisions -------------------------------------------------------------

    async def list_proposals(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)

        def read() -> list[Json]:
            view = _View(self._app, document_id)
            return [view.proposal(p) for p in view.document.proposals.values()]

        return JSONResponse({"proposals": await self._store.call(read)})

    async def propose(self, request: Request, member: MemberInfo) -> Response:
        """Pin the text as it stands now: what the live room received is stored first, then
        the text at the end of the log is rebuilt from the store and hashed."""
        document_id = await readable_document(self._store, request, member)
        if member.role_on(document_id) is not Role.COORDINATOR:
            raise Forbidden(
                "only a coordinator may open a proposal", code=ErrorCode.COORDINATOR_ONLY
            )
        label = _text(await read_json(request), "label")
        position, text = await self._pin(document_id)
        sha256 = canonical_sha256(text)

        def command() -> Json:
            proposal = self._app.propose(document_id, label, position, sha256)
            return _View(self._app, document_id).proposal(proposal)

        answer = await self._command(command)
        self._hub.publish(document_id, "proposal.opened", answer)
        return JSONResponse(answer, 201)

    async def get_proposal(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        proposal_id = str(request.path_params["proposal_id"])

        def read() -> Json:
            view = _View(self._app, document_id)
            return view.proposal(view.document.proposal(proposal_id))

        return JSONResponse(await self._store.call(read))

    async def vote(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        proposal_id = str(request.path_params["proposal_id"])
        body = await read_json(request)
        choice, reason = Choice.parse(body.get("vote")), _optional_text(body, "reason")

        def command() -> tuple[Json, Json]:
            proposal = self._app.vote(document_id, proposal_id, choice, reason)
            view = _View(self._app, document_id)
            return view.vote(proposal, member.organisation.id), view.proposal(proposal)

        cast, proposal = await self._command(command)
        public = cast if proposal["ballot"] == Ballot.OPEN.value else _secret(cast)
        self._hub.publish(document_id, "vote.cast", public | {"voted": len(proposal["votes"])})
        return JSONResponse(cast | {"voted": len(proposal["votes"])}, 201)

    async def close_proposal(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        proposal_id = str(request.path_params["proposal_id"])

        def command() -> Json:
            proposal = self._app.close_proposal(document_id, proposal_id)
            return _View(self._app, document_id).proposal(proposal)

        answer = await self._command(command)
        self._hub.publish(document_id, "proposal.closed", answer)
        return JSONResponse(answer)

    async def _pin(self, document_id: DocumentId) -> tuple[int, str]:
        """The stored position and the text rebuilt there, after a flush of the live room."""
        position = await stored_position(self._store, self._rooms, document_id)
        stored = await self._store.load(document_id, upto=position)
        text = await self._store.call(lambda: crdt.rebuild(stored.updates()).text)
        return position, text

    # Helpers ---------------------------------------------------------------------------------

    async def _coordinated(self, request: Request, member: MemberInfo) -> DocumentId:
        """The document, for a coordinator of it. The domain does not check who manages
        members (the CLI adds them as the operator), so the edge does."""
        document_id = await readable_document(self._store, request, member)
        if member.role_on(document_id) is not Role.COORDINATOR:
            raise Forbidden(
                "only a coordinator of this document may manage its members",
                code=ErrorCode.COORDINATOR_ONLY,
            )
        return document_id

    async def _command(self, command: Callable[[], T]) -> T:
        """Run a command in the store's threads (the domain re-runs it itself when another
        writer saved the same aggregate first)."""
        return await self._store.call(command)

    @staticmethod
    def _exists(read: Callable[[], object]) -> bool:
        try:
            read()
        except NotFound:
            return False
        return True


# Answers: one read of the document, organisations and members read once each --------------


@dataclass
class _View:
    """Builds answers in a store thread from one read of the document aggregate."""

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
            "votes": [_secret(v) for v in votes] if hidden else votes,
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


def _secret(vote: Mapping[str, Any]) -> Json:
    return {key: value for key, value in vote.items() if key not in ("vote", "reason")}


# Body fields -------------------------------------------------------------------------------


def _text(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str):
        raise InvalidInput(f"field {name!r} (a string) is required")
    return value


def _optional_text(body: Mapping[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise InvalidInput(f"field {name!r} must be a string")
    return value


def _flag(body: Mapping[str, Any], name: str, default: bool | None = None) -> bool:
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise InvalidInput(f"field {name!r} (true or false) is required")
    return value


def _ids(body: Mapping[str, Any], name: str) -> list[UUID]:
    value = body.get(name)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(f"field {name!r} (a list of member ids) is required")
    return [parse_id(v, "member id") for v in value]
