"""The document's history through the HTTP interface: ``History(PalabreClient(...))``.

A separate small class, like ``Comments``, so the history keeps its own vocabulary. A
position is a number of contributions, as ``PalabreClient.document`` reports it.
"""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlencode

from palabre.client.http import PalabreClient

Json = dict[str, Any]


class History:
    def __init__(self, http: PalabreClient) -> None:
        self._http = http

    async def text_at(self, document_id: str, position: int) -> str:
        """The Markdown after the first ``position`` contributions."""
        return await self._http._text(_path(document_id, "history/at", position=position))

    async def text_at_time(self, document_id: str, time: str) -> str:
        """The Markdown as it stood at ``time`` (ISO-8601 with an offset)."""
        return await self._http._text(_path(document_id, "history/at", time=time))

    async def diff(self, document_id: str, old: int, new: int) -> Json:
        """``{"from", "to", "unified", "words"}`` between two positions."""
        return await self._get(_path(document_id, "diff", **{"from": old, "to": new}))

    async def authorship(self, document_id: str, at: int | None = None) -> Json:
        """``{"position", "runs", "shares"}`` at position ``at`` (default: the latest)."""
        query = {} if at is None else {"at": at}
        return await self._get(_path(document_id, "authorship", **query))

    async def sessions(
        self,
        document_id: str,
        member: str | None = None,
        organisation: str | None = None,
        country: str | None = None,
        start: str | None = None,
        end: str | None = None,
    ) -> list[Json]:
        """Editing sessions, optionally of one member, organisation or country, between two
        ISO-8601 times."""
        wanted = {"member": member, "organisation": organisation, "country": country}
        wanted |= {"from": start, "to": end}
        query = {name: value for name, value in wanted.items() if value is not None}
        body = await self._get(_path(document_id, "history", **query))
        return cast(list[Json], body["sessions"])

    async def _get(self, path: str) -> Json:
        return cast(Json, await self._http._json("GET", path))


def _path(document_id: str, resource: str, **query: str | int) -> str:
    path = f"/api/documents/{document_id}/{resource}"
    return f"{path}?{urlencode(query)}" if query else path
