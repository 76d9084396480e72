"""History answers: who wrote what at a position (authorship runs and shares) and editing
sessions, with members' names, organisations and countries; and diffs between two texts.
Read from the history index (``projections/history_index.py``) in the store's threads, for
HTTP, exports and the command line alike."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from palabre.domain.application import MemberInfo, PalabreApplication
from palabre.domain.errors import NotFound
from palabre.domain.ids import DocumentId, parse_id
from palabre.domain.roles import Country
from palabre.domain.shapes import Json
from palabre.domain.times import parse_time
from palabre.projections import text_diff
from palabre.projections.authorship import Authorship, Run, shares
from palabre.projections.history import Session
from palabre.projections.history_index import HistoryIndex

UNKNOWN = "?"  # a member the application no longer knows


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


class HistoryReports:
    """Synchronous reads; call them from the store's threads."""

    def __init__(self, application: PalabreApplication, index: HistoryIndex) -> None:
        self._app = application
        self._index = index

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
        people = {author: self.member(author) for author in {run.author for run in runs}}
        return {"position": upto, **authorship_json(runs, people)}

    def sessions_report(self, document_id: DocumentId, wanted: SessionFilter) -> list[Json]:
        """The editing sessions the filter keeps (whole sessions: a period keeps those that
        overlap it), as the HTTP API answers them."""
        found = [s for s in self._index.sessions(document_id) if wanted.overlaps(s)]
        people = {member: self.member(member) for member in {s.member for s in found}}
        return [session_json(s, people[s.member]) for s in found if wanted.keeps(people[s.member])]


def authorship_json(runs: list[Run], people: Mapping[str, MemberInfo | None]) -> Json:
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


def diff_json(old: int, new: int, before: str, after: str) -> Json:
    """Between two positions: a unified line diff and a word diff."""
    names = f"position {old}", f"position {new}"
    return diff_answer(old, new, text_diff.compare(before, after, *names))


def diff_answer(old: int, new: int, diff: text_diff.TextDiff) -> Json:
    return {
        "from": old,
        "to": new,
        "unified": diff.unified,
        "words": [{"op": s.op, "text": s.text} for s in diff.words],
    }
