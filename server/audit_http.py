"""The audit trail at the server's edges: the projection wired to the store, the JSON Lines
encoding of a document's history, and ``GET /api/documents/{document_id}/audit``.

The history is streamed: the projection reads the log page by page, and the response pulls
a batch of lines at a time through the store's thread pool (the one seam between async code
and the synchronous store), so neither side ever holds the whole history.
"""

from __future__ import annotations

import base64
import itertools
from collections.abc import AsyncIterator, Iterator
from typing import Any

import orjson
from palabre.domain.application import MemberInfo, PalabreApplication
from palabre.projections.audit_chain import AuditChain, AuditEntry
from palabre.projections.audit_store import AuditStore
from palabre.server.http import Api, readable_document
from palabre.server.storage import Database
from palabre.server.store import Store
from palabre.server.transcoder import CompactTranscoder
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

PATH = "/api/documents/{document_id}/audit"
MEDIA_TYPE = "application/x-ndjson"
LINES_PER_BATCH = 200  # lines produced per trip to the store's threads


def open_audit(database: Database, application: PalabreApplication) -> AuditChain:
    """The audit chain over ``application``'s log, stored in the same database; the caller
    closes it."""
    store = AuditStore(env=database.env(), transcoder=CompactTranscoder())
    return AuditChain(application, store)


# JSON Lines ---------------------------------------------------------------------------------


def audit_line(entry: AuditEntry) -> bytes:
    """One event as one JSON line: where it is in the log and the chain, the stored state as
    base64 (what the link hashes), and the event decoded (bytes as base64)."""
    notification = entry.notification
    line: dict[str, Any] = {
        "notification_id": notification.id,
        "originator_id": str(notification.originator_id),
        "originator_version": notification.originator_version,
        "topic": notification.topic,
        "timestamp": entry.timestamp,
        "hash": entry.link,
        "previous": entry.previous,
        "state": base64.b64encode(notification.state).decode("ascii"),
        "event": entry.fields,
    }
    if entry.problem:
        line["problem"] = entry.problem
    return orjson.dumps(line, default=_default, option=orjson.OPT_APPEND_NEWLINE)


def _default(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def audit_lines(entries: Iterator[AuditEntry]) -> Iterator[bytes]:
    return (audit_line(entry) for entry in entries)


# HTTP ---------------------------------------------------------------------------------------


def audit_routes(api: Api, store: Store, audit: AuditChain) -> list[Route]:
    handler = AuditApi(store, audit)
    return [Route(PATH, api.endpoint(handler.export), methods=["GET"])]


class AuditApi:
    """Any member with a role on the document may read its audit trail."""

    def __init__(self, store: Store, audit: AuditChain) -> None:
        self._store = store
        self._audit = audit

    async def export(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        # Catch up now, so a store failure is still an error answer, not a cut stream.
        lines = audit_lines(await self._store.call(self._audit.history, document_id))
        return StreamingResponse(self._stream(lines), media_type=MEDIA_TYPE)

    async def _stream(self, lines: Iterator[bytes]) -> AsyncIterator[bytes]:
        while batch := await self._store.call(_batch, lines):
            yield batch


def _batch(lines: Iterator[bytes]) -> bytes:
    return b"".join(itertools.islice(lines, LINES_PER_BATCH))


def openapi_paths() -> dict[str, Any]:
    """The OpenAPI path item of the audit endpoint (errors refer to the shared responses)."""
    line = {
        "type": "string",
        "description": (
            "One JSON object per line, oldest first: notification_id, originator_id, "
            "originator_version, topic, timestamp, hash (the event's link in the audit "
            "chain), previous (the link before it), state (the stored bytes, base64), event "
            "(the decoded fields, bytes as base64), and problem when the state cannot be "
            "decoded. Events of the document, its contribution log and its members."
        ),
    }
    errors = {
        str(code): {"$ref": f"#/components/responses/E{code}"} for code in (400, 401, 403, 404)
    }
    ok = {"description": "JSON Lines", "content": {MEDIA_TYPE: {"schema": line}}}
    parameter = {
        "name": "document_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "format": "uuid"},
    }
    operation = {
        "summary": "The document's complete event history with its audit-chain links",
        "responses": {"200": ok} | errors,
    }
    return {PATH: {"parameters": [parameter], "get": operation}}
