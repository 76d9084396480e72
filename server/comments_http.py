"""Comments over HTTP: threads anchored to passages, their replies, resolving and reopening.

Each handler runs one application command in the store's threads (the domain checks roles
from the acting member), then says where each anchor stands in the current text: the live
room's replica if this process holds the document open, else the text rebuilt from the store.
An anchor whose passage was deleted stays, marked ``detached``. Every change is pushed on the
document's live channel (``server/events.py``) as ``comment.created``, ``comment.replied``,
``comment.edited``, ``comment.resolved`` or ``comment.reopened``, with the thread as data.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar
from uuid import UUID

from palabre.domain.application import MemberInfo, PalabreApplication
from palabre.domain.comment import Anchor, Reply, Thread
from palabre.domain.errors import InvalidInput
from palabre.domain.ids import DocumentId, parse_id
from palabre.server import crdt
from palabre.server.events import EventHub
from palabre.server.http import Api, JSONResponse, read_json, readable_document
from palabre.server.rooms import Rooms
from palabre.server.store import Store
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

T = TypeVar("T")
Json = dict[str, Any]
People = Mapping[str, Json]

COMMENTS = "/api/documents/{document_id}/comments"
COMMENT = COMMENTS + "/{comment_id}"


def comment_routes(api: Api, store: Store, rooms: Rooms, hub: EventHub) -> list[Route]:
    handlers = CommentsApi(store, rooms, hub)
    endpoint = api.endpoint
    return [
        Route(COMMENTS, endpoint(handlers.list_comments), methods=["GET"]),
        Route(COMMENTS, endpoint(handlers.create_comment), methods=["POST"]),
        Route(COMMENT, endpoint(handlers.get_comment), methods=["GET"]),
        Route(COMMENT, endpoint(handlers.edit_comment), methods=["PATCH"]),
        Route(COMMENT + "/replies", endpoint(handlers.reply), methods=["POST"]),
        Route(COMMENT + "/resolve", endpoint(handlers.resolve), methods=["POST"]),
        Route(COMMENT + "/reopen", endpoint(handlers.reopen), methods=["POST"]),
    ]


class CommentsApi:
    def __init__(self, store: Store, rooms: Rooms, hub: EventHub) -> None:
        self._store = store
        self._rooms = rooms
        self._hub = hub

    @property
    def _app(self) -> PalabreApplication:
        return self._store.application

    async def list_comments(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        status = request.query_params.get("status") or None
        section = request.query_params.get("section")
        threads = await self._store.call(self._app.comments, document_id, status, section)
        return JSONResponse({"comments": await self._answer(document_id, threads)})

    async def get_comment(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        comment_id = _comment_id(request)
        thread = await self._store.call(self._app.comment_thread, document_id, comment_id)
        return JSONResponse((await self._answer(document_id, [thread]))[0])

    async def create_comment(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        body = await read_json(request)
        anchor = Anchor.parse(body.get("quote"), body.get("section"), body.get("anchor"))
        words = _body(body)
        answer = await self._change(
            document_id, "comment.created", lambda: self._app.comment(document_id, words, anchor)
        )
        return JSONResponse(answer, 201)

    async def reply(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        comment_id, words = _comment_id(request), _body(await read_json(request))

        def command() -> tuple[Reply, Thread]:
            reply = self._app.reply_to_comment(document_id, comment_id, words)
            return reply, self._app.comment_thread(document_id, comment_id)

        reply, thread = await self._store.call(command)
        answer = (await self._answer(document_id, [thread]))[0]
        answer["reply"] = next(r for r in answer["replies"] if r["id"] == reply.id)
        self._hub.publish(document_id, "comment.replied", answer)
        return JSONResponse(answer, 201)

    async def edit_comment(self, request: Request, member: MemberInfo) -> Response:
        """Edit the comment's own words, or with ``reply_id`` one of its replies."""
        document_id = await readable_document(self._store, request, member)
        comment_id, body = _comment_id(request), await read_json(request)
        words, reply_id = _body(body), _reply_id(body)
        answer = await self._change(
            document_id,
            "comment.edited",
            lambda: self._app.edit_comment(document_id, comment_id, words, reply_id),
        )
        return JSONResponse(answer)

    async def resolve(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        comment_id = _comment_id(request)
        answer = await self._change(
            document_id,
            "comment.resolved",
            lambda: self._app.resolve_comment(document_id, comment_id),
        )
        return JSONResponse(answer)

    async def reopen(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        comment_id = _comment_id(request)
        answer = await self._change(
            document_id,
            "comment.reopened",
            lambda: self._app.reopen_comment(document_id, comment_id),
        )
        return JSONResponse(answer)

    # Helpers ---------------------------------------------------------------------------------

    async def _change(
        self, document_id: DocumentId, kind: str, command: Callable[[], Thread]
    ) -> Json:
        """Run a command, answer with the thread it returns, and push that on the channel."""
        thread = await self._store.call(command)
        answer = (await self._answer(document_id, [thread]))[0]
        self._hub.publish(document_id, kind, answer)
        return answer

    async def _answer(self, document_id: DocumentId, threads: list[Thread]) -> list[Json]:
        people = await self._store.call(self._people, threads)
        ranges = await self._locate(document_id, [t.anchor for t in threads])
        return [thread_json(t, r, people) for t, r in zip(threads, ranges, strict=True)]

    def _people(self, threads: Iterable[Thread]) -> dict[str, Json]:
        """Each author once: a thread of 50 replies by three people costs three reads."""
        ids = {t.author_id for t in threads} | {r.author_id for t in threads for r in t.replies}
        return {str(i): author_json(self._app.member(i)) for i in ids}

    async def _locate(
        self, document_id: DocumentId, anchors: list[Anchor]
    ) -> list[crdt.AnchorRange]:
        """Anchors against the current text: the live room's replica if this process holds
        the document open (its state is taken on the event loop, which owns it), else the
        stored text. The work itself runs in a store thread, off the event loop."""
        queries = [anchor_query(a) for a in anchors]
        if not queries:
            return []
        room = self._rooms.get(document_id)
        if room is not None:
            updates = [room.live.encode_state()]
        else:
            updates = (await self._store.load(document_id)).updates()
        return await self._store.call(lambda: crdt.locate_anchors(crdt.rebuild(updates), queries))


def anchor_query(anchor: Anchor) -> crdt.AnchorQuery:
    return crdt.AnchorQuery(anchor.quote, _decoded(anchor.start), _decoded(anchor.end))


def _decoded(position: str | None) -> bytes | None:
    return None if position is None else base64.b64decode(position)


# Answers -----------------------------------------------------------------------------------


def thread_json(thread: Thread, where: crdt.AnchorRange, people: People) -> Json:
    anchor = thread.anchor
    positions = None if anchor.start is None else {"start": anchor.start, "end": anchor.end}
    found = None if where.start is None else {"start": where.start, "end": where.end}
    return {
        "id": str(thread.id),
        "document_id": str(thread.document_id),
        "author": people[str(thread.author_id)],
        "body": thread.body,
        "quote": anchor.quote,
        "section": anchor.section,
        "anchor": positions,
        "range": found,
        "detached": where.detached,
        "status": thread.status,
        "resolved_by": None if thread.resolved_by is None else str(thread.resolved_by),
        "created_at": thread.created_at.isoformat(),
        "edited_at": thread.edited_at,
        "replies": [reply_json(r, people) for r in thread.replies],
    }


def reply_json(reply: Reply, people: People) -> Json:
    return {
        "id": reply.id,
        "author": people[str(reply.author_id)],
        "body": reply.body,
        "created_at": reply.created_at,
        "edited_at": reply.edited_at,
    }


def author_json(info: MemberInfo) -> Json:
    organisation = info.organisation
    return {
        "id": str(info.id),
        "name": info.name,
        "organisation": organisation.name,
        "country": organisation.country.value,
    }


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
    """Path items for ``server/openapi.py`` to merge; schemas are inline so nothing else in
    its components needs to change (errors refer to its shared ``E4xx`` responses)."""
    comments = {
        "parameters": _parameters("document_id"),
        "get": _operation(
            "The document's comment threads, oldest first, with `detached` computed now",
            _json(_object({"comments": {"type": "array", "items": THREAD}})),
            query=[STATUS_QUERY, SECTION_QUERY],
            read=True,
        ),
        "post": _operation(
            "Comment on a passage (coordinators, editors, commenters)",
            _json(THREAD),
            body=NEW_COMMENT,
            status=201,
        ),
    }
    comment = {
        "parameters": _parameters("document_id", "comment_id"),
        "get": _operation("One comment thread", _json(THREAD), read=True),
        "patch": _operation(
            "Edit your own comment, or with `reply_id` your own reply", _json(THREAD), EDIT
        ),
    }
    action = {"parameters": _parameters("document_id", "comment_id")}
    return {
        COMMENTS: comments,
        COMMENT: comment,
        COMMENT + "/replies": action
        | {"post": _operation("Reply in the thread", _json(REPLIED), BODY_ONLY, 201)},
        COMMENT + "/resolve": action
        | {"post": _operation("Resolve (the author or a coordinator)", _json(THREAD))},
        COMMENT + "/reopen": action
        | {"post": _operation("Reopen (the author or a coordinator)", _json(THREAD))},
    }


def _operation(
    summary: str,
    answer: Json,
    body: Json | None = None,
    status: int = 200,
    query: list[Json] | None = None,
    read: bool = False,
) -> Json:
    """Every comment operation may meet 400, 401, 403 and 404; a change also 409 (resolving
    twice, concurrent changes), a body also 413."""
    errors = [400, 401, 403, 404] + ([] if read else [409]) + ([] if body is None else [413])
    responses: Json = {str(status): answer}
    responses |= {str(code): {"$ref": f"#/components/responses/E{code}"} for code in errors}
    operation: Json = {"summary": summary, "responses": responses}
    if body is not None:
        content = {"application/json": {"schema": body}}
        operation["requestBody"] = {"required": True, "content": content}
    if query:
        operation["parameters"] = query
    return operation


def _parameters(*names: str) -> list[Json]:
    return [{"name": n, "in": "path", "required": True, "schema": ID} for n in names]


def _json(schema: Json) -> Json:
    return {"description": "JSON", "content": {"application/json": {"schema": schema}}}


def _object(properties: Json, optional: tuple[str, ...] = ()) -> Json:
    required = [name for name in properties if name not in optional]
    return {"type": "object", "properties": properties, "required": required}


def _nullable(schema: Json) -> Json:
    return {"oneOf": [schema, {"type": "null"}]}


ID: Json = {"type": "string", "format": "uuid"}
STRING: Json = {"type": "string"}
TIME: Json = {"type": "string", "format": "date-time"}
BASE64: Json = {"type": "string", "contentEncoding": "base64", "maxLength": 176}
STATUS_QUERY: Json = {
    "name": "status",
    "in": "query",
    "required": False,
    "schema": {"type": "string", "enum": ["open", "resolved"]},
}
SECTION_QUERY: Json = {
    "name": "section",
    "in": "query",
    "required": False,
    "description": "only the threads anchored under this heading (exact text)",
    "schema": {"type": "string"},
}
AUTHOR = _object({"id": ID, "name": STRING, "organisation": STRING, "country": STRING})
POSITIONS = _object({"start": BASE64, "end": BASE64})
REPLY = _object(
    {"id": ID, "author": AUTHOR, "body": STRING, "created_at": TIME, "edited_at": _nullable(TIME)}
)
THREAD = _object(
    {
        "id": ID,
        "document_id": ID,
        "author": AUTHOR,
        "body": STRING,
        "quote": STRING,
        "section": STRING,
        "anchor": _nullable(POSITIONS),
        "range": _nullable(_object({"start": {"type": "integer"}, "end": {"type": "integer"}})),
        "detached": {"type": "boolean"},
        "status": {"type": "string", "enum": ["open", "resolved"]},
        "resolved_by": _nullable(ID),
        "created_at": TIME,
        "edited_at": _nullable(TIME),
        "replies": {"type": "array", "items": REPLY},
    }
)
REPLIED = {"allOf": [THREAD, _object({"reply": REPLY})]}
BODY_ONLY = _object({"body": {"type": "string", "maxLength": 10_000}})
EDIT = _object({"body": {"type": "string", "maxLength": 10_000}, "reply_id": ID}, ("reply_id",))
NEW_COMMENT = _object(
    {
        "body": {"type": "string", "maxLength": 10_000},
        "quote": {"type": "string", "maxLength": 2_000},
        "section": {"type": "string", "maxLength": 300},
        "anchor": POSITIONS,
    },
    ("section", "anchor"),
)
