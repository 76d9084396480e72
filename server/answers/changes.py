"""What changed between two approved versions (or the last one and the current text), as the
facts a change note [note d'évolution] is written from, and as the answer of
``GET .../versions/{n}/changes/{m}``, ``palabre versions changes`` and the exports.

Everything comes from the events, through the stored views that derive from them:

- the two texts from the approved-versions projection (rebuilt from the contributions); for
  ``current``, the text at the end of the log once this instance's room is stored;
- sections added, removed, renamed or modified and the words each touched
  (``projections/section_changes.py``);
- the organisations whose contributions made the changes: the history index's authorship of
  both texts, compared section by section with each character's author, says who wrote the
  characters the newer text has and the older one has not (who removed text is not
  attributed: a removal leaves no character to own);
- comment threads resolved between the two decisions (from their ``Resolved`` events'
  times), and still resolved at the newer one;
- amendments accepted between them, through the :class:`Amendments` seam: the suggestions a
  vote of the committee accepted (``answers/suggestions.py``'s ``CommitteeAmendments``).

The same two versions always give the same facts, so the same note, byte for byte.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from palabre.domain.application import PalabreApplication
from palabre.domain.comment import Comment
from palabre.domain.errors import ErrorCode, InvalidInput, NotFound
from palabre.domain.ids import DocumentId
from palabre.domain.shapes import Json
from palabre.projections.approved_versions import ApprovedVersions
from palabre.projections.section_changes import (
    Comparison,
    Runs,
    SectionChange,
    authors,
    compare,
)
from palabre.server.answers.history import HistoryReports
from palabre.server.storage.store import Store
from palabre.server.texts import DocumentTexts

CURRENT = "current"


@dataclass(frozen=True)
class AcceptedAmendment:
    """An amendment the committee accepted: the section it changed and what it did."""

    section: str
    summary: str
    accepted_at: datetime


class Amendments(Protocol):
    """Where accepted amendments come from (the committee's accepted suggestions)."""

    def accepted(
        self, document_id: UUID, after: datetime, upto: datetime | None
    ) -> Sequence[AcceptedAmendment]:
        """The amendments accepted in ``(after, upto]`` (``upto`` None: until now), oldest
        first."""


class NoAmendments:
    """No amendment was ever accepted (for a caller that reads no suggestions)."""

    def accepted(
        self, document_id: UUID, after: datetime, upto: datetime | None
    ) -> Sequence[AcceptedAmendment]:
        return ()


@dataclass(frozen=True)
class Endpoint:
    """One side of the comparison: a version, or the current text (``number`` None), or the
    text a proposal pinned (``proposal``: its number)."""

    number: int | None
    label: str
    position: int
    decided_at: datetime | None
    markdown: str
    proposal: int | None = None


@dataclass(frozen=True)
class Contribution:
    organisation: str
    country: str
    characters: int
    sections: tuple[str, ...]


@dataclass(frozen=True)
class ResolvedComment:
    id: str
    section: str
    quote: str
    resolved_at: datetime


@dataclass(frozen=True)
class ChangeFacts:
    old: Endpoint
    new: Endpoint
    comparison: Comparison
    per_section: dict[int, tuple[Contribution, ...]]  # index in comparison.changes
    contributions: tuple[Contribution, ...]
    comments: tuple[ResolvedComment, ...]
    amendments: tuple[AcceptedAmendment, ...]


def wanted_version(raw: str, name: str) -> int | None:
    """A version number from a path or a command line; None for ``current``."""
    if raw == CURRENT and name == "m":
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9 or int(raw) < 1:
        allowed = "a version number or current" if name == "m" else "a version number"
        raise InvalidInput(f"{name} is {allowed}, not {raw!r}")
    return int(raw)


class Changes:
    """Gathers change facts; :meth:`facts` runs on the event loop, the reads in the store's
    threads."""

    def __init__(
        self,
        store: Store,
        texts: DocumentTexts,
        versions: ApprovedVersions,
        reports: HistoryReports,
        amendments: Amendments | None = None,
    ) -> None:
        self._store = store
        self._texts = texts
        self._versions = versions
        self._reports = reports
        self._amendments = amendments or NoAmendments()

    async def facts(self, document_id: DocumentId, old: int, new: int | None) -> ChangeFacts:
        before = await self._store.call(self._version, document_id, old)
        if new is None:
            position, text = await self._texts.latest(document_id)
            after = Endpoint(None, "", position, None, text)
        else:
            after = await self._store.call(self._version, document_id, new)
            if new < old:
                raise InvalidInput("compare an earlier version with a later one (n ≤ m)")
        return await self._store.call(self._gather, document_id, before, after)

    async def facts_to_text(
        self, document_id: DocumentId, old: int, position: int, markdown: str
    ) -> ChangeFacts:
        """From version ``old`` to the text at a position already read (an export's)."""
        before = await self._store.call(self._version, document_id, old)
        if position < before.position:
            raise InvalidInput(f"the text at position {position} comes before v{old}")
        after = Endpoint(None, "", position, None, markdown)
        return await self._store.call(self._gather, document_id, before, after)

    async def facts_for_proposal(self, document_id: DocumentId, proposal_id: str) -> ChangeFacts:
        """From the last version approved before the proposal to the text it pinned (its own
        version's text once accepted). NotFound when no version came before it."""
        app = self._store.application
        proposal = (await self._store.call(app.committee, document_id)).proposal(proposal_id)
        if proposal.version is not None:
            if proposal.version == 1:
                raise NotFound(
                    "no approved version comes before this proposal",
                    code=ErrorCode.VERSION_NOT_FOUND,
                )
            return await self.facts(document_id, proposal.version - 1, proposal.version)
        base = await self._store.call(self._base_of, document_id, proposal.number)
        before = await self._store.call(self._version, document_id, base)
        text = await self._texts.at(document_id, proposal.position)
        after = Endpoint(None, proposal.label, proposal.position, None, text, proposal.number)
        return await self._store.call(self._gather, document_id, before, after)

    def _base_of(self, document_id: DocumentId, number: int) -> int:
        """The last version whose proposal came before proposal ``number``."""
        document = self._store.application.committee(document_id)
        earlier = [
            version.number
            for version in self._versions.versions(document_id)
            if document.proposal(version.proposal_id).number < number
        ]
        if not earlier:
            raise NotFound(
                "no approved version comes before this proposal", code=ErrorCode.VERSION_NOT_FOUND
            )
        return max(earlier)

    def _version(self, document_id: DocumentId, number: int) -> Endpoint:
        found = self._versions.version(document_id, number)
        return Endpoint(number, found.label, found.position, found.decided_at, found.markdown)

    def _gather(self, document_id: DocumentId, old: Endpoint, new: Endpoint) -> ChangeFacts:
        comparison = compare(old.markdown, new.markdown)
        per_section, overall = self._contributions(document_id, old, new, comparison.changes)
        assert old.decided_at is not None
        amendments = self._amendments.accepted(document_id, old.decided_at, new.decided_at)
        return ChangeFacts(
            old=old,
            new=new,
            comparison=comparison,
            per_section=per_section,
            contributions=overall,
            comments=self._resolved(document_id, old.decided_at, new.decided_at),
            amendments=tuple(amendments),
        )

    def _runs(self, document_id: DocumentId, endpoint: Endpoint) -> Runs | None:
        """The authorship of an endpoint's text; None if it spells another text (a version
        whose rebuilt text differs from what was approved)."""
        runs = self._reports.authorship(document_id, endpoint.position).runs
        pairs = [(run.text, run.author) for run in runs]
        return pairs if "".join(text for text, _ in pairs) == endpoint.markdown else None

    def _contributions(
        self,
        document_id: DocumentId,
        old: Endpoint,
        new: Endpoint,
        changes: Sequence[SectionChange],
    ) -> tuple[dict[int, tuple[Contribution, ...]], tuple[Contribution, ...]]:
        """Who wrote the added characters, per change and overall, by organisation."""
        old_runs, new_runs = self._runs(document_id, old), self._runs(document_id, new)
        if old_runs is None or new_runs is None:
            return {}, ()  # nothing is attributed rather than something wrongly
        organisations = _Organisations(self._store.application)
        per_section: dict[int, tuple[Contribution, ...]] = {}
        totals: dict[tuple[str, str], tuple[int, list[str]]] = {}
        for index, change in enumerate(changes):
            found = organisations.tally(authors(change, old_runs, new_runs))
            per_section[index] = tuple(
                Contribution(name, country, chars, (change.heading,))
                for (name, country), chars in found
            )
            for (name, country), chars in found:
                held, sections = totals.get((name, country), (0, []))
                totals[(name, country)] = (held + chars, [*sections, change.heading])
        overall = sorted(
            (
                Contribution(n, c, chars, tuple(dict.fromkeys(s)))
                for (n, c), (chars, s) in totals.items()
            ),
            key=lambda c: (-c.characters, c.organisation.casefold(), c.country),
        )
        return per_section, tuple(overall)

    def _resolved(
        self, document_id: DocumentId, after: datetime, upto: datetime | None
    ) -> tuple[ResolvedComment, ...]:
        """Threads resolved in ``(after, upto]`` and still resolved at ``upto``."""
        app = self._store.application
        found = []
        for thread in app.comments(document_id):
            state, when = None, None
            for event in app.events.get(thread.id):
                assert isinstance(event, Comment.Event)
                if upto is not None and event.timestamp > upto:
                    break
                if isinstance(event, Comment.Resolved):
                    state, when = "resolved", event.timestamp
                elif isinstance(event, Comment.Reopened):
                    state = "open"
            if state == "resolved" and when is not None and when > after:
                anchor = thread.anchor
                found.append(ResolvedComment(str(thread.id), anchor.section, anchor.quote, when))
        return tuple(sorted(found, key=lambda c: (c.resolved_at, c.id)))


class _Organisations:
    """Members' organisations, read once each."""

    def __init__(self, application: PalabreApplication) -> None:
        self._app = application
        self._known: dict[str, tuple[str, str]] = {}

    def of(self, member_id: str) -> tuple[str, str]:
        if member_id not in self._known:
            try:
                organisation = self._app.member(UUID(member_id)).organisation
                self._known[member_id] = (organisation.name, organisation.country.value)
            except (NotFound, ValueError):
                self._known[member_id] = ("?", "?")
        return self._known[member_id]

    def tally(self, per_author: dict[str, int]) -> list[tuple[tuple[str, str], int]]:
        """Characters per organisation, most first (then by name)."""
        per_organisation: dict[tuple[str, str], int] = {}
        for author, chars in per_author.items():
            key = self.of(author)
            per_organisation[key] = per_organisation.get(key, 0) + chars
        return sorted(per_organisation.items(), key=lambda i: (-i[1], i[0][0].casefold(), i[0][1]))


def changes_json(facts: ChangeFacts, note: str) -> Json:
    """The HTTP answer: the note (Markdown) and the facts it says."""
    return {
        "from": facts.old.number,
        "to": _to(facts.new),
        "proposal": facts.new.proposal,
        "from_position": facts.old.position,
        "to_position": facts.new.position,
        "text": note,
        "sections": [
            {
                "heading": change.heading,
                "change": change.change,
                "words": change.words,
                "added": change.added,
                "removed": change.removed,
                "previous": change.previous,
                "organisations": [_contribution_json(c) for c in facts.per_section.get(index, ())],
            }
            for index, change in enumerate(facts.comparison.changes)
        ],
        "unchanged": facts.comparison.unchanged,
        "organisations": [
            _contribution_json(c) | {"sections": list(c.sections)} for c in facts.contributions
        ],
        "comments_resolved": [
            {"id": c.id, "section": c.section, "quote": c.quote, "resolved_at": c.resolved_at}
            for c in facts.comments
        ],
        "amendments": [
            {"section": a.section, "summary": a.summary, "accepted_at": a.accepted_at}
            for a in facts.amendments
        ],
    }


def _to(endpoint: Endpoint) -> int | str | None:
    """The newer side: a version number, ``current``, or None for a proposal's text."""
    if endpoint.number is not None:
        return endpoint.number
    return None if endpoint.proposal is not None else CURRENT


def _contribution_json(contribution: Contribution) -> Json:
    return {
        "organisation": contribution.organisation,
        "country": contribution.country,
        "characters": contribution.characters,
    }
