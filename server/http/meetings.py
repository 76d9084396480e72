"""The committee at work over HTTP: the decision rule, meetings (attendance, closing, minutes),
proposals, votes and decisions.

Each handler reads its body, runs one application command in the store's threads (the domain
decides who may do what, from the acting member) and answers from the same read. Proposing
pins the text as it stands now: this instance's live room is stored first, then the text at
the end of the log is rebuilt from the store and hashed (``DocumentTexts.latest``). A
decision seals the audit chain's stored head. What changes is pushed live by the channel
(``channel/relay.py``) from the stored events, with ballot secrecy applied there too.
"""

from __future__ import annotations

from palabre.domain.application import MemberInfo, PalabreApplication
from palabre.domain.committee import Choice, Rule, canonical_sha256
from palabre.domain.errors import ErrorCode, Forbidden
from palabre.domain.ids import DocumentId
from palabre.domain.roles import Role
from palabre.domain.shapes import Json
from palabre.projections.audit_chain import AuditChain
from palabre.server.answers.committee import CommitteeView, meeting_summary
from palabre.server.export.minutes import render_minutes
from palabre.server.http.idempotency import Idempotent
from palabre.server.http.plumbing import (
    Authenticated,
    Handler,
    JSONResponse,
    MemberHandler,
    ids_field,
    markdown_response,
    optional_text_field,
    read_json,
    readable_document,
    text_field,
)
from palabre.server.http.schema import MARKDOWN, STRING, Op, content, paths_of
from palabre.server.storage.store import Store
from palabre.server.texts import DocumentTexts
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

DOCUMENT = "/api/documents/{document_id}"
MEETING = DOCUMENT + "/meetings/{meeting_id}"
PROPOSAL = DOCUMENT + "/proposals/{proposal_id}"


