"""The history of a document's text over HTTP: the text at any point, the diff between two
points, who wrote which characters, and editing sessions.

A *position* is a number of contributions (what ``GET /api/documents/{id}`` reports as
``contributions``). Texts at a position come from the store (``DocumentTexts.at``).
Authorship and sessions come from the history index through ``answers/history.py``: its stored
state at or before the position plus the tail, replayed through the CRDT engine so that a
character belongs to the member whose contribution inserted it, concurrent edits included.
Everything runs in the store's threads.
"""

from __future__ import annotations

import re

from palabre.domain.application import MemberInfo
from palabre.domain.errors import InvalidInput
from palabre.domain.ids import DocumentId
from palabre.domain.shapes import Json
from palabre.domain.times import parse_time
from palabre.projections import text_diff
from palabre.projections.diff_cache import DiffCache
from palabre.projections.history_index import HistoryIndex
from palabre.server.answers.history import HistoryReports, diff_answer, session_filter
from palabre.server.http.plumbing import (
    Authenticated,
    JSONResponse,
    markdown_response,
    readable_document,
)
from palabre.server.http.schema import (
    COUNTRY,
    ID,
    MARKDOWN,
    POSITION,
    READS,
    STRING,
    TIME,
    array,
    content,
    counts,
    json_answer,
    obj,
    operation,
    path_item,
    query,
)
from palabre.server.storage.store import Store
from palabre.server.texts import DocumentTexts
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

DOCUMENT = "/api/documents/{document_id}"
WHOLE_NUMBER = re.compile(r"[0-9]{1,12}")


class HistoryApi:
    """Any member with a role on the document may read its history."""

    def __init__(self, store: Store, texts: DocumentTexts, index: HistoryIndex) -> None:
        self._store = store
        self._texts = texts
        self._reports = HistoryReports(store.application, index)
        self._diffs = DiffCache()  # the text at a position never changes, nor their diffs

    def routes(self, endpoint: Authenticated) -> list[Route]:
        return [
            Route(DOCUMENT + "/history/at", endpoint(self.text_at), methods=["GET"]),
            Route(DOCUMENT + "/diff", endpoint(self.diff), methods=["GET"]),
            Route(DOCUMENT + "/authorship", endpoint(self.authorship), methods=["GET"]),
            Route(DOCUMENT + "/history", endpoint(self.history), methods=["GET"]),
        ]

    async def text_at(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        query = request.query_params
        if ("position" in query) == ("time" in query):
            raise InvalidInput("give either ?position=N or ?time=ISO-8601, not both or neither")
        if "position" in query:
            position = await self._position(document_id, query["position"], "position")
        else:
            when = parse_time(query["time"], "time")
            app = self._store.application
            position = await self._store.call(app.position_at, document_id, when)
        text = await self._texts.at(document_id, position)
        return markdown_response(text, {"X-Palabre-Position": str(position)})

    async def diff(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        old = await self._position(document_id, _required(request, "from"), "from")
        new = await self._position(document_id, _required(request, "to"), "to")
        key = (document_id, "positions", old, new)
        diff = self._diffs.find(key)
        if diff is None:
            before = await self._texts.at(document_id, old)
            after = await self._texts.at(document_id, new)
            names = f"position {old}", f"position {new}"
            diff = await self._store.call(text_diff.compare, before, after, *names)
            self._diffs.keep(key, diff)
        return JSONResponse(diff_answer(old, new, diff))

    async def authorship(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        raw = request.query_params.get("at")
        at = await self._position(document_id, raw, "at") if raw is not None else None
        report = await self._store.call(self._reports.authorship_report, document_id, at)
        return JSONResponse(report)

    async def history(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        wanted = session_filter(request.query_params)
        found = await self._store.call(self._reports.sessions_report, document_id, wanted)
        return JSONResponse({"sessions": found})

    async def _position(self, document_id: DocumentId, raw: str, name: str) -> int:
        """A position of this document: 400 if it is not a whole number or lies beyond the
        contributions stored."""
        if not WHOLE_NUMBER.fullmatch(raw):
            raise InvalidInput(f"{name} is a position (a whole number), not {raw!r}")
        count = (await self._store.document(document_id)).contributions
        if int(raw) > count:
            raise InvalidInput(f"{name}={raw} is beyond the document's {count} contributions")
        return int(raw)


def _required(request: Request, name: str) -> str:
    raw = request.query_params.get(name)
    if raw is None:
        raise InvalidInput(f"query parameter {name!r} (a position) is required")
    return raw


# OpenAPI ------------------------------------------------------------------------------------


def openapi_paths() -> Json:
    """Path items for ``openapi.py`` to merge, with inline schemas. Every history read may
    meet 400 (a bad parameter, a position beyond the log), 401, 403 and 404."""
    markdown = content(
        "The Markdown at that position (its number in `X-Palabre-Position`)", MARKDOWN, STRING
    ) | {"headers": {"X-Palabre-Position": {"schema": POSITION}}}
    at = operation(
        "The text after the first N contributions, or as it stood at a time",
        markdown,
        parameters=[query("position", POSITION), query("time", TIME)],
        failures=READS,
    )
    diff = operation(
        "What changed between two positions: a unified line diff and a word diff",
        json_answer(DIFF),
        parameters=[query("from", POSITION, True), query("to", POSITION, True)],
        failures=READS,
    )
    authorship = operation(
        "Who wrote which characters (by the CRDT's own merge), and each one's share",
        json_answer(AUTHORSHIP),
        parameters=[query("at", POSITION)],
        failures=READS,
    )
    history = operation(
        "Editing sessions: each member's contributions, split by pauses over 5 minutes; "
        "from/to keep the sessions that overlap the period, whole",
        json_answer(obj({"sessions": array(SESSION)})),
        parameters=[
            query("member", ID),
            query("organisation", ID),
            query("country", COUNTRY),
            query("from", TIME),
            query("to", TIME),
        ],
        failures=READS,
    )
    return (
        path_item(DOCUMENT + "/history/at", get=at)
        | path_item(DOCUMENT + "/diff", get=diff)
        | path_item(DOCUMENT + "/authorship", get=authorship)
        | path_item(DOCUMENT + "/history", get=history)
    )


PERSON: Json = {"member": STRING, "organisation": STRING, "country": STRING}
DIFF = obj(
    {
        "from": POSITION,
        "to": POSITION,
        "unified": STRING,
        "words": {
            "type": "array",
            "items": obj(
                {"op": {"type": "string", "enum": ["equal", "insert", "delete"]}, "text": STRING}
            ),
        },
    }
)
AUTHORSHIP = obj(
    {
        "position": POSITION,
        "runs": {"type": "array", "items": obj({"text": STRING, **PERSON})},
        "shares": obj(
            {
                "members": counts(),
                "organisations": counts(),
                "countries": counts(),
                "sections": {"type": "object", "additionalProperties": counts()},
            }
        ),
    }
)
SESSION = obj(
    {
        **PERSON,
        "member_id": ID,
        "start": TIME,
        "end": TIME,
        "first": POSITION,
        "last": POSITION,
        "contributions": {"type": "integer", "minimum": 1},
        "added": POSITION,
        "removed": POSITION,
        "sections": {"type": "array", "items": STRING},
    }
)
