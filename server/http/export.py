"""``GET /api/documents/{document_id}/export``: a snapshot of the text (now, at an approved
version, or at a point of the history) as Markdown, HTML, Word, OpenDocument, PDF or a JSON
bundle, with a file name that says document, version and date.

Any member with a role on the document may export it, observers included. Gathering runs in
the store's threads (``export/snapshot.py``); rendering too, off the event loop.
"""

from __future__ import annotations

from palabre.domain.application import MemberInfo
from palabre.domain.shapes import Json
from palabre.server.export.compose import file_name
from palabre.server.export.formats import FORMATS, render
from palabre.server.export.request import COMMENTS, PARAMETERS, SUGGESTIONS, parse_request
from palabre.server.export.snapshot import Sources
from palabre.server.http.plumbing import Authenticated, readable_document
from palabre.server.http.schema import (
    BOOLEAN,
    POSITION,
    QUERY_TOKEN_SECURITY,
    READS,
    SHA256,
    STRING,
    TIME,
    enum,
    operation,
    path_item,
    query,
    token_query,
)
from palabre.server.storage.store import Store
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

PATH = "/api/documents/{document_id}/export"


class ExportApi:
    def __init__(self, store: Store, sources: Sources) -> None:
        self._store = store
        self._sources = sources

    def routes(self, endpoint: Authenticated) -> list[Route]:
        # ``?token=`` too: a browser downloads a file through a plain link (no header).
        return [Route(PATH, endpoint(self.export, query_token=True), methods=["GET"])]

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
    """The export's path item for ``openapi.py``."""
    binary = {"type": "string", "format": "binary"}
    ok = {
        "description": (
            "The file, with `Content-Disposition: attachment; filename=...` "
            "(`referentiel-commun_v3_2026-11-23.pdf`, "
            "`referentiel-commun_etat_2026-11-23_14h02.pdf`: day, and time for a point of the "
            "history, in the requested zone); the position and the text's SHA-256 in "
            "`X-Palabre-Position` and `X-Palabre-SHA256`"
        ),
        "headers": {
            "Content-Disposition": {"schema": STRING},
            "X-Palabre-Position": {"schema": POSITION},
            "X-Palabre-SHA256": {"schema": SHA256},
        },
        "content": {f.media_type: {"schema": binary} for f in FORMATS.values()},
    }
    descriptions = {
        "format": ("the file format", enum(*FORMATS), True),
        "version": ("an approved version: vN", {"type": "integer", "minimum": 1}, False),
        "at": ("a position of the history (a number of contributions)", POSITION, False),
        "lang": ("labels: French or English", enum("fr", "en"), False),
        "tz": ("the reader's IANA time zone (default UTC)", STRING, False),
        "comments": ("append comments as notes", enum(*COMMENTS), False),
        "suggestions": ("append suggestions with their fate", enum(*SUGGESTIONS), False),
        "contributors": ("append contributors by organisation", BOOLEAN, False),
        "sources": ("append the Sources annex (interviews cited, no notes)", BOOLEAN, False),
        "changes": (
            "append the change note since version N (with version=M, N < M, or the current text)",
            {"type": "integer", "minimum": 1},
            False,
        ),
        "generated_at": (
            "the generation time written in the file's metadata (default: the snapshot's time)",
            TIME,
            False,
        ),
    }
    assert tuple(descriptions) == PARAMETERS
    parameters = [
        query(name, schema, required, what)
        for name, (what, schema, required) in descriptions.items()
    ]
    parameters.append(token_query("a plain download link that cannot send headers"))
    export = operation(
        "The text now, at version N or at a position, as a file with its proof",
        ok,
        parameters=parameters,
        failures=(*READS, 503),
    ) | {"security": QUERY_TOKEN_SECURITY}
    return path_item(PATH, get=export)
