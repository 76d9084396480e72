"""``GET /api/documents/{document_id}/versions/{n}/changes/{m}``: the change note between two
approved versions, or (``m`` = ``current``) between version n and the current text, in French
or English, with the facts it says (``answers/changes.py``, ``answers/change_note.py``); and
``GET .../proposals/{proposal_id}/changes``: from the last version before a proposal to the
text it pinned, what the committee panel shows beside the proposal's diff.

Any member with a role on the document may read it. Gathering runs in the store's threads;
for ``current``, this instance's live room is stored first, as a proposal does.
"""

from __future__ import annotations

from palabre.domain.application import MemberInfo
from palabre.domain.shapes import Json
from palabre.server.answers.change_note import change_note, note_options
from palabre.server.answers.changes import Changes, changes_json, wanted_version
from palabre.server.http.plumbing import Authenticated, JSONResponse, path_id, readable_document
from palabre.server.http.schema import (
    INTEGER,
    READS,
    STRING,
    TIME,
    array,
    enum,
    json_answer,
    nullable,
    obj,
    operation,
    path_item,
    query,
)
from palabre.server.storage.store import Store
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

PATH = "/api/documents/{document_id}/versions/{n}/changes/{m}"
PROPOSAL = "/api/documents/{document_id}/proposals/{proposal_id}/changes"


class ChangesApi:
    def __init__(self, store: Store, changes: Changes) -> None:
        self._store = store
        self._changes = changes

    def routes(self, endpoint: Authenticated) -> list[Route]:
        return [
            Route(PATH, endpoint(self.changes), methods=["GET"]),
            Route(PROPOSAL, endpoint(self.proposal_changes), methods=["GET"]),
        ]

    async def changes(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        old = wanted_version(request.path_params["n"], "n")
        new = wanted_version(request.path_params["m"], "m")
        lang, where = note_options(request.query_params)
        assert old is not None
        facts = await self._changes.facts(document_id, old, new)
        return JSONResponse(changes_json(facts, change_note(facts, lang, where)))

    async def proposal_changes(self, request: Request, member: MemberInfo) -> Response:
        """What a proposal would change (or changed) since the version before it."""
        document_id = await readable_document(self._store, request, member)
        proposal_id = str(path_id(request, "proposal_id", "proposal id"))
        lang, where = note_options(request.query_params)
        facts = await self._changes.facts_for_proposal(document_id, proposal_id)
        return JSONResponse(changes_json(facts, change_note(facts, lang, where)))


def openapi_paths() -> Json:
    contribution = {"organisation": STRING, "country": STRING, "characters": INTEGER}
    answer = obj(
        {
            "from": INTEGER,
            "to": {"oneOf": [INTEGER, enum("current"), {"type": "null"}]}
            | {"description": "null for a proposal's text"},
            "proposal": nullable(INTEGER) | {"description": "the proposal's number"},
            "from_position": INTEGER,
            "to_position": INTEGER,
            "text": STRING | {"description": "the change note, Markdown"},
            "sections": array(
                obj(
                    {
                        "heading": STRING,
                        "change": enum("added", "removed", "renamed", "modified"),
                        "words": INTEGER,
                        "added": INTEGER,
                        "removed": INTEGER,
                        "previous": nullable(STRING),
                        "organisations": array(obj(contribution)),
                    }
                )
            ),
            "unchanged": INTEGER,
            "organisations": array(obj(contribution | {"sections": array(STRING)})),
            "comments_resolved": array(
                obj({"id": STRING, "section": STRING, "quote": STRING, "resolved_at": TIME})
            ),
            "amendments": array(obj({"section": STRING, "summary": STRING, "accepted_at": TIME})),
        }
    )
    note = operation(
        "The change note from version n to version m (or the current text), in French or English",
        json_answer(answer),
        parameters=[query("lang", enum("fr", "en")), query("tz", STRING)],
        failures=(*READS, 503),
    )
    proposed = operation(
        "The change note from the last version before the proposal to the text it pinned",
        json_answer(answer),
        parameters=[query("lang", enum("fr", "en")), query("tz", STRING)],
        failures=READS,
    )
    item = path_item(PATH, get=note)
    for parameter in item[PATH]["parameters"]:
        if parameter["name"] == "m":
            parameter["schema"] = {"oneOf": [{"type": "integer", "minimum": 1}, enum("current")]}
    return item | path_item(PROPOSAL, get=proposed)
