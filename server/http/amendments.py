"""Amendments over HTTP: a coordinator puts open suggestions to the committee in the open
meeting, members with a vote vote on each, a coordinator closes the vote.

Closing decides each amendment under the rule the vote was opened with, then writes the
accepted ones into the text in the set's order, through the
:class:`~palabre.server.suggestions.SuggestionDesk` (credited to their suggesters). Closing a
closed vote again resumes that writing if it was interrupted. The proposal that follows
(``POST .../proposals``) pins the resulting text. The live channel sends
``amendments.opened``, ``amendments.vote`` and ``amendments.closed`` from the stored events.
"""

from __future__ import annotations

from uuid import UUID

from palabre.domain.application import MemberInfo, PalabreApplication
from palabre.domain.committee import Choice
from palabre.domain.ids import parse_id
from palabre.domain.shapes import Json
from palabre.server.answers.suggestions import amendments_json
from palabre.server.http.comments import AUTHOR
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
from palabre.server.http.schema import (
    ID,
    INTEGER,
    READS,
    STRING,
    TIME,
    array,
    changes,
    enum,
    json_answer,
    nullable,
    obj,
    operation,
    path_item,
    ref,
)
from palabre.server.storage.store import Store
from palabre.server.suggestions import SuggestionDesk
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

AMENDMENTS = "/api/documents/{document_id}/amendments"
VOTE = AMENDMENTS + "/{amendments_id}"


class AmendmentsApi:
    def __init__(self, store: Store, desk: SuggestionDesk) -> None:
        self._store = store
        self._desk = desk

    @property
    def _app(self) -> PalabreApplication:
        return self._store.application

    def routes(self, endpoint: Authenticated) -> list[Route]:
        return [
            Route(AMENDMENTS, endpoint(self.list_votes), methods=["GET"]),
            Route(AMENDMENTS, endpoint(self.open_vote), methods=["POST"]),
            Route(VOTE, endpoint(self.get_vote), methods=["GET"]),
            Route(VOTE + "/votes", endpoint(self.vote), methods=["POST"]),
            Route(VOTE + "/close", endpoint(self.close_vote), methods=["POST"]),
        ]

    async def list_votes(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)

        def read() -> list[Json]:
            return [amendments_json(self._app, v) for v in self._app.amendments_votes(document_id)]

        return JSONResponse({"amendments": await self._store.call(read)})

    async def open_vote(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        suggestion_ids = ids_field(await read_json(request), "suggestion_ids", "suggestion id")

        def command() -> Json:
            return amendments_json(
                self._app, self._app.open_amendments(document_id, suggestion_ids)
            )

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


# OpenAPI -----------------------------------------------------------------------------------


def openapi_paths() -> Json:
    """Path items for ``openapi.py`` to merge; schemas are inline."""
    listing = operation(
        "The document's votes on amendments, oldest first",
        json_answer(obj({"amendments": array(VOTE_ANSWER)})),
        failures=READS,
    )
    open_vote = operation(
        "Put open suggestions to the committee in the open meeting, in this order "
        "(coordinators); 409 without an open meeting or for a decided suggestion",
        json_answer(VOTE_ANSWER),
        status=201,
        body=obj({"suggestion_ids": {**array(ID), "minItems": 1, "maxItems": 50}}),
        failures=changes(),
    )
    cast = operation(
        "Vote on one amendment for your organisation; the last vote counts",
        json_answer(VOTE_ANSWER),
        status=201,
        body=NEW_VOTE,
        failures=changes(),
    )
    close = operation(
        "Decide every amendment under the vote's rule and write the accepted ones into the "
        "text, in order (coordinators); again on a closed vote: write what is left",
        json_answer(VOTE_ANSWER),
        failures=changes(body=False),
    )
    one = operation("One vote on amendments", json_answer(VOTE_ANSWER), failures=READS)
    return (
        path_item(AMENDMENTS, get=listing, post=open_vote)
        | path_item(VOTE, get=one)
        | path_item(VOTE + "/votes", post=cast)
        | path_item(VOTE + "/close", post=close)
    )


CAST = obj(
    {
        "suggestion_id": ID,
        "organisation_id": ID,
        "organisation": STRING,
        "country": STRING,
        "member_id": ID,
        "member": STRING,
        "vote": enum("approve", "abstain", "object"),
        "reason": STRING,
    },
    ("vote", "reason"),  # hidden under a secret ballot until the vote closes
)
AMENDMENT = obj(
    {
        "suggestion_id": ID,
        "author": AUTHOR,
        "quote": STRING,
        "replacement": STRING,
        "status": enum("open", "accepted", "rejected", "withdrawn"),
        "votes": array(CAST),
        "casts": INTEGER,
        "decision": nullable(enum("accepted", "rejected")),
        "tally": nullable(ref("Tally")),
    }
)
VOTE_ANSWER = obj(
    {
        "id": ID,
        "document_id": ID,
        "meeting_id": ID,
        "status": enum("open", "closed"),
        "rule": ref("Rule"),
        "opened_by": nullable(ID),
        "opened_at": TIME,
        "closed_by": nullable(ID),
        "closed_at": nullable(TIME),
        "amendments": array(AMENDMENT),
    }
)
NEW_VOTE = obj(
    {
        "suggestion_id": ID,
        "vote": enum("approve", "abstain", "object"),
        "reason": {"type": "string", "maxLength": 2_000},
    },
    ("reason",),
)
