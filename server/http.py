"""The HTTP interface: JSON through orjson, bearer-token authentication, errors as JSON."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from palabre.domain.actor import acting_member
from palabre.domain.application import DocumentInfo, MemberInfo
from palabre.domain.errors import (
    ErrorCode,
    Forbidden,
    InvalidInput,
    PalabreError,
    Unauthenticated,
)
from palabre.domain.ids import DocumentId, parse_id
from palabre.server.errors import PayloadTooLarge, http_status
from palabre.server.rooms import Rooms
from palabre.server.store import Store
from starlette.requests import Request
from starlette.responses import Response

MAX_JSON_BODY = 64 * 1024
Handler = Callable[[Request], Awaitable[Response]]


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, default=_default)


def _default(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def error_response(error: PalabreError) -> JSONResponse:
    status, code = http_status(error)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"error": {"code": code, "message": str(error)}}, status, headers)


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("send Authorization: Bearer TOKEN")
    return token.strip()


def request_token(request: Request) -> str:
    """The bearer token, or else the ``token`` query parameter."""
    if request.headers.get("authorization"):
        return bearer_token(request)
    token = request.query_params.get("token", "").strip()
    if not token:
        raise Unauthenticated("send Authorization: Bearer TOKEN (or ?token=TOKEN)")
    return token


async def read_json(request: Request) -> dict[str, Any]:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_JSON_BODY:
        raise PayloadTooLarge(f"request body above {MAX_JSON_BODY} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_JSON_BODY:
            raise PayloadTooLarge(f"request body above {MAX_JSON_BODY} bytes")
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise InvalidInput("request body is not valid JSON") from None
    if not isinstance(value, dict):
        raise InvalidInput("request body must be a JSON object")
    return value


def require_global_coordinator(member: MemberInfo, action: str) -> None:
    """Things that concern every document (creating one, registering an organisation) are for
    coordinators of every document."""
    if "*" not in member.roles or not member.roles["*"].can_create_documents:
        raise Forbidden(
            f"only a coordinator of every document can {action}", code=ErrorCode.COORDINATOR_ONLY
        )


def document_json(info: DocumentInfo) -> dict[str, Any]:
    return {
        "id": info.id,
        "title": info.title,
        "created_at": info.created_at,
        "created_by": info.created_by,
        "contributions": info.contributions,
    }


class Api:
    def __init__(self, store: Store, rooms: Rooms, database_engine: str) -> None:
        self._store = store
        self._rooms = rooms
        self._engine = database_engine

    def endpoint(
        self,
        handler: Callable[[Request, MemberInfo], Awaitable[Response]],
        *,
        query_token: bool = False,
    ) -> Handler:
        """Wrap a handler: authenticate, set the acting member, translate domain errors.

        ``query_token`` also accepts ``?token=`` when no header is sent: browsers' EventSource
        cannot set headers (the server's log filter keeps tokens out of access logs)."""

        async def wrapped(request: Request) -> Response:
            try:
                token = request_token(request) if query_token else bearer_token(request)
                member = await self._store.authenticate(token)
                acting = acting_member.set(member.id)
                try:
                    return await handler(request, member)
                finally:
                    acting_member.reset(acting)
            except PalabreError as error:
                return error_response(error)

        return wrapped

    async def healthz(self, request: Request) -> Response:
        try:
            await self._store.call(self._store.application.recorder.max_notification_id)
        except Exception as error:
            return JSONResponse({"status": "unavailable", "error": repr(error)}, 503)
        return JSONResponse({"status": "ok", "database": self._engine, "rooms": len(self._rooms)})

    async def list_documents(self, request: Request, member: MemberInfo) -> Response:
        documents = await self._store.call(self._store.application.documents)
        visible = [document_json(d) for d in documents if member.role_on(d.id) is not None]
        return JSONResponse({"documents": visible})

    async def create_document(self, request: Request, member: MemberInfo) -> Response:
        require_global_coordinator(member, "create documents")
        body = await read_json(request)
        title = body.get("title")
        if not isinstance(title, str):
            raise InvalidInput("field 'title' (a string) is required")
        info = await self._store.call(self._store.application.create_document, title)
        return JSONResponse(document_json(info), 201)

    async def get_document(self, request: Request, member: MemberInfo) -> Response:
        document_id = await self._readable(request, member)
        info = await self._store.document(document_id)
        return JSONResponse(document_json(info))

    async def get_text(self, request: Request, member: MemberInfo) -> Response:
        document_id = await self._readable(request, member)
        room = self._rooms.get(document_id)
        text = room.live.text if room is not None else await self._store.text(document_id)
        return Response(text.encode("utf-8"), media_type="text/markdown; charset=utf-8")

    async def _readable(self, request: Request, member: MemberInfo) -> DocumentId:
        return await readable_document(self._store, request, member)


async def readable_document(store: Store, request: Request, member: MemberInfo) -> DocumentId:
    """The document named in the path, if it exists (404 first) and the member has a role."""
    document_id = DocumentId(parse_id(request.path_params["document_id"], "document id"))
    await store.document(document_id)
    if member.role_on(document_id) is None:
        raise Forbidden("no role on this document", code=ErrorCode.NO_ROLE)
    return document_id
