"""The HTTP plumbing every resource module shares: JSON answers through orjson, errors as
``{"error": {"code", "message"}}``, Markdown answers (gzip-compressed when asked), bearer
tokens, bounded JSON bodies and their fields, and the wrapper that authenticates a request,
sets the acting member and translates errors.

Nothing here knows of live rooms or the CRDT: a module that only answers JSON depends on this
and on the store seam, no more.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from palabre.domain.actor import acting_as
from palabre.domain.application import MemberInfo
from palabre.domain.errors import ErrorCode, Forbidden, InvalidInput, PalabreError, Unauthenticated
from palabre.domain.ids import DocumentId, parse_id
from palabre.domain.roles import Role
from palabre.server.errors import PayloadTooLarge
from palabre.server.failures import AuthFailures
from palabre.server.http.errors import http_status
from palabre.server.logs import log_document
from palabre.server.storage.store import Store
from starlette.requests import Request
from starlette.responses import Response

MAX_JSON_BODY = 64 * 1024
UNLIMITED = 1 << 62
Handler = Callable[[Request], Awaitable[Response]]
MemberHandler = Callable[[Request, MemberInfo], Awaitable[Response]]
MARKDOWN = "text/markdown; charset=utf-8"
GZIP_FROM_BYTES = 1024  # a smaller answer goes as it is
GZIP_LEVEL = 6  # 260 KB of Markdown: 90 KB in about 16 ms, in a worker thread


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


def markdown_response(text: str, headers: Mapping[str, str] | None = None) -> Response:
    return Response(text.encode("utf-8"), media_type=MARKDOWN, headers=headers)


async def compressed_markdown(request: Request, text: str) -> Response:
    """Markdown gzip-compressed for a client that accepts it (a page opening a long document
    over a weak link: 252,342 characters are 3 to 4 times fewer bytes), else as it is."""
    body = text.encode("utf-8")
    headers = {"Vary": "Accept-Encoding"}
    if len(body) < GZIP_FROM_BYTES or not accepts_encoding(request, "gzip"):
        return Response(body, media_type=MARKDOWN, headers=headers)
    packed = await asyncio.to_thread(gzip.compress, body, compresslevel=GZIP_LEVEL, mtime=0)
    headers["Content-Encoding"] = "gzip"
    return Response(packed, media_type=MARKDOWN, headers=headers)


def accepts_encoding(request: Request, coding: str) -> bool:
    """Whether ``Accept-Encoding`` names ``coding`` with a weight above zero (``gzip;q=0``
    refuses gzip)."""
    for item in request.headers.get("accept-encoding", "").lower().split(","):
        name, _, parameters = item.partition(";")
        if name.strip() != coding:
            continue
        weight = parameters.strip().removeprefix("q=")
        try:
            return not parameters.strip() or float(weight) > 0
        except ValueError:
            return False
    return False


def error_response(error: PalabreError) -> JSONResponse:
    status, code = http_status(error)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"error": {"code": code, "message": str(error)}}, status, headers)


# Authentication ------------------------------------------------------------------------------


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


class Authenticated:
    """Wraps handlers: authenticate, set the acting member, translate domain errors."""

    def __init__(self, store: Store, failures: AuthFailures | None = None) -> None:
        self._store = store
        self._failures = failures or AuthFailures(UNLIMITED)

    def __call__(self, handler: MemberHandler, *, query_token: bool = False) -> Handler:
        """``query_token`` also accepts ``?token=`` when no header is sent: browsers'
        EventSource and plain download links cannot set headers (the server's log filter
        keeps tokens out of access logs)."""

        async def wrapped(request: Request) -> Response:
            address = request.client.host if request.client else ""
            try:
                self._failures.check(address)
                token = request_token(request) if query_token else bearer_token(request)
                member = await self._authenticate(address, token)
                _name_document(request)
                with acting_as(member.id):
                    return await handler(request, member)
            except PalabreError as error:
                return error_response(error)

        return wrapped

    async def _authenticate(self, address: str, token: str) -> MemberInfo:
        try:
            return await self._store.authenticate(token)
        except Unauthenticated:
            self._failures.failed(address)
            raise


def _name_document(request: Request) -> None:
    """Let this request's log lines name its document (when the path names a valid one)."""
    raw = request.path_params.get("document_id")
    if isinstance(raw, str):
        with contextlib.suppress(ValueError):
            log_document.set(UUID(raw))


def require_global_coordinator(member: MemberInfo, action: str) -> None:
    """Things that concern every document (creating one, registering an organisation) are for
    coordinators of every document."""
    if "*" not in member.roles or not member.roles["*"].can_create_documents:
        raise Forbidden(
            f"only a coordinator of every document can {action}", code=ErrorCode.COORDINATOR_ONLY
        )


async def readable_document(store: Store, request: Request, member: MemberInfo) -> DocumentId:
    """The document named in the path, if it exists (404 first) and the member has a role."""
    document_id = DocumentId(parse_id(request.path_params["document_id"], "document id"))
    await store.document(document_id)
    if member.role_on(document_id) is None:
        raise Forbidden("no role on this document", code=ErrorCode.NO_ROLE)
    return document_id


async def coordinated_document(
    store: Store, request: Request, member: MemberInfo, action: str
) -> DocumentId:
    """The document, for a coordinator of it (checks the domain does not make itself)."""
    document_id = await readable_document(store, request, member)
    if member.role_on(document_id) is not Role.COORDINATOR:
        raise Forbidden(
            f"only a coordinator of this document may {action}", code=ErrorCode.COORDINATOR_ONLY
        )
    return document_id


def path_id(request: Request, name: str, what: str) -> UUID:
    return parse_id(request.path_params[name], what)


# Bodies --------------------------------------------------------------------------------------


async def read_body(request: Request) -> bytes:
    """The request's body, at most MAX_JSON_BODY bytes; read once, then kept on the request
    (the idempotency check reads it before the handler does)."""
    kept: bytes | None = getattr(request.state, "body", None)
    if kept is not None:
        return kept
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_JSON_BODY:
        raise PayloadTooLarge(f"request body above {MAX_JSON_BODY} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_JSON_BODY:
            raise PayloadTooLarge(f"request body above {MAX_JSON_BODY} bytes")
    request.state.body = read = bytes(body)
    return read


async def read_json(request: Request) -> dict[str, Any]:
    body = await read_body(request)
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise InvalidInput("request body is not valid JSON") from None
    if not isinstance(value, dict):
        raise InvalidInput("request body must be a JSON object")
    return value


def text_field(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str):
        raise InvalidInput(f"field {name!r} (a string) is required")
    return value


def optional_text_field(body: Mapping[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise InvalidInput(f"field {name!r} must be a string")
    return value


def flag_field(body: Mapping[str, Any], name: str, default: bool | None = None) -> bool:
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise InvalidInput(f"field {name!r} (true or false) is required")
    return value


def ids_field(body: Mapping[str, Any], name: str, what: str) -> list[UUID]:
    value = body.get(name)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(f"field {name!r} (a list of {what}s) is required")
    return [parse_id(v, what) for v in value]