class MeetingsApi:
    def __init__(
        self, store: Store, texts: DocumentTexts, audit: AuditChain, idempotent: Idempotent
    ) -> None:
        self._store = store
        self._texts = texts
        self._audit = audit
        self._idempotent = idempotent

    @property
    def _app(self) -> PalabreApplication:
        return self._store.application

    def routes(self, endpoint: Authenticated) -> list[Route]:
        """Every POST may carry an ``Idempotency-Key`` (``idempotency.py``)."""

        def post(handler: MemberHandler) -> Handler:
            return endpoint(self._idempotent(handler))

        return [
            Route(DOCUMENT + "/rule", endpoint(self.get_rule), methods=["GET"]),
            Route(DOCUMENT + "/rule", endpoint(self.set_rule), methods=["PUT"]),
            Route(DOCUMENT + "/meetings", endpoint(self.list_meetings), methods=["GET"]),
            Route(DOCUMENT + "/meetings", post(self.open_meeting), methods=["POST"]),
            Route(MEETING, endpoint(self.get_meeting), methods=["GET"]),
            Route(MEETING + "/attendance", endpoint(self.record_attendance), methods=["PUT"]),
            Route(MEETING + "/close", post(self.close_meeting), methods=["POST"]),
            Route(MEETING + "/minutes", endpoint(self.get_minutes), methods=["GET"]),
            Route(DOCUMENT + "/proposals", endpoint(self.list_proposals), methods=["GET"]),
            Route(DOCUMENT + "/proposals", post(self.propose), methods=["POST"]),
            Route(PROPOSAL, endpoint(self.get_proposal), methods=["GET"]),
            Route(PROPOSAL + "/votes", post(self.vote), methods=["POST"]),
            Route(PROPOSAL + "/close", post(self.close_proposal), methods=["POST"]),
        ]

    # Rule ------------------------------------------------------------------------------------

    async def get_rule(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        rule = await self._store.call(lambda: self._app.committee(document_id).rule)
        return JSONResponse(rule.as_dict())

    async def set_rule(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        rule = Rule.parse(await read_json(request))
        answer = await self._store.call(self._app.set_rule, document_id, rule)
        return JSONResponse(answer.as_dict())

    # Meetings --------------------------------------------------------------------------------

    async def list_meetings(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)

        def read() -> list[Json]:
            view = CommitteeView(self._app, document_id)
            return [meeting_summary(m) for m in view.document.meetings.values()]

        return JSONResponse({"meetings": await self._store.call(read)})

    async def open_meeting(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        body = await read_json(request)
        title, day = text_field(body, "title"), text_field(body, "date")

        def command() -> Json:
            meeting = self._app.open_meeting(document_id, title, day)
            return CommitteeView(self._app, document_id).meeting(meeting)

        return JSONResponse(await self._store.call(command), 201)

    async def get_meeting(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        meeting_id = str(request.path_params["meeting_id"])
        return JSONResponse(await self._store.call(self._meeting_record, document_id, meeting_id))

    async def record_attendance(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        meeting_id = str(request.path_params["meeting_id"])
        present = ids_field(await read_json(request), "present", "member id")

        def command() -> Json:
            meeting = self._app.record_attendance(document_id, meeting_id, present)
            return CommitteeView(self._app, document_id).meeting(meeting)

        return JSONResponse(await self._store.call(command))

    async def close_meeting(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        meeting_id = str(request.path_params["meeting_id"])

        def command() -> Json:
            meeting = self._app.close_meeting(document_id, meeting_id)
            return CommitteeView(self._app, document_id).meeting(meeting)

        return JSONResponse(await self._store.call(command))

    async def get_minutes(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        meeting_id = str(request.path_params["meeting_id"])

        def read() -> str:
            record = self._meeting_record(document_id, meeting_id)
            return render_minutes(self._app.document(document_id).title, record)

        return markdown_response(await self._store.call(read))

    def _meeting_record(self, document_id: DocumentId, meeting_id: str) -> Json:
        view = CommitteeView(self._app, document_id)
        return view.meeting(view.document.meeting(meeting_id))

    # Proposals, votes, decisions -------------------------------------------------------------

    async def list_proposals(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)

        def read() -> list[Json]:
            view = CommitteeView(self._app, document_id)
            return [view.proposal(p) for p in view.document.proposals.values()]

        return JSONResponse({"proposals": await self._store.call(read)})

    async def propose(self, request: Request, member: MemberInfo) -> Response:
        """Pin the text as it stands now. The role is checked before the flush and rebuild it
        costs (the domain checks it again)."""
        document_id = await readable_document(self._store, request, member)
        if member.role_on(document_id) is not Role.COORDINATOR:
            raise Forbidden(
                "only a coordinator may open a proposal", code=ErrorCode.COORDINATOR_ONLY
            )
        label = text_field(await read_json(request), "label")
        position, text = await self._texts.latest(document_id)
        sha256 = canonical_sha256(text)

        def command() -> Json:
            proposal = self._app.propose(document_id, label, position, sha256)
            return CommitteeView(self._app, document_id).proposal(proposal)

        return JSONResponse(await self._store.call(command), 201)

    async def get_proposal(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        proposal_id = str(request.path_params["proposal_id"])

        def read() -> Json:
            view = CommitteeView(self._app, document_id)
            return view.proposal(view.document.proposal(proposal_id))

        return JSONResponse(await self._store.call(read))

    async def vote(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        proposal_id = str(request.path_params["proposal_id"])
        body = await read_json(request)
        choice, reason = Choice.parse(body.get("vote")), optional_text_field(body, "reason")

        def command() -> Json:
            proposal = self._app.vote(document_id, proposal_id, choice, reason)
            view = CommitteeView(self._app, document_id)
            cast = view.vote(proposal, member.organisation.id)
            return cast | {"voted": len(proposal.votes)}

        return JSONResponse(await self._store.call(command), 201)

    async def close_proposal(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        proposal_id = str(request.path_params["proposal_id"])

        def command() -> Json:
            proposal = self._app.close_proposal(document_id, proposal_id, self._audit.head)
            return CommitteeView(self._app, document_id).proposal(proposal)

        return JSONResponse(await self._store.call(command))


MINUTES = content("Markdown, UTF-8", MARKDOWN, STRING)
OPERATIONS = (
    Op("GET", DOCUMENT + "/rule", "The decision rule", "Rule"),
    Op("PUT", DOCUMENT + "/rule", "Set the decision rule", "Rule", body="Rule"),
    Op("GET", DOCUMENT + "/meetings", "Meetings, oldest first", "Meetings"),
    Op(
        "POST",
        DOCUMENT + "/meetings",
        "Open a meeting",
        "Meeting",
        body="NewMeeting",
        status=201,
        idempotent=True,
    ),
    Op("GET", MEETING, "A meeting's record", "Meeting"),
    Op("PUT", MEETING + "/attendance", "Record who is present", "Meeting", body="Attendance"),
    Op("POST", MEETING + "/close", "Close a meeting", "Meeting", idempotent=True),
    Op("GET", MEETING + "/minutes", "The meeting's minutes, in French", MINUTES),
    Op("GET", DOCUMENT + "/proposals", "Proposals, oldest first", "Proposals"),
    Op(
        "POST",
        DOCUMENT + "/proposals",
        "Propose the text as it stands now",
        "Proposal",
        body="NewProposal",
        status=201,
        idempotent=True,
    ),
    Op("GET", PROPOSAL, "One proposal", "Proposal"),
    Op(
        "POST",
        PROPOSAL + "/votes",
        "Vote for your organisation; the last vote counts",
        "CastVote",
        body="NewVote",
        status=201,
        idempotent=True,
    ),
    Op("POST", PROPOSAL + "/close", "Close a proposal: its decision", "Proposal", idempotent=True),
)


def openapi_paths() -> Json:
    """This resource's path items, for ``openapi.py`` to merge."""
    return paths_of(OPERATIONS)
