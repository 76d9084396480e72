"""``GET /openapi.json``: the OpenAPI 3.1 description of every HTTP endpoint, with the exact
shapes of bodies and answers.

Written by hand, next to the handlers, rather than generated from them: the handlers read
plain JSON objects, so there is nothing to introspect. ``tests/test_openapi.py`` compares it
with the routes the app mounts, both ways, so it cannot drift. The websocket endpoint is not
HTTP; the description's ``info`` points to the README for it.
"""

from __future__ import annotations

import functools

from palabre.domain.errors import ErrorCode
from palabre.domain.shapes import Json
from palabre.server.http.audit import openapi_paths as audit_openapi_paths
from palabre.server.http.changes import openapi_paths as changes_paths
from palabre.server.http.comments import openapi_paths as comment_paths
from palabre.server.http.documents import openapi_paths as documents_paths
from palabre.server.http.events import openapi_paths as events_paths
from palabre.server.http.export import openapi_paths as export_paths
from palabre.server.http.history import openapi_paths as history_paths
from palabre.server.http.interview_schema import openapi_paths as interview_paths
from palabre.server.http.invitations import openapi_paths as invitation_paths
from palabre.server.http.meetings import openapi_paths as meetings_paths
from palabre.server.http.members import openapi_paths as members_paths
from palabre.server.http.operations import openapi_paths as operations_paths
from palabre.server.http.plumbing import JSONResponse
from palabre.server.http.schema import (
    BOOLEAN,
    ID,
    INTEGER,
    JSON,
    SHA256,
    STRING,
    Op,
    array,
    content,
    enum,
    nullable,
    obj,
    paths_of,
    ref,
)
from palabre.server.http.suggestion_schema import SCHEMAS as SUGGESTION_SCHEMAS
from palabre.server.http.suggestion_schema import openapi_paths as suggestions_paths
from palabre.server.http.versions import openapi_paths as versions_paths
from palabre.server.http.web import openapi_paths as web_paths
from starlette.requests import Request
from starlette.responses import Response

OPENAPI_VERSION = "3.1.0"


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
        "paths": paths_of([OPENAPI_JSON])
        | documents_paths()
        | operations_paths()
        | members_paths()
        | meetings_paths()
        | events_paths()
        | versions_paths()
        | changes_paths()
        | audit_openapi_paths()
        | comment_paths()
        | suggestions_paths()
        | interview_paths()
        | history_paths()
        | export_paths()
        | invitation_paths()
        | web_paths(),
        "components": {
            "schemas": SCHEMAS | SUGGESTION_SCHEMAS,
            "responses": _error_responses(),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "queryToken": {"type": "apiKey", "in": "query", "name": "token"},
            },
        },
        "security": [{"bearer": []}],
    }


# Operations --------------------------------------------------------------------------------


def _error_responses() -> Json:
    meanings = {
        400: "invalid input",
        401: "missing, unknown or revoked token",
        403: "the caller's role does not allow this",
        404: "unknown document, member, organisation, meeting, proposal, comment, interview...",
        409: "conflicts with the stored state (closed proposal or meeting, concurrent change)",
        413: "request body above 64 KiB",
        503: "the store does not answer",
    }
    return {
        f"E{code}": content(meaning, "application/json", ref(_error_schema(code)))
        for code, meaning in meanings.items()
    }


def _error_schema(code: int) -> str:
    return "Unavailable" if code == 503 else "Error"


# Shapes ------------------------------------------------------------------------------------


ORGANISATION = {"id": ID, "name": STRING, "country": ref("Country")}
MEMBER = {
    "id": ID,
    "name": STRING,
    "organisation_id": ID,
    "organisation": STRING,
    "country": ref("Country"),
    "role": ref("Role"),
    "votes": BOOLEAN,
    "delegate": BOOLEAN,
    "organisation_votes": BOOLEAN,
}
MEETING_SUMMARY = {
    "id": ID,
    "title": STRING,
    "date": {"type": "string", "format": "date"},
    "status": enum("open", "closed"),
    "opened_by": nullable(ID),
    "present": array(ID),
    "proposal_ids": array(ID),
}
VOTE = {
    "proposal_id": ID,
    "organisation_id": ID,
    "organisation": STRING,
    "country": ref("Country"),
    "member_id": ID,
    "member": STRING,
    "vote": enum("approve", "abstain", "object"),
    "reason": STRING,
}
SECRET = ("vote", "reason")  # left out while a secret ballot is open
VERSION_SUMMARY = {
    "number": INTEGER,
    "label": STRING,
    "sha256": SHA256 | {"description": "pinned by the proposal"},
    "rebuilt_sha256": nullable(SHA256) | {"description": "of the text rebuilt from events"},
    "ok": {"type": "boolean", "description": "the rebuilt text has the pinned SHA-256"},
    "problem": {"type": "string", "description": "why not ok; empty when ok"},
    "position": INTEGER,
    "decision": enum("accepted"),
    "meeting_id": nullable(ID),
    "proposal_id": ID,
    "decided_at": {"type": "string", "format": "date-time"},
    "decided_by": nullable(ID),
    "chain_head": nullable(SHA256) | {"description": "the audit chain head the decision sealed"},
    "chain_position": nullable(INTEGER),
}

