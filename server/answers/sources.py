"""Coverage and balance of sources as an answer, for HTTP, the command line, the exports'
"Sources" annex and the page: per section of the live text, the interviews cited, the
organisations heard and how many cited interviews heard each country
(``projections/coverage.py`` counts); per organisation (those of the committee, and any other
that was interviewed), whether it was interviewed and in which sections it is cited; per
interview, its date, organisations, and the sections that draw on it.

Nothing here reads notes: coverage is metadata, shown to every member.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from palabre.domain.application import PalabreApplication
from palabre.domain.ids import DocumentId
from palabre.domain.interview import InterviewRecord
from palabre.domain.shapes import Json
from palabre.projections.coverage import COUNTRIES, Coverage, Source, coverage
from palabre.server.answers.committee import CommitteeView
from palabre.server.answers.interviews import organisation_json
from palabre.server.crdt.anchors import AnchorRange
from palabre.server.storage.store import Store
from palabre.server.texts import DocumentTexts


async def sources_report(
    store: Store, texts: DocumentTexts, document_id: DocumentId, position: int | None = None
) -> Json:
    """The report against the live text, or the stored text at ``position``."""
    app = store.application
    records = await store.call(app.interviews, document_id)
    anchors = [link.anchor for record in records for link in record.links]
    placed = await texts.placed(document_id, anchors, position)
    return await store.call(sources_json, app, document_id, records, placed.text, placed.ranges)


def sources_json(
    app: PalabreApplication,
    document_id: DocumentId,
    records: Sequence[InterviewRecord],
    text: str,
    ranges: Sequence[AnchorRange],
) -> Json:
    organisations = {
        str(o): organisation_json(app, o) for r in records for o in r.details.organisation_ids
    }
    found = coverage(text, _sources(records, ranges, organisations))
    return {
        "sections": [
            {
                "heading": section.heading,
                "interviews": section.interviews,
                "organisations": [organisations[o] for o in section.organisations],
                "countries": section.countries,
                "links": section.links,
            }
            for section in found.sections
        ],
        "organisations": _organisations(app, document_id, records, organisations, found),
        "interviews": [
            _interview(r, organisations, found.headings(found.cited[str(r.id)])) for r in records
        ],
        "countries": _countries(records, organisations),
    }


def _sources(
    records: Sequence[InterviewRecord], ranges: Sequence[AnchorRange], names: dict[str, Json]
) -> list[Source]:
    placed = iter(ranges)
    sources = []
    for record in records:
        spans = [next(placed) for _ in record.links]
        heard = tuple(str(o) for o in record.details.organisation_ids)
        sources.append(
            Source(
                interview_id=str(record.id),
                organisations=heard,
                countries=frozenset(names[o]["country"] for o in heard) & set(COUNTRIES),
                ranges=tuple(
                    (r.start, r.end)
                    for r in spans
                    if not r.detached and r.start is not None and r.end is not None
                ),
            )
        )
    return sources


def _interview(record: InterviewRecord, names: dict[str, Json], sections: list[str]) -> Json:
    heard = [names[str(o)] for o in record.details.organisation_ids]
    return {
        "id": str(record.id),
        "date": record.details.date,
        "mode": record.details.mode,
        "organisations": heard,
        "countries": sorted({o["country"] for o in heard} & set(COUNTRIES)),
        "quotable": record.details.quotable,
        "links": len(record.links),
        "sections": sections,
    }


def _organisations(
    app: PalabreApplication,
    document_id: DocumentId,
    records: Sequence[InterviewRecord],
    names: dict[str, Json],
    found: Coverage,
) -> list[Json]:
    """The committee's organisations and every other one interviewed: whether each was
    interviewed, by which interviews, and the sections where those are cited."""
    committee = {o["id"]: o for o in CommitteeView(app, document_id).organisations()}
    listed: dict[str, Json] = {}
    for organisation_id, named in [*committee.items(), *names.items()]:
        if organisation_id in listed:
            continue
        interviews = [
            str(r.id) for r in records if UUID(organisation_id) in r.details.organisation_ids
        ]
        sections = found.headings(i for interview in interviews for i in found.cited[interview])
        listed[organisation_id] = {
            "id": organisation_id,
            "name": named["name"],
            "country": named["country"],
            "committee": organisation_id in committee,
            "interviewed": bool(interviews),
            "interviews": interviews,
            "cited": bool(sections),
            "sections": sections,
        }
    return sorted(listed.values(), key=lambda o: (o["country"], o["name"].casefold()))


def _countries(records: Sequence[InterviewRecord], names: dict[str, Json]) -> dict[str, int]:
    """Over the whole document: how many interviews heard each country."""
    counted = dict.fromkeys(COUNTRIES, 0)
    for record in records:
        for country in {names[str(o)]["country"] for o in record.details.organisation_ids}:
            if country in counted:
                counted[country] += 1
    return counted
