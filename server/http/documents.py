"""Documents over HTTP: the list, creation, one document, its live text, and the service's
health (``/healthz``)."""

from __future__ import annotations

from palabre.domain.application import DocumentInfo, MemberInfo
from palabre.domain.errors import InvalidInput
from palabre.domain.shapes import Json
from palabre.server.http.plumbing import (
    Authenticated,
    JSONResponse,
    compressed_markdown,
    read_json,
    readable_document,
    require_global_coordinator,
)
from palabre.server.http.schema import MARKDOWN, STRING, Op, content, paths_of
from palabre.server.live.rooms import Rooms
from palabre.server.storage.store import Store
from palabre.server.texts import DocumentTexts
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

DOCUMENT = "/api/documents/{document_id}"


def document_json(info: DocumentInfo) -> Json:
    return {
        "id": info.id,
        "title": info.title,
        "created_at": info.created_at,
        "created_by": info.created_by,
        "contributions": info.contributions,
    }


class DocumentsApi:
    def __init__(self, store: Store, texts: DocumentTexts, rooms: Rooms, engine: str) -> None:
        self._store = store
        self._texts = texts
        self._rooms = rooms
        self._engine = engine

    def routes(self, endpoint: Authenticated) -> list[Route]:
        return [
            Route("/healthz", self.healthz, methods=["GET"]),
            Route("/api/documents", endpoint(self.list_documents), methods=["GET"]),
            Route("/api/documents", endpoint(self.create_document), methods=["POST"]),
            Route(DOCUMENT, endpoint(self.get_document), methods=["GET"]),
            Route(DOCUMENT + "/text", endpoint(self.get_text), methods=["GET"]),
        ]

    async def healthz(self, request: Request) -> Response:
        try:
            await self._store.call(self._store.application.recorder.max_notification_id)
        except Exception as error:
            return JSONResponse({"status": "unavailable", "error": repr(error)}, 503)
        return JSONResponse({"status": "ok", "database": self._engine, "rooms": len(self._rooms)})

    async def list_documents(self, request: Request, member: MemberInfo) -> Response:
        documents = await self._store.call(self._store.application.documents)
        visible = [document_json(d) for d in documents if member.role_on(d.id) is not None]
        return JSONResponse({"documents": visible})

    async def create_document(self, request: Request, member: MemberInfo) -> Response:
        require_global_coordinator(member, "create documents")
        body = await read_json(request)
        title = body.get("title")
        if not isinstance(title, str):
            raise InvalidInput("field 'title' (a string) is required")
        info = await self._store.call(self._store.application.create_document, title)
        return JSONResponse(document_json(info), 201)

    async def get_document(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        return JSONResponse(document_json(await self._store.document(document_id)))

    async def get_text(self, request: Request, member: MemberInfo) -> Response:
        """What the people in the live room see now (``DocumentTexts.live``), compressed for
        a page that opens before its live document has synced (``client/web/src/early.js``)."""
        document_id = await readable_document(self._store, request, member)
        return await compressed_markdown(request, await self._texts.live(document_id))


TEXT = content("Markdown, UTF-8", MARKDOWN, STRING)
OPERATIONS = (
    Op(
        "GET",
        "/healthz",
        "Service health; 503 when the store does not answer",
        "Health",
        public=True,
        also=(503,),
    ),
    Op("GET", "/api/documents", "Documents on which the caller has a role", "Documents"),
    Op(
        "POST",
        "/api/documents",
        "Create a document (coordinators of every document)",
        "Document",
        body="NewDocument",
        status=201,
    ),
    Op("GET", DOCUMENT, "One document", "Document"),
    Op("GET", DOCUMENT + "/text", "The current text", TEXT),
)


def openapi_paths() -> Json:
    """This resource's path items, for ``openapi.py`` to merge."""
    return paths_of(OPERATIONS)
