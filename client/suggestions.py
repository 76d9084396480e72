"""Suggestions and votes on amendments through the HTTP interface:
``Suggestions(PalabreClient(...))``.

A separate small class, as for comments: suggestions keep their own vocabulary (passage,
replacement, accept, reject, withdraw, amendments). Anchors' Yjs relative positions are opaque
here: encoded relative positions made by a Yjs client (``Y.encodeRelativePosition``), passed
as bytes.

Every POST takes ``key``: an idempotency key chosen before the first attempt
(``uuid4().hex``). A retry under the same key gets the first answer and does nothing twice: a
suggestion, a reply or a vote on amendments is never made twice, a vote never cast twice.
"""

from __future__ import annotations

import builtins
from typing import Any, cast

from palabre.client.comments import encode_position
from palabre.client.http import PalabreClient

Json = dict[str, Any]


class Suggestions:
    def __init__(self, http: PalabreClient) -> None:
        self._http = http

    async def list(self, document_id: str, status: str | None = None) -> list[Json]:
        query = "" if status is None else f"?status={status}"
        body = await self._call("GET", _suggestions(document_id) + query)
        return cast(list[Json], body["suggestions"])

    async def get(self, document_id: str, suggestion_id: str) -> Json:
        return await self._call("GET", _suggestion(document_id, suggestion_id))

    async def make(
        self,
        document_id: str,
        quote: str,
        replacement: str,
        reason: str = "",
        start: bytes | None = None,
        end: bytes | None = None,
        section: str = "",
        key: str | None = None,
    ) -> Json:
        """Suggest that ``quote`` (empty: an insertion at the anchor) become ``replacement``;
        ``start`` and ``end`` are the passage's encoded relative positions."""
        request = _passage(quote, replacement, reason, start, end, section)
        return await self._call("POST", _suggestions(document_id), request, key)

    async def revise(
        self,
        document_id: str,
        suggestion_id: str,
        quote: str,
        replacement: str,
        reason: str | None = None,
        start: bytes | None = None,
        end: bytes | None = None,
        section: str = "",
    ) -> Json:
        """``reason`` None keeps the one the suggestion has."""
        request = _passage(quote, replacement, reason, start, end, section)
        return await self._call("PATCH", _suggestion(document_id, suggestion_id), request)

    async def reply(
        self, document_id: str, suggestion_id: str, body: str, key: str | None = None
    ) -> Json:
        """The suggestion, with the new reply also as ``reply``."""
        path = _suggestion(document_id, suggestion_id) + "/replies"
        return await self._call("POST", path, {"body": body}, key)

    async def accept(self, document_id: str, suggestion_id: str, key: str | None = None) -> Json:
        return await self._decide(document_id, suggestion_id, "accept", None, key)

    async def reject(
        self, document_id: str, suggestion_id: str, reason: str, key: str | None = None
    ) -> Json:
        return await self._decide(document_id, suggestion_id, "reject", {"reason": reason}, key)

    async def withdraw(self, document_id: str, suggestion_id: str, key: str | None = None) -> Json:
        return await self._decide(document_id, suggestion_id, "withdraw", None, key)

    async def _decide(
        self, document_id: str, suggestion_id: str, action: str, body: Json | None, key: str | None
    ) -> Json:
        path = f"{_suggestion(document_id, suggestion_id)}/{action}"
        return await self._call("POST", path, body, key)

    # Amendments ------------------------------------------------------------------------------

    async def amendments(self, document_id: str) -> builtins.list[Json]:
        body = await self._call("GET", _amendments(document_id))
        return cast(builtins.list[Json], body["amendments"])

    async def put_to_vote(
        self, document_id: str, suggestion_ids: builtins.list[str], key: str | None = None
    ) -> Json:
        """Open a vote of the committee on these suggestions, in this order."""
        body = {"suggestion_ids": suggestion_ids}
        return await self._call("POST", _amendments(document_id), body, key)

    async def amendments_vote(self, document_id: str, amendments_id: str) -> Json:
        return await self._call("GET", f"{_amendments(document_id)}/{amendments_id}")

    async def vote(
        self,
        document_id: str,
        amendments_id: str,
        suggestion_id: str,
        vote: str,
        reason: str = "",
        key: str | None = None,
    ) -> Json:
        path = f"{_amendments(document_id)}/{amendments_id}/votes"
        body = {"suggestion_id": suggestion_id, "vote": vote, "reason": reason}
        return await self._call("POST", path, body, key)

    async def close_vote(
        self, document_id: str, amendments_id: str, key: str | None = None
    ) -> Json:
        """Decide each amendment and write the accepted ones into the text, in order."""
        path = f"{_amendments(document_id)}/{amendments_id}/close"
        return await self._call("POST", path, None, key)

    async def _call(
        self, method: str, path: str, body: Json | None = None, key: str | None = None
    ) -> Json:
        return cast(Json, await self._http._json(method, path, body, key=key))


def _passage(
    quote: str,
    replacement: str,
    reason: str | None,
    start: bytes | None,
    end: bytes | None,
    section: str,
) -> Json:
    request: Json = {"quote": quote, "replacement": replacement, "section": section}
    if reason is not None:
        request["reason"] = reason
    if start is not None and end is not None:
        request["anchor"] = {"start": encode_position(start), "end": encode_position(end)}
    return request


def _suggestions(document_id: str) -> str:
    return f"/api/documents/{document_id}/suggestions"


def _suggestion(document_id: str, suggestion_id: str) -> str:
    return f"{_suggestions(document_id)}/{suggestion_id}"


def _amendments(document_id: str) -> str:
    return f"/api/documents/{document_id}/amendments"
