"""Comments through the HTTP interface: ``Comments(PalabreClient(...))``.

A separate small class rather than more methods on ``PalabreClient``, so comment threads keep
their own vocabulary (anchor, reply, resolve). Anchors' Yjs relative positions are opaque here:
base64 strings made by a Yjs client (``Y.encodeRelativePosition``) or by pycrdt's
``StickyIndex.encode``.
"""

from __future__ import annotations

import base64
from typing import Any, cast

from palabre.client.http import PalabreClient

Json = dict[str, Any]


def encode_position(position: bytes) -> str:
    """An encoded relative position as the server expects it in ``anchor``."""
    return base64.b64encode(position).decode("ascii")


class Comments:
    def __init__(self, http: PalabreClient) -> None:
        self._http = http

    async def threads(self, document_id: str, status: str | None = None) -> list[Json]:
        query = "" if status is None else f"?status={status}"
        body = await self._http._json("GET", _comments(document_id) + query)
        return cast(list[Json], body["comments"])

    async def get(self, document_id: str, comment_id: str) -> Json:
        return await self._call("GET", _comment(document_id, comment_id))

    async def create(
        self,
        document_id: str,
        body: str,
        quote: str,
        section: str = "",
        start: bytes | None = None,
        end: bytes | None = None,
        key: str | None = None,
    ) -> Json:
        """Comment on ``quote``; ``start`` and ``end`` are its encoded relative positions.
        ``key``: an idempotency key, so that a retry never creates a second thread."""
        request: Json = {"body": body, "quote": quote, "section": section}
        if start is not None and end is not None:
            request["anchor"] = {"start": encode_position(start), "end": encode_position(end)}
        return await self._call("POST", _comments(document_id), request, key)

    async def reply(
        self, document_id: str, comment_id: str, body: str, key: str | None = None
    ) -> Json:
        """The thread, with the new reply also as ``reply``; ``key`` as for ``create``."""
        path = _comment(document_id, comment_id) + "/replies"
        return await self._call("POST", path, {"body": body}, key)

    async def edit(
        self, document_id: str, comment_id: str, body: str, reply_id: str | None = None
    ) -> Json:
        request: Json = {"body": body} if reply_id is None else {"body": body, "reply_id": reply_id}
        return await self._call("PATCH", _comment(document_id, comment_id), request)

    async def resolve(self, document_id: str, comment_id: str) -> Json:
        return await self._call("POST", _comment(document_id, comment_id) + "/resolve")

    async def reopen(self, document_id: str, comment_id: str) -> Json:
        return await self._call("POST", _comment(document_id, comment_id) + "/reopen")

    async def _call(
        self, method: str, path: str, body: Json | None = None, key: str | None = None
    ) -> Json:
        return cast(Json, await self._http._json(method, path, body, key=key))


def _comments(document_id: str) -> str:
    return f"/api/documents/{document_id}/comments"


def _comment(document_id: str, comment_id: str) -> str:
    return f"{_comments(document_id)}/{comment_id}"
