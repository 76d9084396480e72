"""Suggestions and votes on amendments as answers, shared by HTTP, the live channel and the
command line: each suggestion with its people, where its passage stands in the live text now
(``range``; ``conflict`` when an open one no longer reads as quoted) and who wrote that passage
(``passage_authors``: with a coordinator, those who may decide on it if they edit). Ballot
secrecy for amendments is applied here, as ``answers/committee.py`` does for proposals."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from palabre.domain.amendments import Amendment, Amendments
from palabre.domain.application import PalabreApplication
from palabre.domain.committee import Ballot
from palabre.domain.ids import DocumentId
from palabre.domain.shapes import Json
from palabre.domain.suggestion import SuggestionRecord
from palabre.server.answers.changes import AcceptedAmendment
from palabre.server.answers.comments import author_json, reply_json
from palabre.server.answers.committee import CommitteeView, secret
from palabre.server.storage.store import Store
from palabre.server.suggestions import Located, SuggestionDesk

People = Mapping[str, Json]


async def suggestion_answers(
    store: Store,
    desk: SuggestionDesk,
    document_id: DocumentId,
    records: Sequence[SuggestionRecord],
) -> list[Json]:
    facts = await store.call(facts_of, store.application, records)
    located = await desk.locate(document_id, records)
    return [suggestion_json(r, where, facts) for r, where in zip(records, located, strict=True)]


async def located_answer(store: Store, record: SuggestionRecord, where: Located) -> Json:
    """The answer for a suggestion whose passage was just located (no second look)."""
    facts = await store.call(facts_of, store.application, [record])
    return suggestion_json(record, where, facts)


@dataclass(frozen=True)
class Facts:
    """What answers read besides the suggestions: each person once (authors, repliers,
    deciders), and which suggestions an open vote of the committee decides."""

    people: People
    before_committee: frozenset[UUID]


def facts_of(application: PalabreApplication, records: Iterable[SuggestionRecord]) -> Facts:
    listed = list(records)
    ids = {r.author_id for r in listed} | {reply.author_id for r in listed for reply in r.replies}
    ids |= {r.decided_by for r in listed if r.decided_by is not None}
    people = {str(i): author_json(application.member(i)) for i in ids}
    votes = {r.amendments_id for r in listed if r.is_open and r.amendments_id is not None}
    open_votes = {v for v in votes if application.amendments_vote(listed[0].document_id, v).is_open}
    voting = frozenset(r.id for r in listed if r.is_open and r.amendments_id in open_votes)
    return Facts(people, voting)


def suggestion_json(record: SuggestionRecord, where: Located, facts: Facts) -> Json:
    people = facts.people
    passage = record.passage
    positions = None if passage.start is None else {"start": passage.start, "end": passage.end}
    found = where.range
    return {
        "id": str(record.id),
        "document_id": str(record.document_id),
        "status": record.status,
        "author": people[str(record.author_id)],
        "quote": passage.quote,
        "replacement": passage.replacement,
        "reason": record.reason,
        "section": passage.section,
        "anchor": positions,
        "range": None if found.start is None else {"start": found.start, "end": found.end},
        "conflict": record.is_open and found.detached,
        "passage_authors": sorted(str(a) for a in where.authors),
        "created_at": record.created_at.isoformat(),
        "revised_at": record.revised_at,
        "decided_by": None if record.decided_by is None else people[str(record.decided_by)],
        "decided_at": record.decided_at,
        "decision_reason": record.decision_reason,
        "position": record.position,
        "amendments_id": None if record.amendments_id is None else str(record.amendments_id),
        "before_committee": record.id in facts.before_committee,
        "replies": [reply_json(r, people) for r in record.replies],
    }


def amendments_json(application: PalabreApplication, vote: Amendments) -> Json:
    """A vote on amendments, read in a store thread: each amendment with its suggestion's
    words and state, its votes (who voted, not how, while a secret ballot is open), its
    decision and tally."""
    view = CommitteeView(application, DocumentId(vote.document_id))
    hidden = vote.is_open and vote.rule.ballot is Ballot.SECRET
    return {
        "id": str(vote.id),
        "document_id": str(vote.document_id),
        "meeting_id": vote.meeting_id,
        "status": "open" if vote.is_open else "closed",
        "rule": vote.rule.as_dict(),
        "opened_by": vote.opened_by,
        "opened_at": vote.created_on.isoformat(),
        "closed_by": vote.closed_by,
        "closed_at": vote.closed_at,
        "amendments": [
            _amendment_json(application, view, vote, item, hidden) for item in vote.items.values()
        ],
    }


def _amendment_json(
    application: PalabreApplication,
    view: CommitteeView,
    vote: Amendments,
    item: Amendment,
    hidden: bool,
) -> Json:
    suggestion = application.suggestion(vote.document_id, UUID(item.suggestion_id))
    votes = [_vote_json(view, item, organisation) for organisation in sorted(item.votes)]
    return {
        "suggestion_id": item.suggestion_id,
        "author": author_json(view.member_info(suggestion.author_id)),
        "quote": suggestion.passage.quote,
        "replacement": suggestion.passage.replacement,
        "status": suggestion.status,
        "votes": [secret(v) for v in votes] if hidden else votes,
        "casts": item.casts,
        "decision": None if item.outcome is None else item.outcome.value,
        "tally": item.tally,
    }


def _vote_json(view: CommitteeView, item: Amendment, organisation_id: str) -> Json:
    cast = item.votes[organisation_id]
    organisation = view.organisation_info(organisation_id)
    return {
        "suggestion_id": item.suggestion_id,
        "organisation_id": organisation_id,
        "organisation": organisation.name,
        "country": organisation.country.value,
        "member_id": cast.member_id,
        "member": view.member_info(cast.member_id).name,
        "vote": cast.choice.value,
        "reason": cast.reason,
    }


class CommitteeAmendments:
    """The amendments the committee accepted, for change notes (the seam
    ``answers/changes.py`` names ``Amendments``): suggestions accepted by a vote on
    amendments, with their section and what they changed. Read in a store thread."""

    def __init__(self, application: PalabreApplication) -> None:
        self._app = application

    def accepted(
        self, document_id: UUID, after: datetime, upto: datetime | None
    ) -> list[AcceptedAmendment]:
        found = []
        for record in self._app.suggestions(document_id, "accepted"):
            if record.amendments_id is None or record.decided_at is None:
                continue
            at = datetime.fromisoformat(record.decided_at)
            if at > after and (upto is None or at <= upto):
                author = self._app.member(record.author_id)
                summary = f"{change_summary(record)} ({author.name}, {author.organisation.name})"
                found.append(AcceptedAmendment(record.passage.section, summary, at))
        return sorted(found, key=lambda amendment: amendment.accepted_at)


def change_summary(record: SuggestionRecord, limit: int = 160) -> str:
    """``«quote» → «replacement»`` on one line, each side cut at ``limit`` characters; an
    insertion or a deletion says so with ``+`` or ``−``."""

    def quoted(text: str) -> str:
        flat = " ".join(text.split())
        return f"«\u00a0{flat if len(flat) <= limit else flat[: limit - 1] + '…'}\u00a0»"

    passage = record.passage
    if not passage.quote:
        return f"+ {quoted(passage.replacement)}"
    if not passage.replacement:
        return f"− {quoted(passage.quote)}"
    return f"{quoted(passage.quote)} → {quoted(passage.replacement)}"