SCHEMAS: Json = {
    "Error": obj(
        {
            "error": obj(
                {
                    "code": enum(*(code.value for code in ErrorCode))
                    | {"description": "stable machine code (README, Error codes)"},
                    "message": STRING | {"description": "for developers, in English"},
                }
            )
        }
    ),
    "Health": obj(
        {"status": enum("ok"), "database": enum("sqlite", "postgresql"), "rooms": INTEGER}
    ),
    "Unavailable": obj({"status": enum("unavailable"), "error": STRING}),
    "Country": enum("FR", "TG"),
    "Role": enum("coordinator", "editor", "commenter", "observer"),
    "Document": obj(
        {
            "id": ID,
            "title": STRING,
            "created_at": {"type": "string", "format": "date-time"},
            "created_by": nullable(ID),
            "contributions": INTEGER,
        }
    ),
    "Documents": obj({"documents": array(ref("Document"))}),
    "NewDocument": obj({"title": STRING}),
    "Organisation": obj(ORGANISATION),
    "Organisations": obj({"organisations": array(ref("Organisation"))}),
    "NewOrganisation": obj({"name": STRING, "country": ref("Country")}),
    "DocOrg": obj(ORGANISATION | {"votes": BOOLEAN}),
    "DocOrgs": obj({"organisations": array(ref("DocOrg"))}),
    "VotingRight": obj({"votes": BOOLEAN}),
    "Member": obj(MEMBER),
    "Members": obj({"members": array(ref("Member"))}),
    "NewMember": obj(
        {
            "name": STRING,
            "organisation_id": ID,
            "role": ref("Role"),
            "votes": BOOLEAN | {"default": False},
            "delegate": BOOLEAN | {"default": False, "description": "needs votes"},
        },
        optional=("votes", "delegate"),
    ),
    "IssuedMember": obj(MEMBER | {"token": STRING}),
    "MemberChange": obj({"role": ref("Role"), "votes": BOOLEAN}, optional=("role", "votes")),
    "RemovedMember": obj(
        {
            "id": ID,
            "role": nullable(ref("Role")),
            "active": {"type": "boolean", "description": "false: their token is revoked"},
        }
    ),
    "Rule": obj(
        {
            "quorum": {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "default": 0.5},
            "mode": enum("majority", "consent") | {"default": "majority"},
            "ballot": enum("open", "secret") | {"default": "open"},
        },
        optional=("quorum", "mode", "ballot"),
    ),
    "NewMeeting": obj({"title": STRING, "date": {"type": "string", "format": "date"}}),
    "Attendance": obj({"present": array(ID)}),
    "MeetingSummary": obj(MEETING_SUMMARY),
    "Meetings": obj({"meetings": array(ref("MeetingSummary"))}),
    "Meeting": obj(
        MEETING_SUMMARY
        | {
            "attendance": array(ref("AttendanceGroup")),
            "proposals": array(ref("Proposal")),
        }
    ),
    "AttendanceGroup": obj(
        {
            "organisation_id": ID,
            "organisation": STRING,
            "country": ref("Country"),
            "members": array(obj({"id": ID, "name": STRING})),
        }
    ),
    "NewProposal": obj({"label": STRING}),
    "Vote": obj(VOTE, optional=SECRET),
    "CastVote": obj(VOTE | {"voted": INTEGER}, optional=SECRET),
    "NewVote": obj(
        {
            "vote": enum("approve", "abstain", "object"),
            "reason": nullable(STRING) | {"description": "required with object"},
        },
        optional=("reason",),
    ),
    "Tally": obj(
        {
            "rule": ref("Rule"),
            "voting_organisations": INTEGER,
            "voted": INTEGER,
            "quorum_met": BOOLEAN,
            "approve": INTEGER,
            "abstain": INTEGER,
            "object": INTEGER,
            "votes": {
                "type": "object",
                "description": "by organisation id: the vote that counted",
                "additionalProperties": obj(
                    {"member": ID, "vote": enum("approve", "abstain", "object"), "reason": STRING}
                ),
            },
        }
    ),
    "Proposal": obj(
        {
            "id": ID,
            "number": INTEGER,
            "label": STRING,
            "position": INTEGER,
            "sha256": SHA256,
            "meeting_id": nullable(ID),
            "opened_by": nullable(ID),
            "opened_at": nullable({"type": "string", "format": "date-time"})
            | {"description": "when the text was pinned (the proposal's event time)"},
            "status": enum("open", "closed"),
            "ballot": enum("open", "secret"),
            "votes": array(ref("Vote")),
            "casts": INTEGER,
            "decision": nullable(enum("accepted", "rejected")),
            "version": nullable(INTEGER),
            "tally": nullable(ref("Tally")),
            "closed_by": nullable(ID),
        }
    ),
    "Proposals": obj({"proposals": array(ref("Proposal"))}),
    "VersionSummary": obj(VERSION_SUMMARY),
    "Versions": obj({"versions": array(ref("VersionSummary"))}),
    "Version": obj(VERSION_SUMMARY | {"tally": ref("Tally"), "markdown": STRING}),
    "Diff": obj(
        {
            "from": INTEGER,
            "to": INTEGER,
            "from_sha256": SHA256,
            "to_sha256": SHA256,
            "unified": STRING,
            "words": {
                "type": "array",
                "items": obj({"op": enum("equal", "insert", "delete"), "text": STRING}),
            },
        }
    ),
}


OPENAPI_JSON = Op(
    "GET",
    "/openapi.json",
    "This OpenAPI description",
    content("This description", JSON, {"type": "object"}),
    public=True,
)
