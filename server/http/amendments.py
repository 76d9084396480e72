"""Amendments over HTTP: a coordinator puts open suggestions to the committee in the open
meeting, members with a vote vote on each, a coordinator closes the vote.

Closing decides each amendment under the rule the vote was opened with, then writes the
accepted ones into the text in the set's order, through the
:class:`~palabre.server.suggestions.SuggestionDesk` (credited to their suggesters). Closing a
closed vote again resumes that writing if it was interrupted. The proposal that follows
(``POST .../proposals``) pins the resulting text. The live channel sends
``amendments.opened``, ``amendments.vote`` and ``amendments.closed`` from the stored events.

Every POST may carry an ``Idempotency-Key`` (``idempotency.py``): a vote opened under one is
named after it, so a retry never opens a second; the same vote cast again records nothing.
The OpenAPI description is in ``suggestion_schema.py``.
"""

from __future__ import annotations

from uuid import UUID

from palabre.domain.application import MemberInfo
from palabre.domain.committee import Choice
from palabre.domain.ids import parse_id
from palabre.domain.shapes import Json
from palabre.server.answers.suggestions import amendments_json
from palabre.server.http.idempotency import requested_id
from palabre.server.http.plumbing import (
    Authenticated,
    JSONResponse,
    coordinated_document,
    ids_field,
    optional_text_field,
    read_json,
    readable_document,
    text_field,
)
from palabre.server.http.suggestion_schema import AMENDMENTS, AMENDMENTS_VOTE
from palabre.server.http.suggestions import DeskApi
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


class AmendmentsApi(DeskApi):
    def routes(self, endpoint: Authenticated) -> list[Route]:
        return self._routes(
            endpoint,
            [
                ("GET", AMENDMENTS, self.list_votes),
                ("POST", AMENDMENTS, self.open_vote),
                ("GET", AMENDMENTS_VOTE, self.get_vote),
                ("POST", AMENDMENTS_VOTE + "/votes", self.vote),
                ("POST", AMENDMENTS_VOTE + "/close", self.close_vote),
            ],
        )

    async def list_votes(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)

        def read() -> list[Json]:
            return [amendments_json(self._app, v) for v in self._app.amendments_votes(document_id)]

        return JSONResponse({"amendments": await self._store.call(read)})

    async def open_vote(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        suggestion_ids = ids_field(await read_json(request), "suggestion_ids", "suggestion id")
        opened_as = requested_id(request, member, "amendments")

        def command() -> Json:
            vote = self._app.open_amendments(document_id, suggestion_ids, opened_as)
            return amendments_json(self._app, vote)

        return JSONResponse(await self._store.call(command), 201)

    async def get_vote(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        amendments_id = _amendments_id(request)

        def read() -> Json:
            return amendments_json(self._app, self._app.amendments_vote(document_id, amendments_id))

        return JSONResponse(await self._store.call(read))

    async def vote(self, request: Request, member: MemberInfo) -> Response:
        """One organisation's vote on one amendment; the last one counts."""
        document_id = await readable_document(self._store, request, member)
        amendments_id = _amendments_id(request)
        body = await read_json(request)
        suggestion_id = parse_id(text_field(body, "suggestion_id"), "suggestion id")
        choice, reason = Choice.parse(body.get("vote")), optional_text_field(body, "reason")

        def command() -> Json:
            vote = self._app.vote_amendment(
                document_id, amendments_id, suggestion_id, choice, reason
            )
            return amendments_json(self._app, vote)

        return JSONResponse(await self._store.call(command), 201)

    async def close_vote(self, request: Request, member: MemberInfo) -> Response:
        """Coordinators only, even when the vote is closed and nothing is left to write."""
        document_id = await coordinated_document(
            self._store, request, member, "close a vote on amendments"
        )
        vote = await self._desk.close_amendments(document_id, _amendments_id(request))
        return JSONResponse(await self._store.call(amendments_json, self._app, vote))


def _amendments_id(request: Request) -> UUID:
    return parse_id(request.path_params["amendments_id"], "amendments id")
