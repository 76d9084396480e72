"""Interviews as sources through the HTTP interface: ``Interviews(PalabreClient(...))``.

Records and edits interviews, links passages of the text to them (anchored like comments:
base64 Yjs relative positions, see ``palabre.client.comments``) and reads the coverage of
sources by section. An interview's ``notes`` come back only to those allowed to read them
(coordinators and its interviewers, when it is confidential); others get ``None``.
"""

from __future__ import annotations

from typing import Any, cast

from palabre.client.comments import encode_position
from palabre.client.http import PalabreClient

Json = dict[str, Any]


class Interviews:
    def __init__(self, http: PalabreClient) -> None:
        self._http = http

    async def interviews(self, document_id: str) -> list[Json]:
        body = await self._http._json("GET", _interviews(document_id))
        return cast(list[Json], body["interviews"])

    async def get(self, document_id: str, interview_id: str) -> Json:
        return await self._call("GET", _interview(document_id, interview_id))

    async def record(
        self,
        document_id: str,
        organisation_ids: list[str],
        date: str,
        mode: str,
        led_by: list[str],
        summary: str = "",
        notes: str | None = None,
        quotable: bool = False,
        **details: Any,
    ) -> Json:
        """Record an interview; ``mode`` is on_site, video or phone, ``date`` YYYY-MM-DD;
        ``details``: place, people, attachments, confidential (True unless told)."""
        body: Json = {
            "organisation_ids": organisation_ids,
            "date": date,
            "mode": mode,
            "led_by": led_by,
            "summary": summary,
            "notes": notes,
            "quotable": quotable,
            **details,
        }
        return await self._call("POST", _interviews(document_id), body)

    async def revise(self, document_id: str, interview_id: str, **fields: Any) -> Json:
        """Change the fields given (``notes`` included); the others stay."""
        return await self._call("PATCH", _interview(document_id, interview_id), fields)

    async def link(
        self,
        document_id: str,
        interview_id: str,
        quote: str,
        section: str = "",
        start: bytes | None = None,
        end: bytes | None = None,
    ) -> Json:
        """Link the passage ``quote`` (with its encoded relative positions, if known)."""
        body: Json = {"quote": quote, "section": section}
        if start is not None and end is not None:
            body["anchor"] = {"start": encode_position(start), "end": encode_position(end)}
        return await self._call("POST", _interview(document_id, interview_id) + "/links", body)

    async def unlink(self, document_id: str, interview_id: str, link_id: str) -> Json:
        path = f"{_interview(document_id, interview_id)}/links/{link_id}"
        return await self._call("DELETE", path)

    async def sources(self, document_id: str) -> Json:
        """Coverage and balance: ``{"sections", "organisations", "interviews", "countries"}``."""
        return await self._call("GET", f"/api/documents/{document_id}/sources")

    async def _call(self, method: str, path: str, body: Json | None = None) -> Json:
        return cast(Json, await self._http._json(method, path, body))


def _interviews(document_id: str) -> str:
    return f"/api/documents/{document_id}/interviews"


def _interview(document_id: str, interview_id: str) -> str:
    return f"{_interviews(document_id)}/{interview_id}"
