"""The OpenAPI description of suggestions and of the committee's votes on amendments
(``suggestions.py`` and ``amendments.py`` serve them), for ``openapi.py`` to merge: the named
shapes of bodies and answers (``SCHEMAS``, under ``components``) and the operations, each
with what it may meet. Every POST takes an ``Idempotency-Key``."""

from __future__ import annotations

from palabre.domain.amendments import MAX_AMENDMENTS
from palabre.domain.committee import MAX_REASON_LENGTH
from palabre.domain.shapes import Json
from palabre.domain.suggestion import MAX_PASSAGE, MAX_REASON, MAX_SECTION, STATUSES
from palabre.server.http.comments import AUTHOR, POSITIONS, REPLY
from palabre.server.http.schema import (
    ID,
    INTEGER,
    TIME,
    Op,
    array,
    enum,
    nullable,
    obj,
    paths_of,
    query,
    ref,
)

SUGGESTIONS = "/api/documents/{document_id}/suggestions"
SUGGESTION = SUGGESTIONS + "/{suggestion_id}"
AMENDMENTS = "/api/documents/{document_id}/amendments"
AMENDMENTS_VOTE = AMENDMENTS + "/{amendments_id}"

CHOICE = enum("approve", "abstain", "object")
STATUS = enum(*STATUSES)
TEXT: Json = {"type": "string"}


def _text(limit: int, least: int = 0) -> Json:
    return TEXT | {"maxLength": limit} | ({"minLength": least} if least else {})


def _post(path: str, summary: str, answer: str, body: str | None = None, status: int = 200) -> Op:
    return Op("POST", path, summary, answer, body=body, status=status, idempotent=True)


OPERATIONS = (
    Op(
        "GET",
        SUGGESTIONS,
        "The document's suggestions, oldest first, with `range` and `conflict` computed now",
        "Suggestions",
        query=(query("status", STATUS),),
    ),
    _post(
        SUGGESTIONS,
        "Suggest a replacement of a passage (coordinators, editors, commenters); 409 when "
        "the passage does not read as quoted now",
        "Suggestion",
        "NewSuggestion",
        201,
    ),
    Op("GET", SUGGESTION, "One suggestion", "Suggestion"),
    Op(
        "PATCH",
        SUGGESTION,
        "Change your own open suggestion: passage, replacement, reason",
        "Suggestion",
        body="NewSuggestion",
    ),
    _post(SUGGESTION + "/replies", "Reply to a suggestion", "SuggestionReplied", "NewReply", 201),
    _post(
        SUGGESTION + "/accept",
        "Accept: the replacement is written into the text, credited to the suggester (the "
        "passage's authors who edit, or a coordinator); 409 once decided, or when the passage "
        "changed meanwhile",
        "Suggestion",
    ),
    _post(
        SUGGESTION + "/reject",
        "Reject, with a reason (the passage's authors who edit, or a coordinator)",
        "Suggestion",
        "Rejection",
    ),
    _post(SUGGESTION + "/withdraw", "Withdraw your own open suggestion", "Suggestion"),
    Op("GET", AMENDMENTS, "The document's votes on amendments, oldest first", "AmendmentsVotes"),
    _post(
        AMENDMENTS,
        "Put open suggestions to the committee in the open meeting, in this order "
        "(coordinators); 409 without an open meeting or for a decided suggestion",
        "AmendmentsVote",
        "NewAmendments",
        201,
    ),
    Op("GET", AMENDMENTS_VOTE, "One vote on amendments", "AmendmentsVote"),
    _post(
        AMENDMENTS_VOTE + "/votes",
        "Vote on one amendment for your organisation; the last vote counts",
        "AmendmentsVote",
        "NewAmendmentVote",
        201,
    ),
    _post(
        AMENDMENTS_VOTE + "/close",
        "Decide every amendment under the vote's rule and write the accepted ones into the "
        "text, in order (coordinators); again on a closed vote: write what is left",
        "AmendmentsVote",
    ),
)


def openapi_paths() -> Json:
    """The path items of suggestions and amendments, for ``openapi.py`` to merge."""
    return paths_of(OPERATIONS)


SUGGESTION_FIELDS: Json = {
    "id": ID,
    "document_id": ID,
    "status": STATUS,
    "author": AUTHOR,
    "quote": TEXT,
    "replacement": TEXT,
    "reason": TEXT,
    "section": TEXT,
    "anchor": nullable(POSITIONS),
    "range": nullable(obj({"start": INTEGER, "end": INTEGER})),
    "conflict": {"type": "boolean"},
    "passage_authors": array(ID),
    "created_at": TIME,
    "revised_at": nullable(TIME),
    "decided_by": nullable(AUTHOR),
    "decided_at": nullable(TIME),
    "decision_reason": TEXT,
    "position": nullable(INTEGER),
    "amendments_id": nullable(ID),
    "before_committee": {"type": "boolean"},
    "replies": array(REPLY),
}
CAST = obj(
    {
        "suggestion_id": ID,
        "organisation_id": ID,
        "organisation": TEXT,
        "country": TEXT,
        "member_id": ID,
        "member": TEXT,
        "vote": CHOICE,
        "reason": TEXT,
    },
    ("vote", "reason"),  # hidden under a secret ballot until the vote closes
)
AMENDMENT = obj(
    {
        "suggestion_id": ID,
        "author": AUTHOR,
        "quote": TEXT,
        "replacement": TEXT,
        "status": STATUS,
        "votes": array(CAST),
        "casts": INTEGER,
        "decision": nullable(enum("accepted", "rejected")),
        "tally": nullable(ref("Tally")),
    }
)
SCHEMAS: Json = {
    "Suggestion": obj(SUGGESTION_FIELDS),
    "Suggestions": obj({"suggestions": array(ref("Suggestion"))}),
    "SuggestionReplied": obj(SUGGESTION_FIELDS | {"reply": REPLY}),
    "NewSuggestion": obj(
        {
            "quote": _text(MAX_PASSAGE),
            "replacement": _text(MAX_PASSAGE),
            "reason": _text(MAX_REASON),
            "section": _text(MAX_SECTION),
            "anchor": POSITIONS,
        },
        ("reason", "section", "anchor"),
    ),
    "NewReply": obj({"body": _text(10_000)}),
    "Rejection": obj({"reason": _text(MAX_REASON, least=1)}),
    "AmendmentsVote": obj(
        {
            "id": ID,
            "document_id": ID,
            "meeting_id": ID,
            "status": enum("open", "closed"),
            "rule": ref("Rule"),
            "opened_by": nullable(ID),
            "opened_at": TIME,
            "closed_by": nullable(ID),
            "closed_at": nullable(TIME),
            "amendments": array(AMENDMENT),
        }
    ),
    "AmendmentsVotes": obj({"amendments": array(ref("AmendmentsVote"))}),
    "NewAmendments": obj(
        {"suggestion_ids": array(ID) | {"minItems": 1, "maxItems": MAX_AMENDMENTS}}
    ),
    "NewAmendmentVote": obj(
        {"suggestion_id": ID, "vote": CHOICE, "reason": _text(MAX_REASON_LENGTH)}, ("reason",)
    ),
}
