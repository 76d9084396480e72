"""``GET /api/documents/{document_id}/export``: a snapshot of the text (now, at an approved
version, or at a point of the history) as Markdown, HTML, Word, OpenDocument, PDF or a JSON
bundle, with a file name that says document, version and date.

Any member with a role on the document may export it, observers included. Gathering runs in
the store's threads (``export/snapshot.py``); rendering too, off the event loop.
"""

from __future__ import annotations

from typing import Any

from palabre.domain.application import MemberInfo
from palabre.server.export.compose import file_name
from palabre.server.export.formats import FORMATS, render
from palabre.server.export.request import COMMENTS, PARAMETERS, parse_request
from palabre.server.export.snapshot import Sources
from palabre.server.http import Api, readable_document
from palabre.server.store import Store
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

PATH = "/api/documents/{document_id}/export"
Json = dict[str, Any]


def export_routes(api: Api, store: Store, sources: Sources) -> list[Route]:
    handler = ExportApi(store, sources)
    # ``?token=`` too: a browser downloads a file through a plain link, which sends no header.
    return [Route(PATH, api.endpoint(handler.export, query_token=True), methods=["GET"])]


class ExportApi:
    def __init__(self, store: Store, sources: Sources) -> None:
        self._store = store
        self._sources = sources

    async def export(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        wanted = parse_request(request.query_params)
        options = wanted.options
        snapshot = await self._sources.snapshot(document_id, wanted.version, wanted.at, options)
        body = await self._store.call(render, snapshot, options, self._sources.fonts)
        name = file_name(snapshot, options)
        headers = {
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Palabre-Position": str(snapshot.position),
            "X-Palabre-SHA256": snapshot.sha256,
        }
        return Response(body, media_type=FORMATS[options.format].media_type, headers=headers)


# OpenAPI ------------------------------------------------------------------------------------


def openapi_paths() -> Json:
    """The export's path item for ``server/openapi.py`` (errors refer to its shared
    responses)."""
    binary = {"type": "string", "format": "binary"}
    content = {f.media_type: {"schema": binary} for f in FORMATS.values()}
    ok = {
        "description": (
            "The file, with `Content-Disposition: attachment; filename=...` "
            "(`referentiel-commun_v3_2026-11-23.pdf`: document, version or `etat-POSITION`, "
            "date in the requested zone); the position and the text's SHA-256 in "
            "`X-Palabre-Position` and `X-Palabre-SHA256`"
        ),
        "headers": {
            "Content-Disposition": {"schema": {"type": "string"}},
            "X-Palabre-Position": {"schema": {"type": "integer", "minimum": 0}},
            "X-Palabre-SHA256": {"schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"}},
        },
        "content": content,
    }
    descriptions = {
        "format": ("the file format", {"type": "string", "enum": list(FORMATS)}, True),
        "version": ("an approved version: vN", {"type": "integer", "minimum": 1}, False),
        "at": ("a position of the history (a number of contributions)", POSITION, False),
        "lang": ("labels: French or English", {"type": "string", "enum": ["fr", "en"]}, False),
        "tz": ("the reader's IANA time zone (default UTC)", {"type": "string"}, False),
        "comments": ("append comments as notes", {"type": "string", "enum": list(COMMENTS)}, False),
        "contributors": ("append contributors by organisation", {"type": "boolean"}, False),
        "generated_at": (
            "the generation time written in the file's metadata (default: the snapshot's time)",
            {"type": "string", "format": "date-time"},
            False,
        ),
    }
    assert tuple(descriptions) == PARAMETERS
    query = [
        {"name": name, "in": "query", "required": required, "description": what, "schema": schema}
        for name, (what, schema, required) in descriptions.items()
    ]
    query.append(
        {
            "name": "token",
            "in": "query",
            "required": False,
            "description": "The token, for a plain download link that cannot send headers",
            "schema": {"type": "string"},
        }
    )
    errors = {str(c): {"$ref": f"#/components/responses/E{c}"} for c in (400, 401, 403, 404, 503)}
    operation = {
        "summary": "The text now, at version N or at a position, as a file with its proof",
        "parameters": query,
        "responses": {"200": ok} | errors,
        "security": [{"bearer": []}, {"queryToken": []}],
    }
    parameter = {"name": "document_id", "in": "path", "required": True, "schema": ID}
    return {PATH: {"parameters": [parameter], "get": operation}}


ID: Json = {"type": "string", "format": "uuid"}
POSITION: Json = {"type": "integer", "minimum": 0}
