"""Interviews over HTTP: recording and editing them, linking passages of the text to them,
and the coverage of sources by section.

Each handler runs one application command in the store's threads (the domain checks who may
do it from the acting member), then answers with the interview as ``answers/interviews.py``
builds it: its notes only if the domain's reading for the caller says so. Every change is
pushed on the live channel by ``channel/relay.py`` as ``interview.recorded``,
``interview.revised``, ``interview.notes``, ``interview.linked`` or ``interview.unlinked``,
with the interview as data, never its notes. The OpenAPI description of these paths is in
``interview_schema.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from uuid import UUID

from palabre.domain.application import MemberInfo, PalabreApplication
from palabre.domain.comment import Anchor
from palabre.domain.ids import DocumentId, parse_id
from palabre.domain.interview import InterviewRecord
from palabre.domain.interview_details import Details
from palabre.domain.shapes import Json
from palabre.server.answers.interviews import interview_answers
from palabre.server.answers.sources import sources_report
from palabre.server.http.plumbing import (
    Authenticated,
    JSONResponse,
    path_id,
    read_json,
    readable_document,
)
from palabre.server.storage.store import Store
from palabre.server.texts import DocumentTexts
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

INTERVIEWS = "/api/documents/{document_id}/interviews"
INTERVIEW = INTERVIEWS + "/{interview_id}"
LINKS = INTERVIEW + "/links"
LINK = LINKS + "/{link_id}"
SOURCES = "/api/documents/{document_id}/sources"


class InterviewsApi:
    def __init__(self, store: Store, texts: DocumentTexts) -> None:
        self._store = store
        self._texts = texts

    @property
    def _app(self) -> PalabreApplication:
        return self._store.application

    def routes(self, endpoint: Authenticated) -> list[Route]:
        return [
            Route(INTERVIEWS, endpoint(self.list_interviews), methods=["GET"]),
            Route(INTERVIEWS, endpoint(self.record), methods=["POST"]),
            Route(INTERVIEW, endpoint(self.get_interview), methods=["GET"]),
            Route(INTERVIEW, endpoint(self.revise), methods=["PATCH"]),
            Route(LINKS, endpoint(self.link), methods=["POST"]),
            Route(LINK, endpoint(self.unlink), methods=["DELETE"]),
            Route(SOURCES, endpoint(self.sources), methods=["GET"]),
        ]

    async def list_interviews(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        records = await self._store.call(self._app.interviews, document_id)
        return JSONResponse({"interviews": await self._answers(document_id, records)})

    async def get_interview(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        interview_id = _interview_id(request)
        record = await self._store.call(self._app.interview, document_id, interview_id)
        return JSONResponse((await self._answers(document_id, [record]))[0])

    async def record(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        body = await read_json(request)
        details = Details.parse(body)
        notes = body.get("notes")
        answer = await self._change(
            document_id, lambda: self._app.record_interview(document_id, details, notes)
        )
        return JSONResponse(answer, 201)

    async def revise(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        interview_id, body = _interview_id(request), await read_json(request)
        answer = await self._change(
            document_id, lambda: self._app.revise_interview(document_id, interview_id, body)
        )
        return JSONResponse(answer)

    async def link(self, request: Request, member: MemberInfo) -> Response:
        """Link a passage: ``{"quote", "anchor": {"start", "end"}, "section"}``; answers the
        link, placed in the live text, with ``interview_id``."""
        document_id = await readable_document(self._store, request, member)
        interview_id, body = _interview_id(request), await read_json(request)
        anchor = Anchor.parse(body.get("quote"), body.get("section"), body.get("anchor"))
        record, link = await self._store.call(
            self._app.link_passage, document_id, interview_id, anchor
        )
        [answer] = await self._answers(document_id, [record])
        return JSONResponse(next(found for found in answer["links"] if found["id"] == link.id), 201)

    async def unlink(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        interview_id = _interview_id(request)
        link_id = str(path_id(request, "link_id", "link id"))
        answer = await self._change(
            document_id, lambda: self._app.unlink_passage(document_id, interview_id, link_id)
        )
        return JSONResponse(answer)

    async def sources(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        return JSONResponse(await sources_report(self._store, self._texts, document_id))

    async def _change(
        self, document_id: DocumentId, command: Callable[[], InterviewRecord]
    ) -> Json:
        record = await self._store.call(command)
        return (await self._answers(document_id, [record]))[0]

    async def _answers(
        self, document_id: DocumentId, records: Sequence[InterviewRecord]
    ) -> list[Json]:
        """The interviews with their notes as the domain lets the caller read them."""
        readings = await self._store.call(self._app.notes_for, document_id, records)
        return await interview_answers(self._store, self._texts, document_id, records, readings)


def _interview_id(request: Request) -> UUID:
    return parse_id(request.path_params["interview_id"], "interview id")
