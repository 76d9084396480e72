"""Snapshot exports through the HTTP interface: ``Exports(PalabreClient(...))``."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message

from palabre.client.http import PalabreClient, _raise_for


@dataclass(frozen=True)
class ExportedFile:
    name: str  # from Content-Disposition: referentiel-commun_v3_2026-11-23.pdf
    media_type: str
    content: bytes
    position: int
    sha256: str  # of the exported text (the Markdown's UTF-8 bytes)


class Exports:
    def __init__(self, http: PalabreClient) -> None:
        self._http = http

    async def export(
        self,
        document_id: str,
        format: str,
        *,
        version: int | None = None,
        at: int | None = None,
        **options: str,
    ) -> ExportedFile:
        """The text now, at ``version`` or at position ``at``, as ``format`` (md, html, docx,
        odt, pdf or json); ``options``: lang, tz, comments, contributors, generated_at."""
        query = {"format": format, **options}
        if version is not None:
            query["version"] = str(version)
        if at is not None:
            query["at"] = str(at)
        response = await self._http._http.get(f"/api/documents/{document_id}/export", params=query)
        _raise_for(response)
        disposition = Message()
        disposition["content-disposition"] = response.headers["content-disposition"]
        return ExportedFile(
            name=str(disposition.get_param("filename", header="content-disposition")),
            media_type=response.headers["content-type"],
            content=response.content,
            position=int(response.headers["x-palabre-position"]),
            sha256=response.headers["x-palabre-sha256"],
        )
