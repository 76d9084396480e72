"""The OpenAPI description of interviews, their links and the coverage of sources
(``interviews.py`` serves them), for ``openapi.py`` to merge: the shapes of bodies and
answers, and what each operation may meet."""

from __future__ import annotations

from palabre.domain.interview_details import (
    MAX_ATTACHMENTS,
    MAX_LEADERS,
    MAX_LINE,
    MAX_NOTES,
    MAX_ORGANISATIONS,
    MAX_PEOPLE,
    MAX_SUMMARY,
    MODES,
)
from palabre.domain.shapes import Json
from palabre.server.http.comments import AUTHOR, POSITIONS
from palabre.server.http.schema import (
    BOOLEAN,
    COUNTRY,
    DATE,
    ID,
    INTEGER,
    READS,
    SHA256,
    STRING,
    TIME,
    array,
    changes,
    enum,
    json_answer,
    nullable,
    obj,
    operation,
    path_item,
)

INTERVIEWS = "/api/documents/{document_id}/interviews"
INTERVIEW = INTERVIEWS + "/{interview_id}"
LINKS = INTERVIEW + "/links"
LINK = LINKS + "/{link_id}"
SOURCES = "/api/documents/{document_id}/sources"


def openapi_paths() -> Json:
    listing = operation(
        "The document's interviews, oldest first (notes only for those who may read them)",
        json_answer(obj({"interviews": array(INTERVIEW_ANSWER)})),
        failures=READS,
    )
    record = operation(
        "Record an interview (coordinators, and the members who led it)",
        json_answer(INTERVIEW_ANSWER),
        status=201,
        body=NEW_INTERVIEW,
        failures=changes(),
    )
    revise = operation(
        "Change an interview's fields or notes (coordinators and its interviewers)",
        json_answer(INTERVIEW_ANSWER),
        body=REVISION,
        failures=changes(),
    )
    link = operation(
        "Link a passage of the text to the interview (coordinators, editors, its interviewers)",
        json_answer(LINK_ANSWER),
        status=201,
        body=NEW_LINK,
        failures=changes(),
    )
    unlink = operation(
        "Undo a link (its author, a coordinator, an interviewer)",
        json_answer(INTERVIEW_ANSWER),
        failures=changes(body=False),
    )
    sources = operation(
        "Coverage and balance of sources: per section, per organisation, per interview",
        json_answer(SOURCES_ANSWER),
        failures=READS,
    )
    one = operation("One interview", json_answer(INTERVIEW_ANSWER), failures=READS)
    return (
        path_item(INTERVIEWS, get=listing, post=record)
        | path_item(INTERVIEW, get=one, patch=revise)
        | path_item(LINKS, post=link)
        | path_item(LINK, delete=unlink)
        | path_item(SOURCES, get=sources)
    )


ORGANISATION: Json = obj({"id": ID, "name": STRING, "country": STRING})
MODE = enum(*MODES)
LINE: Json = {"type": "string", "maxLength": MAX_LINE}
PERSON_MET = obj(
    {"name": nullable(LINE), "function": nullable(LINE), "organisation_id": nullable(ID)},
    optional=("name", "function", "organisation_id"),
)
ATTACHMENT = obj({"name": LINE, "sha256": SHA256})
FIELDS: Json = {
    "organisation_ids": array(ID) | {"minItems": 1, "maxItems": MAX_ORGANISATIONS},
    "date": DATE,
    "mode": MODE,
    "place": LINE,
    "led_by": array(ID)
    | {"minItems": 1, "maxItems": MAX_LEADERS, "description": "members with a role"},
    "people": array(PERSON_MET) | {"maxItems": MAX_PEOPLE},
    "summary": {"type": "string", "maxLength": MAX_SUMMARY, "description": "Markdown"},
    "notes": nullable({"type": "string", "maxLength": MAX_NOTES})
    | {"description": "Markdown; kept in the notes vault, sealed into the events"},
    "attachments": array(ATTACHMENT) | {"maxItems": MAX_ATTACHMENTS},
    "quotable": BOOLEAN | {"default": False},
    "confidential": BOOLEAN
    | {"default": True, "description": "only coordinators and its interviewers read the notes"},
}
NEW_INTERVIEW = obj(
    FIELDS,
    optional=("place", "people", "summary", "notes", "attachments", "quotable", "confidential"),
)
REVISION = obj(FIELDS, optional=tuple(FIELDS))
NEW_LINK = obj(
    {
        "quote": {"type": "string", "maxLength": 2_000},
        "section": {"type": "string", "maxLength": 300},
        "anchor": POSITIONS,
    },
    ("section", "anchor"),
)
LINK_ANSWER = obj(
    {
        "id": ID,
        "interview_id": ID,
        "quote": STRING,
        "section": STRING,
        "anchor": nullable(POSITIONS),
        "range": nullable(obj({"start": INTEGER, "end": INTEGER})),
        "detached": BOOLEAN,
        "by": nullable(AUTHOR),
        "created_at": TIME,
    }
)
INTERVIEW_ANSWER = obj(
    {
        "id": ID,
        "document_id": ID,
        "organisation_ids": array(ID),
        "organisations": array(ORGANISATION),
        "countries": array(COUNTRY),
        "date": DATE,
        "mode": MODE,
        "place": STRING,
        "led_by": array(AUTHOR),
        "people": array(PERSON_MET),
        "summary": STRING,
        "notes": nullable(STRING) | {"description": "null unless the caller may read them"},
        "notes_visible": BOOLEAN,
        "notes_problem": enum("", "missing", "altered"),
        "notes_seal": nullable(SHA256)
        | {"description": "SHA-256 of the notes' nonce and text, as the events record it"},
        "attachments": array(ATTACHMENT),
        "quotable": BOOLEAN,
        "confidential": BOOLEAN,
        "recorded_by": nullable(ID),
        "created_at": TIME,
        "edited_at": nullable(TIME),
        "links": array(LINK_ANSWER),
    }
)
COUNTS = obj({"FR": INTEGER, "TG": INTEGER})
SOURCES_ANSWER = obj(
    {
        "sections": array(
            obj(
                {
                    "heading": STRING,
                    "interviews": array(ID),
                    "organisations": array(ORGANISATION),
                    "countries": COUNTS,
                    "links": INTEGER,
                }
            )
        ),
        "organisations": array(
            obj(
                {
                    "id": ID,
                    "name": STRING,
                    "country": STRING,
                    "committee": BOOLEAN,
                    "interviewed": BOOLEAN,
                    "interviews": array(ID),
                    "cited": BOOLEAN,
                    "sections": array(STRING),
                }
            )
        ),
        "interviews": array(
            obj(
                {
                    "id": ID,
                    "date": DATE,
                    "mode": MODE,
                    "organisations": array(ORGANISATION),
                    "countries": array(COUNTRY),
                    "quotable": BOOLEAN,
                    "links": INTEGER,
                    "sections": array(STRING),
                }
            )
        ),
        "countries": COUNTS,
    }
)
