"""Interviews as answers, for HTTP and the live channel: the details with the names of the
organisations heard and of the interviewers, the links with where their passages stand in the
live text now (``range``, or ``detached`` once their text was deleted), and the notes only as
the caller's :class:`~palabre.domain.notes.NotesReading` allows.

The notes reach an answer only through a reading the domain made for the acting member
(``PalabreApplication.notes_for``); without one (the live channel, whose events go to every
subscriber alike) they are hidden. A missing reading hides them too: failing closed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from uuid import UUID

from palabre.domain.application import PalabreApplication
from palabre.domain.errors import NotFound
from palabre.domain.ids import DocumentId
from palabre.domain.interview import InterviewRecord, Link
from palabre.domain.notes import HIDDEN, NotesReading
from palabre.domain.shapes import Json
from palabre.server.answers.comments import author_json
from palabre.server.crdt.anchors import AnchorRange
from palabre.server.storage.store import Store
from palabre.server.texts import DocumentTexts

UNKNOWN = "?"


@dataclass(frozen=True)
class Names:
    """The members and organisations an answer names, read once."""

    people: Mapping[str, Json]
    organisations: Mapping[str, Json]

    def person(self, member_id: UUID | None) -> Json | None:
        return None if member_id is None else self.people[str(member_id)]

    def organisation(self, organisation_id: UUID) -> Json:
        return self.organisations[str(organisation_id)]


def names_of(application: PalabreApplication, records: Iterable[InterviewRecord]) -> Names:
    listed = list(records)
    members = {m for r in listed for m in r.details.led_by}
    members |= {link.by for r in listed for link in r.links if link.by is not None}
    organisations = {o for r in listed for o in r.details.organisation_ids}
    return Names(
        people={str(m): _person(application, m) for m in members},
        organisations={str(o): organisation_json(application, o) for o in organisations},
    )


def _person(application: PalabreApplication, member_id: UUID) -> Json:
    try:
        return author_json(application.member(member_id))
    except NotFound:
        return {"id": str(member_id), "name": UNKNOWN, "organisation": UNKNOWN, "country": UNKNOWN}


def organisation_json(application: PalabreApplication, organisation_id: UUID) -> Json:
    try:
        found = application.organisation(organisation_id)
    except NotFound:
        return {"id": str(organisation_id), "name": UNKNOWN, "country": UNKNOWN}
    return {"id": str(found.id), "name": found.name, "country": found.country.value}


async def interview_answers(
    store: Store,
    texts: DocumentTexts,
    document_id: DocumentId,
    records: Sequence[InterviewRecord],
    readings: Mapping[UUID, NotesReading] | None = None,
) -> list[Json]:
    """The interviews as answers, their links placed in the live text; their notes as
    ``readings`` allow (None: hidden from everyone)."""
    names = await store.call(names_of, store.application, records)
    anchors = [link.anchor for record in records for link in record.links]
    ranges = iter(await texts.locate(document_id, anchors))
    answers = []
    for record in records:
        reading = HIDDEN if readings is None else readings.get(record.id, HIDDEN)
        placed = [next(ranges) for _ in record.links]
        answers.append(interview_json(record, reading, names, placed))
    return answers


def interview_json(
    record: InterviewRecord, reading: NotesReading, names: Names, ranges: Sequence[AnchorRange]
) -> Json:
    details = record.details
    organisations = [names.organisation(o) for o in details.organisation_ids]
    return {
        "id": str(record.id),
        "document_id": str(record.document_id),
        "organisation_ids": [str(o) for o in details.organisation_ids],
        "organisations": organisations,
        "countries": sorted({o["country"] for o in organisations} - {UNKNOWN}),
        "date": details.date,
        "mode": details.mode,
        "place": details.place,
        "led_by": [names.person(m) for m in details.led_by],
        "people": [
            {
                "name": p.name,
                "function": p.function,
                "organisation_id": None if p.organisation_id is None else str(p.organisation_id),
            }
            for p in details.people
        ],
        "summary": details.summary,
        "notes": reading.text if reading.visible else None,
        "notes_visible": reading.visible,
        "notes_problem": reading.problem if reading.visible else "",
        "notes_seal": record.notes_seal,
        "attachments": [{"name": a.name, "sha256": a.sha256} for a in details.attachments],
        "quotable": details.quotable,
        "confidential": details.confidential,
        "recorded_by": None if record.recorded_by is None else str(record.recorded_by),
        "created_at": record.created_at.isoformat(),
        "edited_at": record.edited_at,
        "links": [
            link_json(record.id, link, where, names)
            for link, where in zip(record.links, ranges, strict=True)
        ],
    }


def link_json(interview_id: UUID, link: Link, where: AnchorRange, names: Names) -> Json:
    anchor = link.anchor
    positions = None if anchor.start is None else {"start": anchor.start, "end": anchor.end}
    found = None if where.start is None else {"start": where.start, "end": where.end}
    return {
        "id": link.id,
        "interview_id": str(interview_id),
        "quote": anchor.quote,
        "section": anchor.section,
        "anchor": positions,
        "range": found,
        "detached": where.detached,
        "by": names.person(link.by),
        "created_at": link.created_at,
    }
