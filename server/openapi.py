"""``GET /openapi.json``: the OpenAPI 3.1 description of every HTTP endpoint, with the exact
shapes of bodies and answers.

Written by hand, next to the handlers, rather than generated from them: the handlers read
plain JSON objects, so there is nothing to introspect. ``tests/test_openapi.py`` compares it
with the routes the app mounts, both ways, so it cannot drift. The websocket endpoint is not
HTTP; the description's ``info`` points to the README for it.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from palabre.domain.errors import ErrorCode
from palabre.server.audit_http import openapi_paths as audit_openapi_paths
from palabre.server.comments_http import openapi_paths as comment_paths
from palabre.server.export_http import openapi_paths as export_paths
from palabre.server.history_http import openapi_paths as history_paths
from palabre.server.http import JSONResponse
from palabre.server.invitations_http import openapi_paths as invitation_paths
from palabre.server.web import openapi_paths as web_paths
from starlette.requests import Request
from starlette.responses import Response

Json = dict[str, Any]

OPENAPI_VERSION = "3.1.0"
DOCUMENT = "/api/documents/{document_id}"
MEETING = DOCUMENT + "/meetings/{meeting_id}"
PROPOSAL = DOCUMENT + "/proposals/{proposal_id}"
VERSION = DOCUMENT + "/versions/{n}"


async def openapi_json(request: Request) -> Response:
    return JSONResponse(openapi_document())


@functools.cache
def openapi_document() -> Json:
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Palabre",
            "version": "0.1.0",
            "description": (
                "Collaborative editing and validation of the référentiel commun. Errors are "
                '{"error": {"code", "message"}}. Live co-editing is the websocket '
                "ws://HOST/ws/{document_id}?token=TOKEN (y-websocket protocol; see the README)."
            ),
        },
        "paths": _paths()
        | comment_paths()
        | history_paths()
        | export_paths()
        | invitation_paths()
        | web_paths(),
        "components": {
            "schemas": SCHEMAS,
            "responses": _error_responses(),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "queryToken": {"type": "apiKey", "in": "query", "name": "token"},
            },
        },
        "security": [{"bearer": []}],
    }


# Operations --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Op:
    """One operation: its answer is a schema name (JSON) or a ready response object; ``also``
    lists other statuses it may answer (below 400: the same answer; from 400: an error)."""

    method: str
    path: str
    summary: str
    answer: str | Json
    body: str | None = None
    status: int = 200
    public: bool = False
    also: tuple[int, ...] = ()

    def describe(self) -> Json:
        ok = _json_response(self.answer) if isinstance(self.answer, str) else self.answer
        responses: Json = {str(self.status): ok}
        responses |= {str(code): ok for code in self.also if code < 400}
        for code in self.errors():
            responses[str(code)] = {"$ref": f"#/components/responses/E{code}"}
        operation: Json = {"summary": self.summary, "responses": responses}
        if self.body is not None:
            schema = {"schema": _ref(self.body)}
            operation["requestBody"] = {"required": True, "content": {"application/json": schema}}
        if self.public:
            operation["security"] = []
        return operation

    def errors(self) -> list[int]:
        codes = [code for code in self.also if code >= 400]
        if self.public:
            return codes
        codes += [400, 401, 403, 404]  # 400: a malformed id in the path
        if self.method != "GET":
            codes.append(409)  # closed meeting or proposal, concurrent changes
        if self.body is not None:
            codes.append(413)
        return sorted(codes)


def _paths() -> Json:
    paths: Json = {}
    for op in OPERATIONS:
        item = paths.setdefault(op.path, {})
        if "parameters" not in item and _path_parameters(op.path):
            item["parameters"] = _path_parameters(op.path)
        item[op.method.lower()] = op.describe()
    paths[DOCUMENT + "/events"]["get"] |= _events_extras()
    paths |= audit_openapi_paths()
    return paths


def _content(description: str, media_type: str, schema: Json) -> Json:
    return {"description": description, "content": {media_type: {"schema": schema}}}


def _events_extras() -> Json:
    query = {
        "name": "token",
        "in": "query",
        "required": False,
        "description": "The token, for clients that cannot send headers (EventSource)",
        "schema": STRING,
    }
    return {"parameters": [query], "security": [{"bearer": []}, {"queryToken": []}]}


def _json_response(schema: str) -> Json:
    return _content(schema, "application/json", _ref(schema))


def _path_parameters(path: str) -> list[Json]:
    return [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "integer", "minimum": 1} if name in ("n", "m") else ID,
        }
        for name in re.findall(r"{(\w+)}", path)
    ]


def _error_responses() -> Json:
    meanings = {
        400: "invalid input",
        401: "missing, unknown or revoked token",
        403: "the caller's role does not allow this",
        404: "unknown document, member, organisation, meeting or proposal",
        409: "conflicts with the stored state (closed proposal or meeting, concurrent change)",
        413: "request body above 64 KiB",
        503: "the store does not answer",
    }
    return {
        f"E{code}": _content(meaning, "application/json", _ref(_error_schema(code)))
        for code, meaning in meanings.items()
    }


def _error_schema(code: int) -> str:
    return "Unavailable" if code == 503 else "Error"


def _ref(name: str) -> Json:
    return {"$ref": f"#/components/schemas/{name}"}


# Shapes ------------------------------------------------------------------------------------

ID: Json = {"type": "string", "format": "uuid"}
STRING: Json = {"type": "string"}
INTEGER: Json = {"type": "integer"}
BOOLEAN: Json = {"type": "boolean"}
SHA256: Json = {"type": "string", "pattern": "^[0-9a-f]{64}$"}


def _nullable(schema: Json) -> Json:
    return {"oneOf": [schema, {"type": "null"}]}


def _object(properties: Json, optional: tuple[str, ...] = ()) -> Json:
    required = [name for name in properties if name not in optional]
    return {"type": "object", "properties": properties, "required": required}


def _list_of(key: str, schema: str) -> Json:
    return _object({key: {"type": "array", "items": _ref(schema)}})


def _enum(*values: str) -> Json:
    return {"type": "string", "enum": list(values)}


ORGANISATION = {"id": ID, "name": STRING, "country": _ref("Country")}
MEMBER = {
    "id": ID,
    "name": STRING,
    "organisation_id": ID,
    "organisation": STRING,
    "country": _ref("Country"),
    "role": _ref("Role"),
    "votes": BOOLEAN,
    "delegate": BOOLEAN,
    "organisation_votes": BOOLEAN,
}
MEETING_SUMMARY = {
    "id": ID,
    "title": STRING,
    "date": {"type": "string", "format": "date"},
    "status": _enum("open", "closed"),
    "opened_by": _nullable(ID),
    "present": {"type": "array", "items": ID},
    "proposal_ids": {"type": "array", "items": ID},
}
VOTE = {
    "proposal_id": ID,
    "organisation_id": ID,
    "organisation": STRING,
    "country": _ref("Country"),
    "member_id": ID,
    "member": STRING,
    "vote": _enum("approve", "abstain", "object"),
    "reason": STRING,
}
SECRET = ("vote", "reason")  # left out while a secret ballot is open
VERSION_SUMMARY = {
    "number": INTEGER,
    "label": STRING,
    "sha256": SHA256 | {"description": "pinned by the proposal"},
    "rebuilt_sha256": _nullable(SHA256) | {"description": "of the text rebuilt from events"},
    "ok": {"type": "boolean", "description": "the rebuilt text has the pinned SHA-256"},
    "problem": {"type": "string", "description": "why not ok; empty when ok"},
    "position": INTEGER,
    "decision": _enum("accepted"),
    "meeting_id": _nullable(ID),
    "proposal_id": ID,
    "decided_at": {"type": "string", "format": "date-time"},
    "decided_by": _nullable(ID),
    "chain_head": _nullable(SHA256) | {"description": "the audit chain head the decision sealed"},
    "chain_position": _nullable(INTEGER),
}

SCHEMAS: Json = {
    "Error": _object(
        {
            "error": _object(
                {
                    "code": _enum(*(code.value for code in ErrorCode))
                    | {"description": "stable machine code (README, Error codes)"},
                    "message": STRING | {"description": "for developers, in English"},
                }
            )
        }
    ),
    "Health": _object(
        {"status": _enum("ok"), "database": _enum("sqlite", "postgresql"), "rooms": INTEGER}
    ),
    "Unavailable": _object({"status": _enum("unavailable"), "error": STRING}),
    "Country": _enum("FR", "TG"),
    "Role": _enum("coordinator", "editor", "commenter", "observer"),
    "Document": _object(
        {
            "id": ID,
            "title": STRING,
            "created_at": {"type": "string", "format": "date-time"},
            "created_by": _nullable(ID),
            "contributions": INTEGER,
        }
    ),
    "Documents": _list_of("documents", "Document"),
    "NewDocument": _object({"title": STRING}),
    "Organisation": _object(ORGANISATION),
    "Organisations": _list_of("organisations", "Organisation"),
    "NewOrganisation": _object({"name": STRING, "country": _ref("Country")}),
    "DocOrg": _object(ORGANISATION | {"votes": BOOLEAN}),
    "DocOrgs": _list_of("organisations", "DocOrg"),
    "VotingRight": _object({"votes": BOOLEAN}),
    "Member": _object(MEMBER),
    "Members": _list_of("members", "Member"),
    "NewMember": _object(
        {
            "name": STRING,
            "organisation_id": ID,
            "role": _ref("Role"),
            "votes": BOOLEAN | {"default": False},
            "delegate": BOOLEAN | {"default": False, "description": "needs votes"},
        },
        optional=("votes", "delegate"),
    ),
    "IssuedMember": _object(MEMBER | {"token": STRING}),
    "MemberChange": _object({"role": _ref("Role"), "votes": BOOLEAN}, optional=("role", "votes")),
    "RemovedMember": _object(
        {
            "id": ID,
            "role": _nullable(_ref("Role")),
            "active": {"type": "boolean", "description": "false: their token is revoked"},
        }
    ),
    "Rule": _object(
        {
            "quorum": {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "default": 0.5},
            "mode": _enum("majority", "consent") | {"default": "majority"},
            "ballot": _enum("open", "secret") | {"default": "open"},
        },
        optional=("quorum", "mode", "ballot"),
    ),
    "NewMeeting": _object({"title": STRING, "date": {"type": "string", "format": "date"}}),
    "Attendance": _object({"present": {"type": "array", "items": ID}}),
    "MeetingSummary": _object(MEETING_SUMMARY),
    "Meetings": _list_of("meetings", "MeetingSummary"),
    "Meeting": _object(
        MEETING_SUMMARY
        | {
            "attendance": {"type": "array", "items": _ref("AttendanceGroup")},
            "proposals": {"type": "array", "items": _ref("Proposal")},
        }
    ),
    "AttendanceGroup": _object(
        {
            "organisation_id": ID,
            "organisation": STRING,
            "country": _ref("Country"),
            "members": {"type": "array", "items": _object({"id": ID, "name": STRING})},
        }
    ),
    "NewProposal": _object({"label": STRING}),
    "Vote": _object(VOTE, optional=SECRET),
    "CastVote": _object(VOTE | {"voted": INTEGER}, optional=SECRET),
    "NewVote": _object(
        {
            "vote": _enum("approve", "abstain", "object"),
            "reason": _nullable(STRING) | {"description": "required with object"},
        },
        optional=("reason",),
    ),
    "Tally": _object(
        {
            "rule": _ref("Rule"),
            "voting_organisations": INTEGER,
            "voted": INTEGER,
            "quorum_met": BOOLEAN,
            "approve": INTEGER,
            "abstain": INTEGER,
            "object": INTEGER,
            "votes": {
                "type": "object",
                "description": "by organisation id: the vote that counted",
                "additionalProperties": _object(
                    {"member": ID, "vote": _enum("approve", "abstain", "object"), "reason": STRING}
                ),
            },
        }
    ),
    "Proposal": _object(
        {
            "id": ID,
            "number": INTEGER,
            "label": STRING,
            "position": INTEGER,
            "sha256": SHA256,
            "meeting_id": _nullable(ID),
            "opened_by": _nullable(ID),
            "opened_at": _nullable({"type": "string", "format": "date-time"})
            | {"description": "when the text was pinned (null if stored before it was recorded)"},
            "status": _enum("open", "closed"),
            "ballot": _enum("open", "secret"),
            "votes": {"type": "array", "items": _ref("Vote")},
            "casts": INTEGER,
            "decision": _nullable(_enum("accepted", "rejected")),
            "version": _nullable(INTEGER),
            "tally": _nullable(_ref("Tally")),
            "closed_by": _nullable(ID),
        }
    ),
    "Proposals": _list_of("proposals", "Proposal"),
    "VersionSummary": _object(VERSION_SUMMARY),
    "Versions": _list_of("versions", "VersionSummary"),
    "Version": _object(VERSION_SUMMARY | {"tally": _ref("Tally"), "markdown": STRING}),
    "Diff": _object(
        {
            "from": INTEGER,
            "to": INTEGER,
            "from_sha256": SHA256,
            "to_sha256": SHA256,
            "unified": STRING,
            "words": {
                "type": "array",
                "items": _object({"op": _enum("equal", "insert", "delete"), "text": STRING}),
            },
        }
    ),
}


MARKDOWN = _content("Markdown, UTF-8", "text/markdown; charset=utf-8", STRING)
EVENTS = _content(
    "Server-sent events, one JSON object per `data:` line. `ready` opens the stream; then "
    "`meeting.opened`, `meeting.closed` (MeetingSummary), `attendance.recorded` "
    "({meeting_id, present, attendance}), `proposal.opened`, `proposal.closed` (Proposal), "
    "`vote.cast` (CastVote; without vote and reason under a secret ballot), `rule.set` (Rule), "
    "`organisation.voting` (DocOrg), `member.added`, `member.changed` (Member), "
    "`member.removed` (RemovedMember); `end` ({reason}) when the server ends the stream. A "
    "`: keep-alive` comment comes every 15 s. Only this server process's HTTP commands are "
    "pushed (not the CLI's, not another instance's); nothing is replayed.",
    "text/event-stream",
    STRING,
)
OPENAPI = _content("This description", "application/json", {"type": "object"})

OPERATIONS = (
    Op(
        "GET",
        "/healthz",
        "Service health; 503 when the store does not answer",
        "Health",
        public=True,
        also=(503,),
    ),
    Op("GET", "/openapi.json", "This OpenAPI description", OPENAPI, public=True),
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
    Op("GET", DOCUMENT + "/text", "The current text", MARKDOWN),
    # Organisations, members, voting rights, rule.
    Op("GET", "/api/organisations", "Every organisation", "Organisations"),
    Op(
        "POST",
        "/api/organisations",
        "Register an organisation (coordinators of every document); 200 if it exists already",
        "Organisation",
        body="NewOrganisation",
        status=201,
        also=(200,),
    ),
    Op("GET", DOCUMENT + "/organisations", "Organisations with members or a vote here", "DocOrgs"),
    Op(
        "PUT",
        DOCUMENT + "/organisations/{organisation_id}",
        "Give or take an organisation's vote on this document",
        "DocOrg",
        body="VotingRight",
    ),
    Op("GET", DOCUMENT + "/members", "Members with a role on this document", "Members"),
    Op(
        "POST",
        DOCUMENT + "/members",
        "Add a member; the token is shown once",
        "IssuedMember",
        body="NewMember",
        status=201,
    ),
    Op(
        "PATCH",
        DOCUMENT + "/members/{member_id}",
        "Change a member's role or vote (left-out fields stay); a new role closes their "
        "live connections with 4205",
        "Member",
        body="MemberChange",
    ),
    Op(
        "DELETE",
        DOCUMENT + "/members/{member_id}",
        "Remove a member's role here; their live connections close with 4403",
        "RemovedMember",
    ),
    Op("GET", DOCUMENT + "/rule", "The decision rule", "Rule"),
    Op("PUT", DOCUMENT + "/rule", "Set the decision rule", "Rule", body="Rule"),
    # Meetings, proposals, votes, decisions.
    Op("GET", DOCUMENT + "/meetings", "Meetings, oldest first", "Meetings"),
    Op("POST", DOCUMENT + "/meetings", "Open a meeting", "Meeting", body="NewMeeting", status=201),
    Op("GET", MEETING, "A meeting's record", "Meeting"),
    Op("PUT", MEETING + "/attendance", "Record who is present", "Meeting", body="Attendance"),
    Op("POST", MEETING + "/close", "Close a meeting", "Meeting"),
    Op("GET", MEETING + "/minutes", "The meeting's minutes, in French", MARKDOWN),
    Op("GET", DOCUMENT + "/proposals", "Proposals, oldest first", "Proposals"),
    Op(
        "POST",
        DOCUMENT + "/proposals",
        "Propose the text as it stands now",
        "Proposal",
        body="NewProposal",
        status=201,
    ),
    Op("GET", PROPOSAL, "One proposal", "Proposal"),
    Op(
        "POST",
        PROPOSAL + "/votes",
        "Vote for your organisation; the last vote counts",
        "CastVote",
        body="NewVote",
        status=201,
    ),
    Op("POST", PROPOSAL + "/close", "Close a proposal: its decision", "Proposal"),
    Op("GET", DOCUMENT + "/events", "The document's committee events, live", EVENTS),
    # Approved versions.
    Op("GET", DOCUMENT + "/versions", "Approved versions, v1 first", "Versions"),
    Op("GET", VERSION, "One approved version, rebuilt from the events and checked", "Version"),
    Op("GET", VERSION + "/diff/{m}", "What changed from version n to version m", "Diff"),
)
