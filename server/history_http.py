"""The history of a document's text over HTTP: the text at any point, the diff between two
points, who wrote which characters, and editing sessions.

A *position* is a number of contributions (what ``GET /api/documents/{id}`` reports as
``contributions``). Texts at a position, authorship and sessions come from the history index
(``server/history_index.py``): its stored state at or before the position plus what the
contributions after it did, as the CRDT engine computed it, so that a character belongs to
the member whose contribution inserted it, concurrent edits included. Where the index does
not reach yet, a text comes from the latest checkpoint at or before the position plus the
tail. Everything runs in the store's threads.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from palabre.domain.application import MemberInfo, PalabreApplication
from palabre.domain.errors import InvalidInput, NotFound
from palabre.domain.ids import DocumentId, parse_id
from palabre.domain.roles import Country
from palabre.projections import text_diff
from palabre.projections.authorship import Authorship, Run, shares
from palabre.projections.diff_cache import DiffCache
from palabre.projections.history import Session
from palabre.server import crdt
from palabre.server.history_index import HistoryIndex
from palabre.server.http import Api, JSONResponse, readable_document
from palabre.server.store import Store
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

Json = dict[str, Any]
DOCUMENT = "/api/documents/{document_id}"
WHOLE_NUMBER = re.compile(r"[0-9]{1,12}")
UNKNOWN = "?"  # a member the application no longer knows


def history_routes(api: Api, store: Store, index: HistoryIndex) -> list[Route]:
    handlers = HistoryApi(store, index)
    return [
        Route(DOCUMENT + "/history/at", api.endpoint(handlers.text_at), methods=["GET"]),
        Route(DOCUMENT + "/diff", api.endpoint(handlers.diff), methods=["GET"]),
        Route(DOCUMENT + "/authorship", api.endpoint(handlers.authorship), methods=["GET"]),
        Route(DOCUMENT + "/history", api.endpoint(handlers.history), methods=["GET"]),
    ]


# Reading the log ----------------------------------------------------------------------------


class HistoryReader:
    """Synchronous reads of one application's contribution logs; call from the store's
    threads."""

    def __init__(self, application: PalabreApplication, index: HistoryIndex) -> None:
        self._app = application
        self._index = index

    def timestamp(self, document_id: DocumentId, position: int) -> datetime:
        """One event read: cheap, whatever the length of the log."""
        found = next(self._app.contributions(document_id, after=position - 1, upto=position))
        return found.timestamp

    def position_at(self, document_id: DocumentId, when: datetime, inclusive: bool = True) -> int:
        """The last position whose contribution's time is at or before ``when`` (strictly
        before, unless ``inclusive``), by binary search: about log2(count) single reads.
        Contributions are stored in time order, so their times never decrease."""
        low, high = 0, self._app.contribution_count(document_id)
        while low < high:
            middle = (low + high + 1) // 2
            stamp = self.timestamp(document_id, middle)
            if stamp < when or (inclusive and stamp == when):
                low = middle
            else:
                high = middle - 1
        return low

    def authorship(self, document_id: DocumentId, upto: int) -> Authorship:
        """From the history index: the stored runs at or before ``upto`` plus the tail."""
        return self._index.authorship(document_id, upto)

    def member(self, member_id: str) -> MemberInfo | None:
        try:
            return self._app.member(UUID(member_id))
        except NotFound:
            return None

    def authorship_report(self, document_id: DocumentId, at: int | None = None) -> Json:
        """Who wrote what at position ``at`` (default: now), as the HTTP API answers it."""
        upto = self._app.contribution_count(document_id) if at is None else at
        runs = self.authorship(document_id, upto).runs
        people = _people(self.member, {run.author for run in runs})
        return {"position": upto, **authorship_json(runs, people)}

    def sessions_report(self, document_id: DocumentId, wanted: SessionFilter) -> list[Json]:
        """The editing sessions the filter keeps (whole sessions: a period keeps those that
        overlap it), as the HTTP API answers them."""
        found = [s for s in self._index.sessions(document_id) if wanted.overlaps(s)]
        people = _people(self.member, {session.member for session in found})
        return [session_json(s, people[s.member]) for s in found if wanted.keeps(people[s.member])]


# HTTP ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionFilter:
    member: UUID | None = None
    organisation: UUID | None = None
    country: Country | None = None
    start: datetime | None = None
    end: datetime | None = None

    def overlaps(self, session: Session) -> bool:
        return (self.start is None or session.end >= self.start) and (
            self.end is None or session.start <= self.end
        )

    def keeps(self, info: MemberInfo | None) -> bool:
        if self.member is None and self.organisation is None and self.country is None:
            return True
        return info is not None and (
            self.member in (None, info.id)
            and self.organisation in (None, info.organisation.id)
            and self.country in (None, info.organisation.country)
        )


class HistoryApi:
    """Any member with a role on the document may read its history."""

    def __init__(self, store: Store, index: HistoryIndex) -> None:
        self._store = store
        self._index = index
        self._reader = HistoryReader(store.application, index)
        self._diffs = DiffCache()  # the text at a position never changes, nor their diffs

    async def text_at(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        query = request.query_params
        if ("position" in query) == ("time" in query):
            raise InvalidInput("give either ?position=N or ?time=ISO-8601, not both or neither")
        if "position" in query:
            position = await self._position(document_id, query["position"], "position")
        else:
            when = parse_time(query["time"], "time")
            position = await self._store.call(self._reader.position_at, document_id, when)
        text = await text_at(self._store, document_id, position, self._index)
        headers = {"X-Palabre-Position": str(position)}
        return Response(text.encode("utf-8"), media_type=MARKDOWN, headers=headers)

    async def diff(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        old = await self._position(document_id, _required(request, "from"), "from")
        new = await self._position(document_id, _required(request, "to"), "to")
        key = (document_id, "positions", old, new)
        diff = self._diffs.find(key)
        if diff is None:
            before = await text_at(self._store, document_id, old, self._index)
            after = await text_at(self._store, document_id, new, self._index)
            names = f"position {old}", f"position {new}"
            diff = await self._store.call(text_diff.compare, before, after, *names)
            self._diffs.keep(key, diff)
        return JSONResponse(diff_answer(old, new, diff))

    async def authorship(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        raw = request.query_params.get("at")
        at = await self._position(document_id, raw, "at") if raw is not None else None
        return JSONResponse(await self._store.call(self._reader.authorship_report, document_id, at))

    async def history(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        wanted = session_filter(request.query_params)
        found = await self._store.call(self._reader.sessions_report, document_id, wanted)
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


MARKDOWN = "text/markdown; charset=utf-8"


async def text_at(
    store: Store, document_id: DocumentId, position: int, index: HistoryIndex | None = None
) -> str:
    """The Markdown after the first ``position`` contributions: from the history index's
    stored text and changes where it reaches (no engine work), else the latest checkpoint at
    or before it plus the tail, rebuilt in the store's threads."""
    if index is not None:
        found = await store.call(index.text, document_id, position)
        if found is not None:
            return found
    state = await store.load(document_id, upto=position)
    return await store.call(lambda: crdt.rebuild(state.updates()).text)


