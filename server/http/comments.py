"""Comments over HTTP: threads anchored to passages, their replies, resolving and reopening.

Each handler runs one application command in the store's threads (the domain checks roles
from the acting member), then answers with the thread and where its passage stands in the
live text (``answers/comments.py``). An anchor whose passage was deleted stays, marked
``detached``. Every change is pushed on the document's live channel by ``channel/relay.py``
from the stored events, as ``comment.created``, ``comment.replied``, ``comment.edited``,
``comment.resolved`` or ``comment.reopened``, with the thread as data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from uuid import UUID

from palabre.domain.application import MemberInfo, PalabreApplication
from palabre.domain.comment import Anchor, Reply, Thread
from palabre.domain.errors import InvalidInput
from palabre.domain.ids import DocumentId, parse_id
from palabre.domain.shapes import Json
from palabre.server.answers.comments import thread_answers
from palabre.server.http.idempotency import Idempotent, requested_id
from palabre.server.http.plumbing import (
    Authenticated,
    Handler,
    JSONResponse,
    MemberHandler,
    read_json,
    readable_document,
)
from palabre.server.http.schema import (
    ID,
    IDEMPOTENCY_KEY,
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
from palabre.server.texts import DocumentTexts
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

COMMENTS = "/api/documents/{document_id}/comments"
COMMENT = COMMENTS + "/{comment_id}"


class CommentsApi:
    def __init__(self, store: Store, texts: DocumentTexts, idempotent: Idempotent) -> None:
        self._store = store
        self._texts = texts
        self._idempotent = idempotent

    @property
    def _app(self) -> PalabreApplication:
        return self._store.application

    def routes(self, endpoint: Authenticated) -> list[Route]:
        """Every POST may carry an ``Idempotency-Key`` (``idempotency.py``); a comment or reply
        created under one has an id derived from it, so it is never created twice."""

        def post(handler: MemberHandler) -> Handler:
            return endpoint(self._idempotent(handler))

        return [
            Route(COMMENTS, endpoint(self.list_comments), methods=["GET"]),
            Route(COMMENTS, post(self.create_comment), methods=["POST"]),
            Route(COMMENT, endpoint(self.get_comment), methods=["GET"]),
            Route(COMMENT, endpoint(self.edit_comment), methods=["PATCH"]),
            Route(COMMENT + "/replies", post(self.reply), methods=["POST"]),
            Route(COMMENT + "/resolve", post(self.resolve), methods=["POST"]),
            Route(COMMENT + "/reopen", post(self.reopen), methods=["POST"]),
        ]

    async def list_comments(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        status = request.query_params.get("status") or None
        section = request.query_params.get("section")
        threads = await self._store.call(self._app.comments, document_id, status, section)
        return JSONResponse({"comments": await self._answers(document_id, threads)})

    async def get_comment(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        comment_id = _comment_id(request)
        thread = await self._store.call(self._app.comment_thread, document_id, comment_id)
        return JSONResponse((await self._answers(document_id, [thread]))[0])

    async def create_comment(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        body = await read_json(request)
        anchor = Anchor.parse(body.get("quote"), body.get("section"), body.get("anchor"))
        words = _body(body)
        comment_id = requested_id(request, member, "comment")
        answer = await self._change(
            document_id, lambda: self._app.comment(document_id, words, anchor, comment_id)
        )
        return JSONResponse(answer, 201)

    async def reply(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        comment_id, words = _comment_id(request), _body(await read_json(request))
        made_as = requested_id(request, member, "reply")
        reply_id = None if made_as is None else str(made_as)

        def command() -> tuple[Reply, Thread]:
            reply = self._app.reply_to_comment(document_id, comment_id, words, reply_id)
            return reply, self._app.comment_thread(document_id, comment_id)

        reply, thread = await self._store.call(command)
        answer = (await self._answers(document_id, [thread]))[0]
        answer["reply"] = next(r for r in answer["replies"] if r["id"] == reply.id)
        return JSONResponse(answer, 201)

    async def edit_comment(self, request: Request, member: MemberInfo) -> Response:
        """Edit the comment's own words, or with ``reply_id`` one of its replies."""
        document_id = await readable_document(self._store, request, member)
        comment_id, body = _comment_id(request), await read_json(request)
        words, reply_id = _body(body), _reply_id(body)
        answer = await self._change(
            document_id, lambda: self._app.edit_comment(document_id, comment_id, words, reply_id)
        )
        return JSONResponse(answer)

    async def resolve(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        comment_id = _comment_id(request)
        answer = await self._change(
            document_id, lambda: self._app.resolve_comment(document_id, comment_id)
        )
        return JSONResponse(answer)

    async def reopen(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        comment_id = _comment_id(request)
        answer = await self._change(
            document_id, lambda: self._app.reopen_comment(document_id, comment_id)
        )
        return JSONResponse(answer)

    async def _change(self, document_id: DocumentId, command: Callable[[], Thread]) -> Json:
        """Run a command and answer with the thread it returns."""
        thread = await self._store.call(command)
        return (await self._answers(document_id, [thread]))[0]

    async def _answers(self, document_id: DocumentId, threads: list[Thread]) -> list[Json]:
        return await thread_answers(self._store, self._texts, document_id, threads)


def _comment_id(request: Request) -> UUID:
    return parse_id(request.path_params["comment_id"], "comment id")


def _body(body: Mapping[str, Any]) -> str:
    words = body.get("body")
    if not isinstance(words, str):
        raise InvalidInput("field 'body' (a string) is required")
    return words


def _reply_id(body: Mapping[str, Any]) -> str | None:
    reply_id = body.get("reply_id")
    if reply_id is None:
        return None
    return str(parse_id(reply_id if isinstance(reply_id, str) else "", "reply id"))


# OpenAPI -----------------------------------------------------------------------------------


def openapi_paths() -> Json:
    """Path items for ``openapi.py`` to merge; schemas are inline."""
    listing = operation(
        "The document's comment threads, oldest first, with `detached` computed now",
        json_answer(obj({"comments": array(THREAD)})),
        parameters=[STATUS_QUERY, SECTION_QUERY],
        failures=READS,
    )
    create = operation(
        "Comment on a passage (coordinators, editors, commenters)",
        json_answer(THREAD),
        status=201,
        body=NEW_COMMENT,
        parameters=[IDEMPOTENCY_KEY],
        failures=changes(),
    )
    edit = operation(
        "Edit your own comment, or with `reply_id` your own reply",
        json_answer(THREAD),
        body=EDIT,
        failures=changes(),
    )
    reply = operation(
        "Reply in the thread",
        json_answer(REPLIED),
        status=201,
        body=BODY_ONLY,
        parameters=[IDEMPOTENCY_KEY],
        failures=changes(),
    )
    resolve = "Resolve (the author or a coordinator)"
    reopen = "Reopen (the author or a coordinator)"
    no_body = changes(body=False)

    def thread_change(summary: str) -> Json:
        return operation(
            summary, json_answer(THREAD), parameters=[IDEMPOTENCY_KEY], failures=no_body
        )

    return (
        path_item(COMMENTS, get=listing, post=create)
        | path_item(
            COMMENT,
            get=operation("One comment thread", json_answer(THREAD), failures=READS),
            patch=edit,
        )
        | path_item(COMMENT + "/replies", post=reply)
        | path_item(COMMENT + "/resolve", post=thread_change(resolve))
        | path_item(COMMENT + "/reopen", post=thread_change(reopen))
    )


BASE64: Json = {"type": "string", "contentEncoding": "base64", "maxLength": 176}
STATUS_QUERY = query("status", enum("open", "resolved"))
SECTION_QUERY = query(
    "section", STRING, description="only the threads anchored under this heading (exact text)"
)
AUTHOR = obj({"id": ID, "name": STRING, "organisation": STRING, "country": STRING})
POSITIONS = obj({"start": BASE64, "end": BASE64})
REPLY = obj(
    {"id": ID, "author": AUTHOR, "body": STRING, "created_at": TIME, "edited_at": nullable(TIME)}
)
THREAD = obj(
    {
        "id": ID,
        "document_id": ID,
        "author": AUTHOR,
        "body": STRING,
        "quote": STRING,
        "section": STRING,
        "anchor": nullable(POSITIONS),
        "range": nullable(obj({"start": {"type": "integer"}, "end": {"type": "integer"}})),
        "detached": {"type": "boolean"},
        "status": enum("open", "resolved"),
        "resolved_by": nullable(ID),
        "created_at": TIME,
        "edited_at": nullable(TIME),
        "replies": array(REPLY),
    }
)
REPLIED = {"allOf": [THREAD, obj({"reply": REPLY})]}
BODY_ONLY = obj({"body": {"type": "string", "maxLength": 10_000}})
EDIT = obj({"body": {"type": "string", "maxLength": 10_000}, "reply_id": ID}, ("reply_id",))
NEW_COMMENT = obj(
    {
        "body": {"type": "string", "maxLength": 10_000},
        "quote": {"type": "string", "maxLength": 2_000},
        "section": {"type": "string", "maxLength": 300},
        "anchor": POSITIONS,
    },
    ("section", "anchor"),
)
