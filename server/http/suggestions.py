"""Suggestions over HTTP: proposed replacements of passages, their replies, and their fate.

Changes that depend on the text (making, revising, accepting, rejecting, withdrawing) go
through the :class:`~palabre.server.suggestions.SuggestionDesk`, which checks the passage
against the live text and writes an accepted replacement into it; replies are plain commands.
Every answer is the suggestion with where its passage stands now (``answers/suggestions.py``).
Every change is pushed on the document's live channel by ``channel/relay.py`` from the stored
events, as ``suggestion.made``, ``suggestion.revised``, ``suggestion.replied``,
``suggestion.accepted``, ``suggestion.rejected`` or ``suggestion.withdrawn``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from typing import Any
from uuid import UUID

from palabre.domain.application import MemberInfo, PalabreApplication
from palabre.domain.comment import Reply
from palabre.domain.ids import DocumentId, parse_id
from palabre.domain.shapes import Json
from palabre.domain.suggestion import Passage, SuggestionRecord
from palabre.server.answers.suggestions import located_answer, suggestion_answers
from palabre.server.http.comments import AUTHOR, BODY_ONLY, POSITIONS, REPLY
from palabre.server.http.plumbing import (
    Authenticated,
    JSONResponse,
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
    query,
)
from palabre.server.storage.store import Store
from palabre.server.suggestions import SuggestionDesk
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

SUGGESTIONS = "/api/documents/{document_id}/suggestions"
SUGGESTION = SUGGESTIONS + "/{suggestion_id}"


class SuggestionsApi:
    def __init__(self, store: Store, desk: SuggestionDesk) -> None:
        self._store = store
        self._desk = desk

    @property
    def _app(self) -> PalabreApplication:
        return self._store.application

    def routes(self, endpoint: Authenticated) -> list[Route]:
        return [
            Route(SUGGESTIONS, endpoint(self.list_suggestions), methods=["GET"]),
            Route(SUGGESTIONS, endpoint(self.make), methods=["POST"]),
            Route(SUGGESTION, endpoint(self.get_suggestion), methods=["GET"]),
            Route(SUGGESTION, endpoint(self.revise), methods=["PATCH"]),
            Route(SUGGESTION + "/replies", endpoint(self.reply), methods=["POST"]),
            Route(SUGGESTION + "/accept", endpoint(self.accept), methods=["POST"]),
            Route(SUGGESTION + "/reject", endpoint(self.reject), methods=["POST"]),
            Route(SUGGESTION + "/withdraw", endpoint(self.withdraw), methods=["POST"]),
        ]

    async def list_suggestions(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        status = request.query_params.get("status") or None
        records = await self._store.call(self._app.suggestions, document_id, status)
        return JSONResponse({"suggestions": await self._answers(document_id, records)})

    async def get_suggestion(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        suggestion_id = _suggestion_id(request)
        record = await self._store.call(self._app.suggestion, document_id, suggestion_id)
        return JSONResponse(await self._answer(document_id, record))

    async def make(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        body = await read_json(request)
        passage, reason = _passage(body), optional_text_field(body, "reason") or ""
        record, where = await self._desk.make(document_id, passage, reason)
        return JSONResponse(await located_answer(self._store, record, where), 201)

    async def revise(self, request: Request, member: MemberInfo) -> Response:
        """The author's new passage, replacement or reason (suggesting mode extends it); a
        reason left out stays as it was."""
        document_id = await readable_document(self._store, request, member)
        suggestion_id, body = _suggestion_id(request), await read_json(request)
        passage, reason = _passage(body), optional_text_field(body, "reason")
        record, where = await self._desk.revise(document_id, suggestion_id, passage, reason)
        return JSONResponse(await located_answer(self._store, record, where))

    async def reply(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        suggestion_id = _suggestion_id(request)
        words = text_field(await read_json(request), "body")

        def command() -> tuple[Reply, SuggestionRecord]:
            reply = self._app.reply_to_suggestion(document_id, suggestion_id, words)
            return reply, self._app.suggestion(document_id, suggestion_id)

        reply, record = await self._store.call(command)
        answer = await self._answer(document_id, record)
        answer["reply"] = next(r for r in answer["replies"] if r["id"] == reply.id)
        return JSONResponse(answer, 201)

    async def accept(self, request: Request, member: MemberInfo) -> Response:
        """Write the replacement into the text, credited to the suggester; 409 when the
        passage no longer reads as quoted, or the suggestion was decided already."""
        document_id = await readable_document(self._store, request, member)
        suggestion_id = _suggestion_id(request)
        return await self._change(document_id, self._desk.accept(document_id, suggestion_id))

    async def reject(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        suggestion_id = _suggestion_id(request)
        reason = optional_text_field(await read_json(request), "reason") or ""
        rejected = self._desk.reject(document_id, suggestion_id, reason)
        return await self._change(document_id, rejected)

    async def withdraw(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        suggestion_id = _suggestion_id(request)
        return await self._change(document_id, self._desk.withdraw(document_id, suggestion_id))

    async def _change(
        self, document_id: DocumentId, command: Awaitable[SuggestionRecord]
    ) -> Response:
        return JSONResponse(await self._answer(document_id, await command))

    async def _answer(self, document_id: DocumentId, record: SuggestionRecord) -> Json:
        return (await self._answers(document_id, [record]))[0]

    async def _answers(
        self, document_id: DocumentId, records: list[SuggestionRecord]
    ) -> list[Json]:
        return await suggestion_answers(self._store, self._desk, document_id, records)


def _suggestion_id(request: Request) -> UUID:
    return parse_id(request.path_params["suggestion_id"], "suggestion id")


def _passage(body: Mapping[str, Any]) -> Passage:
    return Passage.parse(
        body.get("quote"), body.get("replacement"), body.get("section"), body.get("anchor")
    )


# OpenAPI -----------------------------------------------------------------------------------


def openapi_paths() -> Json:
    """Path items for ``openapi.py`` to merge; schemas are inline."""
    listing = operation(
        "The document's suggestions, oldest first, with `range` and `conflict` computed now",
        json_answer(obj({"suggestions": array(SUGGESTION_ANSWER)})),
        parameters=[STATUS_QUERY],
        failures=READS,
    )
    make = operation(
        "Suggest a replacement of a passage (coordinators, editors, commenters); 409 when "
        "the passage does not read as quoted now",
        json_answer(SUGGESTION_ANSWER),
        status=201,
        body=NEW_SUGGESTION,
        failures=changes(),
    )
    revise = operation(
        "Change your own open suggestion: passage, replacement, reason",
        json_answer(SUGGESTION_ANSWER),
        body=NEW_SUGGESTION,
        failures=changes(),
    )
    reply = operation(
        "Reply to a suggestion",
        json_answer(REPLIED),
        status=201,
        body=BODY_ONLY,
        failures=changes(),
    )
    accept = operation(
        "Accept: the replacement is written into the text, credited to the suggester (the "
        "passage's authors who edit, or a coordinator); 409 once decided, or when the passage "
        "changed meanwhile",
        json_answer(SUGGESTION_ANSWER),
        failures=changes(body=False),
    )
    reject = operation(
        "Reject, with a reason (the passage's authors who edit, or a coordinator)",
        json_answer(SUGGESTION_ANSWER),
        body=REASON,
        failures=changes(),
    )
    withdraw = operation(
        "Withdraw your own open suggestion",
        json_answer(SUGGESTION_ANSWER),
        failures=changes(body=False),
    )
    one = operation("One suggestion", json_answer(SUGGESTION_ANSWER), failures=READS)
    return (
        path_item(SUGGESTIONS, get=listing, post=make)
        | path_item(SUGGESTION, get=one, patch=revise)
        | path_item(SUGGESTION + "/replies", post=reply)
        | path_item(SUGGESTION + "/accept", post=accept)
        | path_item(SUGGESTION + "/reject", post=reject)
        | path_item(SUGGESTION + "/withdraw", post=withdraw)
    )


STATUS_QUERY = query("status", enum("open", "accepted", "rejected", "withdrawn"))
PASSAGE_TEXT: Json = {"type": "string", "maxLength": 10_000}
SUGGESTION_ANSWER = obj(
    {
        "id": ID,
        "document_id": ID,
        "status": enum("open", "accepted", "rejected", "withdrawn"),
        "author": AUTHOR,
        "quote": STRING,
        "replacement": STRING,
        "reason": STRING,
        "section": STRING,
        "anchor": nullable(POSITIONS),
        "range": nullable(obj({"start": INTEGER, "end": INTEGER})),
        "conflict": {"type": "boolean"},
        "passage_authors": array(ID),
        "created_at": TIME,
        "revised_at": nullable(TIME),
        "decided_by": nullable(AUTHOR),
        "decided_at": nullable(TIME),
        "decision_reason": STRING,
        "position": nullable(INTEGER),
        "amendments_id": nullable(ID),
        "before_committee": {"type": "boolean"},
        "replies": array(REPLY),
    }
)
REPLIED = {"allOf": [SUGGESTION_ANSWER, obj({"reply": REPLY})]}
NEW_SUGGESTION = obj(
    {
        "quote": PASSAGE_TEXT,
        "replacement": PASSAGE_TEXT,
        "reason": {"type": "string", "maxLength": 2_000},
        "section": {"type": "string", "maxLength": 300},
        "anchor": POSITIONS,
    },
    ("reason", "section", "anchor"),
)
REASON = obj({"reason": {"type": "string", "minLength": 1, "maxLength": 2_000}})