def diff_json(old: int, new: int, before: str, after: str) -> Json:
    names = f"position {old}", f"position {new}"
    return diff_answer(old, new, text_diff.compare(before, after, *names))


def diff_answer(old: int, new: int, diff: text_diff.TextDiff) -> Json:
    return {
        "from": old,
        "to": new,
        "unified": diff.unified,
        "words": [{"op": s.op, "text": s.text} for s in diff.words],
    }


def authorship_json(runs: list[Run], people: dict[str, MemberInfo | None]) -> Json:
    """Runs with their authors' names, and the characters each member, organisation and
    country wrote, overall and per section (per member)."""
    members: dict[str, int] = {}
    organisations: dict[str, int] = {}
    countries: dict[str, int] = {}
    for run in runs:
        who = person_json(people[run.author])
        for tally, key in ((members, who["member"]), (organisations, who["organisation"])):
            tally[key] = tally.get(key, 0) + len(run.text)
        countries[who["country"]] = countries.get(who["country"], 0) + len(run.text)
    sections: dict[str, dict[str, int]] = {}
    for heading, per_author in shares(runs).items():
        named = sections.setdefault(heading, {})
        for author, chars in per_author.items():
            name = person_json(people[author])["member"]
            named[name] = named.get(name, 0) + chars
    return {
        "runs": [{"text": run.text, **person_json(people[run.author])} for run in runs],
        "shares": {
            "members": members,
            "organisations": organisations,
            "countries": countries,
            "sections": sections,
        },
    }


def session_json(session: Session, info: MemberInfo | None) -> Json:
    return {
        **person_json(info),
        "member_id": session.member,
        "start": session.start,
        "end": session.end,
        "first": session.first,
        "last": session.last,
        "contributions": session.contributions,
        "added": session.added,
        "removed": session.removed,
        "sections": session.sections,
    }


def person_json(info: MemberInfo | None) -> dict[str, str]:
    if info is None:
        return {"member": UNKNOWN, "organisation": UNKNOWN, "country": UNKNOWN}
    organisation = info.organisation  # plain strings: orjson takes no str subclass as a key
    country = organisation.country.value
    return {"member": info.name, "organisation": organisation.name, "country": country}


def _people(
    lookup: Callable[[str], MemberInfo | None], member_ids: set[str]
) -> dict[str, MemberInfo | None]:
    return {member_id: lookup(member_id) for member_id in member_ids}


