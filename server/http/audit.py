"""``GET /api/documents/{document_id}/audit``: a document's complete event history with its
audit-chain links, as JSON Lines (``answers/audit.py``).

The history is streamed: the projection reads the log page by page, and the response pulls
a batch of lines at a time through the store's thread pool (the one seam between async code
and the synchronous store), so neither side ever holds the whole history.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator

from palabre.domain.application import MemberInfo
from palabre.domain.shapes import Json
from palabre.projections.audit_chain import AuditChain
from palabre.server.answers.audit import MEDIA_TYPE, audit_lines, notes_revealer
from palabre.server.http.plumbing import Authenticated, readable_document
from palabre.server.http.schema import READS, STRING, content, operation, path_item
from palabre.server.storage.store import Store
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

PATH = "/api/documents/{document_id}/audit"
LINES_PER_BATCH = 200  # lines produced per trip to the store's threads


class AuditApi:
    """Any member with a role on the document may read its audit trail."""

    def __init__(self, store: Store, audit: AuditChain) -> None:
        self._store = store
        self._audit = audit

    def routes(self, endpoint: Authenticated) -> list[Route]:
        return [Route(PATH, endpoint(self.export), methods=["GET"])]

    async def export(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        # Catch up now, so a store failure is still an error answer, not a cut stream. Who
        # may read which notes is decided now, while the caller is the acting member.
        app = self._store.application
        reveal = await self._store.call(notes_revealer, app, document_id)
        lines = audit_lines(await self._store.call(self._audit.history, document_id), reveal)
        return StreamingResponse(self._stream(lines), media_type=MEDIA_TYPE)

    async def _stream(self, lines: Iterator[bytes]) -> AsyncIterator[bytes]:
        while batch := await self._store.call(_batch, lines):
            yield batch


def _batch(lines: Iterator[bytes]) -> bytes:
    return b"".join(itertools.islice(lines, LINES_PER_BATCH))


def openapi_paths() -> Json:
    """The audit endpoint's path item for ``openapi.py``."""
    line = STRING | {
        "description": (
            "One JSON object per line, oldest first: notification_id, originator_id, "
            "originator_version, topic, timestamp, hash (the event's link in the audit "
            "chain), previous (the link before it), state (the stored bytes, base64), event "
            "(the decoded fields, bytes as base64), problem when the state cannot be "
            "decoded, and notes ({text, nonce}) beside an interview event that seals notes "
            "the caller may read. Events of the document, its contribution log, its "
            "members, its comments and its interviews."
        ),
    }
    history = operation(
        "The document's complete event history with its audit-chain links",
        content("JSON Lines", MEDIA_TYPE, line),
        failures=READS,
    )
    return path_item(PATH, get=history)
