"""Suggestions over HTTP: proposed replacements of passages, their replies, and their fate.

Changes that depend on the text (making, revising, accepting, rejecting, withdrawing) go
through the :class:`~palabre.server.suggestions.SuggestionDesk`, which checks the passage
against the live text and writes an accepted replacement into it; replies are plain commands.
Every answer is the suggestion with where its passage stands now (``answers/suggestions.py``).
Every change is pushed on the document's live channel by ``channel/relay.py`` from the stored
events, as ``suggestion.made``, ``suggestion.revised``, ``suggestion.replied``,
``suggestion.accepted``, ``suggestion.rejected`` or ``suggestion.withdrawn``.

Every POST may carry an ``Idempotency-Key`` (``idempotency.py``): a suggestion or a reply made
under one takes an id derived from it, so a retry never makes a second one, even when the
first answer was never kept. The OpenAPI description is in ``suggestion_schema.py``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping, Sequence
from typing import Any
from uuid import UUID

from palabre.domain.application import MemberInfo, PalabreApplication
from palabre.domain.comment import Reply
from palabre.domain.ids import DocumentId, parse_id
from palabre.domain.shapes import Json
from palabre.domain.suggestion import Passage, SuggestionRecord
from palabre.server.answers.suggestions import located_answer, suggestion_answers
from palabre.server.http.idempotency import Idempotent, requested_id
from palabre.server.http.plumbing import (
    Authenticated,
    JSONResponse,
    MemberHandler,
    optional_text_field,
    read_json,
    readable_document,
    text_field,
)
from palabre.server.http.suggestion_schema import SUGGESTION, SUGGESTIONS
from palabre.server.storage.store import Store
from palabre.server.suggestions import SuggestionDesk
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

Table = Sequence[tuple[str, str, MemberHandler]]  # method, path, handler


class DeskApi:
    """What the suggestions and the votes on amendments share: the store, the desk, and
    POSTs that may be retried under an idempotency key."""

    def __init__(self, store: Store, desk: SuggestionDesk, idempotent: Idempotent) -> None:
        self._store = store
        self._desk = desk
        self._idempotent = idempotent

    @property
    def _app(self) -> PalabreApplication:
        return self._store.application

    def _routes(self, endpoint: Authenticated, table: Table) -> list[Route]:
        def bound(method: str, handler: MemberHandler) -> MemberHandler:
            return self._idempotent(handler) if method == "POST" else handler

        return [Route(path, endpoint(bound(m, h)), methods=[m]) for m, path, h in table]


class SuggestionsApi(DeskApi):
    def routes(self, endpoint: Authenticated) -> list[Route]:
        return self._routes(
            endpoint,
            [
                ("GET", SUGGESTIONS, self.list_suggestions),
                ("POST", SUGGESTIONS, self.make),
                ("GET", SUGGESTION, self.get_suggestion),
                ("PATCH", SUGGESTION, self.revise),
                ("POST", SUGGESTION + "/replies", self.reply),
                ("POST", SUGGESTION + "/accept", self.accept),
                ("POST", SUGGESTION + "/reject", self.reject),
                ("POST", SUGGESTION + "/withdraw", self.withdraw),
            ],
        )

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
        made_as = requested_id(request, member, "suggestion")
        record, where = await self._desk.make(document_id, passage, reason, made_as)
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
        made_as = requested_id(request, member, "suggestion-reply")
        reply_id = None if made_as is None else str(made_as)

        def command() -> tuple[Reply, SuggestionRecord]:
            reply = self._app.reply_to_suggestion(document_id, suggestion_id, words, reply_id)
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