def session_filter(query: Mapping[str, str]) -> SessionFilter:
    member, organisation, country = (query.get(k) for k in ("member", "organisation", "country"))
    start, end = query.get("from"), query.get("to")
    return SessionFilter(
        member=None if member is None else parse_id(member, "member id"),
        organisation=None if organisation is None else parse_id(organisation, "organisation id"),
        country=None if country is None else Country.parse(country),
        start=None if start is None else parse_time(start, "from"),
        end=None if end is None else parse_time(end, "to"),
    )


def parse_time(raw: str, name: str) -> datetime:
    """An ISO-8601 time with its offset (``Z`` or ``+01:00``): without one, it could be
    Paris or Lomé time, an hour apart in winter."""
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"{name} is an ISO-8601 time, not {raw!r}") from None
    if parsed.tzinfo is None:
        raise InvalidInput(f"{name} needs a time zone offset (Z, +01:00...): {raw!r}")
    return parsed


def _required(request: Request, name: str) -> str:
    raw = request.query_params.get(name)
    if raw is None:
        raise InvalidInput(f"query parameter {name!r} (a position) is required")
    return raw


# OpenAPI ------------------------------------------------------------------------------------


def openapi_paths() -> Json:
    """Path items for ``server/openapi.py`` to merge, with inline schemas; errors refer to its
    shared ``E4xx`` responses."""
    markdown = {
        "description": "The Markdown at that position (its number in `X-Palabre-Position`)",
        "headers": {"X-Palabre-Position": {"schema": {"type": "integer", "minimum": 0}}},
        "content": {MARKDOWN: {"schema": {"type": "string"}}},
    }
    at = _operation(
        "The text after the first N contributions, or as it stood at a time",
        markdown,
        [_query("position", POSITION), _query("time", TIME)],
    )
    diff = _operation(
        "What changed between two positions: a unified line diff and a word diff",
        _json(DIFF),
        [_query("from", POSITION, True), _query("to", POSITION, True)],
    )
    authorship = _operation(
        "Who wrote which characters (by the CRDT's own merge), and each one's share",
        _json(AUTHORSHIP),
        [_query("at", POSITION)],
    )
    history = _operation(
        "Editing sessions: each member's contributions, split by pauses over 5 minutes; "
        "from/to keep the sessions that overlap the period, whole",
        _json(_object({"sessions": {"type": "array", "items": SESSION}})),
        [
            _query("member", ID),
            _query("organisation", ID),
            _query("country", COUNTRY),
            _query("from", TIME),
            _query("to", TIME),
        ],
    )
    parameters = [{"name": "document_id", "in": "path", "required": True, "schema": ID}]
    return {
        DOCUMENT + "/history/at": {"parameters": parameters, "get": at},
        DOCUMENT + "/diff": {"parameters": parameters, "get": diff},
        DOCUMENT + "/authorship": {"parameters": parameters, "get": authorship},
        DOCUMENT + "/history": {"parameters": parameters, "get": history},
    }


def _operation(summary: str, answer: Json, query: list[Json]) -> Json:
    """Every history operation may meet 400 (bad parameter, position beyond the log), 401,
    403 and 404."""
    responses: Json = {"200": answer}
    responses |= {str(c): {"$ref": f"#/components/responses/E{c}"} for c in (400, 401, 403, 404)}
    return {"summary": summary, "parameters": query, "responses": responses}


def _query(name: str, schema: Json, required: bool = False) -> Json:
    return {"name": name, "in": "query", "required": required, "schema": schema}


def _json(schema: Json) -> Json:
    return {"description": "JSON", "content": {"application/json": {"schema": schema}}}


def _object(properties: Json) -> Json:
    return {"type": "object", "properties": properties, "required": list(properties)}


def _counts() -> Json:
    return {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}


ID: Json = {"type": "string", "format": "uuid"}
STRING: Json = {"type": "string"}
TIME: Json = {"type": "string", "format": "date-time"}
POSITION: Json = {"type": "integer", "minimum": 0}
COUNTRY: Json = {"type": "string", "enum": ["FR", "TG"]}
PERSON: Json = {"member": STRING, "organisation": STRING, "country": STRING}
DIFF = _object(
    {
        "from": POSITION,
        "to": POSITION,
        "unified": STRING,
        "words": {
            "type": "array",
            "items": _object(
                {"op": {"type": "string", "enum": ["equal", "insert", "delete"]}, "text": STRING}
            ),
        },
    }
)
AUTHORSHIP = _object(
    {
        "position": POSITION,
        "runs": {"type": "array", "items": _object({"text": STRING, **PERSON})},
        "shares": _object(
            {
                "members": _counts(),
                "organisations": _counts(),
                "countries": _counts(),
                "sections": {"type": "object", "additionalProperties": _counts()},
            }
        ),
    }
)
SESSION = _object(
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
