"""Gathering a snapshot from the store: the text at a version, a position or now, and every
fact its cover and appendices show. Runs the reads in the store's threads.

- a version: its row in the approved-versions projection (text, hashes, tally, the chain head
  its decision sealed), with names resolved for organisations and members, and the
  amendments decided in its meeting;
- a position: the text rebuilt there (``DocumentTexts.at``), the time of that contribution,
  and the audit chain's stored head now;
- the current text: this process's live room is stored first (as a proposal does), then the
  text at the latest position (``DocumentTexts.stored_position``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from palabre.domain.application import PalabreApplication
from palabre.domain.comment import Thread
from palabre.domain.committee import canonical_sha256
from palabre.domain.document import Document
from palabre.domain.errors import InvalidInput, NotFound
from palabre.domain.ids import DocumentId
from palabre.domain.shapes import Json
from palabre.projections.approved_versions import ApprovedVersions
from palabre.projections.audit_chain import AuditChain
from palabre.projections.history_index import HistoryIndex
from palabre.projections.versions_store import ApprovedVersion
from palabre.server.answers.change_note import change_note
from palabre.server.answers.changes import Changes
from palabre.server.answers.history import HistoryReports
from palabre.server.answers.sources import sources_report
from palabre.server.export.fonts import Fonts
from palabre.server.export.model import (
    AmendmentResult,
    Approval,
    ChainSeal,
    ChangesSince,
    Contributor,
    Decision,
    ExportOptions,
    Meeting,
    NonVoter,
    Note,
    NoteReply,
    Person,
    SectionSources,
    Snapshot,
    SourcedInterview,
    SourcesAnnex,
    Vote,
)
from palabre.server.export.suggestions import meeting_amendments, suggestion_notes
from palabre.server.storage.store import Store
from palabre.server.texts import DocumentTexts

UNKNOWN = Person("?", "?", "?")  # a member the application no longer knows


class Sources:
    """What a snapshot is read from; ``fonts``: where the PDF's fonts are, for the renderer
    (the PALABRE_EXPORT_FONTS setting)."""

    def __init__(
        self,
        store: Store,
        texts: DocumentTexts,
        versions: ApprovedVersions,
        audit: AuditChain,
        history: HistoryIndex,
        fonts: Fonts,
        changes: Changes,
    ) -> None:
        self.store = store
        self.texts = texts
        self.versions = versions
        self.audit = audit
        self.reports = HistoryReports(store.application, history)
        self.changes = changes
        self.fonts = fonts

    @property
    def application(self) -> PalabreApplication:
        return self.store.application

    async def snapshot(
        self,
        document_id: DocumentId,
        version: int | None,
        at: int | None,
        options: ExportOptions,
    ) -> Snapshot:
        info = await self.store.document(document_id)  # NotFound first
        if version is not None:
            found = await self.store.call(self.versions.version, document_id, version)
            approval = await self.store.call(self._approval, document_id, found)
            markdown, position, when = found.markdown, found.position, found.decided_at
            chain = ChainSeal(found.chain_head, found.chain_position, sealed_by_decision=True)
        else:
            approval = None
            position = await self._position(document_id, at)
            markdown = await self.texts.at(document_id, position)
            when = await self.store.call(self._time_of, document_id, position, info.created_at)
            head = await self.store.call(self.audit.head)
            chain = ChainSeal(head.link, head.position, sealed_by_decision=False)
        notes = None
        if options.comments is not None:
            status = None if options.comments == "all" else options.comments
            notes = await self.store.call(self._notes, document_id, status)
        suggestions = None
        if options.suggestions is not None:
            suggestions = await self.store.call(
                suggestion_notes, self.application, self._person, document_id, options.suggestions
            )
        amendments: tuple[AmendmentResult, ...] = ()
        if approval is not None and approval.decision.meeting is not None:
            meeting_id = approval.decision.meeting.id
            amendments = await self.store.call(
                meeting_amendments,
                self.application,
                self._person,
                document_id,
                meeting_id,
                approval.decision.decided_at,
            )
        contributors = None
        if options.contributors:
            contributors = await self.store.call(
                contributors_at, self.reports, document_id, position
            )
        annex = await self._sources(document_id, position) if options.sources else None
        changes = None
        if options.changes is not None:
            changes = await self._changes_since(document_id, options, version, position, markdown)
        return Snapshot(
            document_id=str(document_id),
            title=info.title,
            markdown=markdown,
            sha256=canonical_sha256(markdown),
            position=position,
            current=version is None and at is None,
            at=when,
            approval=approval,
            chain=chain,
            notes=notes,
            contributors=contributors,
            suggestions=suggestions,
            amendments=amendments,
            sources=annex,
            changes=changes,
        )

    async def _sources(self, document_id: DocumentId, position: int) -> SourcesAnnex:
        """The interviews cited by the text at ``position`` (their links placed in that
        text), and its coverage; from the same report as ``GET .../sources``, which holds
        no notes."""
        report = await sources_report(self.store, self.texts, document_id, position)
        return sources_annex(report)

    async def _changes_since(
        self,
        document_id: DocumentId,
        options: ExportOptions,
        version: int | None,
        position: int,
        markdown: str,
    ) -> ChangesSince:
        since = options.changes
        assert since is not None
        if version is not None:
            facts = await self.changes.facts(document_id, since, version)
        else:
            facts = await self.changes.facts_to_text(document_id, since, position, markdown)
        note = change_note(facts, options.lang, options.zone)
        return ChangesSince(since, note.split("\n", 2)[2])  # without its title

    async def _position(self, document_id: DocumentId, at: int | None) -> int:
        """The position asked for (400 beyond the log), or the latest after storing what this
        process's live room holds."""
        if at is None:
            return await self.texts.stored_position(document_id)
        count = await self.store.call(self.application.contribution_count, document_id)
        if at > count:
            raise InvalidInput(f"at={at} is beyond the document's {count} contributions")
        return at

    def _time_of(self, document_id: DocumentId, position: int, created: datetime) -> datetime:
        if position == 0:
            return created
        return self.application.contribution_time(document_id, position)

    # Names -----------------------------------------------------------------------------------

    def _approval(self, document_id: DocumentId, version: ApprovedVersion) -> Approval:
        app = self.application
        tally: Mapping[str, Any] = version.tally
        meeting = None
        if version.meeting_id is not None:
            found = app.committee(document_id).meetings.get(version.meeting_id)
            if found is not None:
                meeting = Meeting(found.id, found.title, found.date)
        votes = [self._vote(org, cast) for org, cast in tally.get("votes", {}).items()]
        votes.sort(key=lambda v: (v.country, v.organisation.casefold(), v.member.casefold()))
        decision = Decision(
            proposal_id=version.proposal_id,
            outcome=version.decision,
            decided_at=version.decided_at,
            decided_by=None if version.decided_by is None else self._person(version.decided_by),
            meeting=meeting,
            rule=dict(tally.get("rule", {})),
            voting_organisations=int(tally.get("voting_organisations", 0)),
            voted=int(tally.get("voted", 0)),
            quorum_met=bool(tally.get("quorum_met", False)),
            approve=int(tally.get("approve", 0)),
            abstain=int(tally.get("abstain", 0)),
            object=int(tally.get("object", 0)),
            votes=tuple(votes),
            not_voted=self._not_voted(document_id, version),
        )
        return Approval(
            number=version.number,
            label=version.label,
            pinned_sha256=version.pinned_sha256,
            ok=version.ok,
            problem=version.problem,
            decision=decision,
        )

    def _not_voted(self, document_id: DocumentId, version: ApprovedVersion) -> tuple[NonVoter, ...]:
        """The organisations that had a vote when the proposal was closed and cast none: the
        document's committee as it stood just before its decision event."""
        repository = self.application.repository
        closed = next(
            (
                event
                for event in repository.event_store.get(document_id)
                if isinstance(event, Document.ProposalClosed)
                and event.proposal_id == version.proposal_id
            ),
            None,
        )
        if closed is None:
            return ()
        before: object = repository.get(document_id, version=closed.originator_version - 1)
        assert isinstance(before, Document)
        voted = set(version.tally.get("votes", {}))
        silent = [self._organisation(org) for org in before.voting_organisations - voted]
        return tuple(sorted(silent, key=lambda o: (o.country, o.organisation.casefold())))

    def _organisation(self, organisation_id: str) -> NonVoter:
        try:
            organisation = self.application.organisation(UUID(organisation_id))
        except NotFound:
            return NonVoter("?", "?")
        return NonVoter(organisation.name, organisation.country.value)

    def _vote(self, organisation_id: str, cast: Mapping[str, Any]) -> Vote:
        try:
            organisation = self.application.organisation(UUID(organisation_id))
            name, country = organisation.name, organisation.country.value
        except NotFound:
            name, country = "?", "?"
        member = self._person(str(cast.get("member", "")))
        return Vote(name, country, member.name, str(cast["vote"]), str(cast.get("reason", "")))

    def _person(self, member_id: str) -> Person:
        try:
            info = self.application.member(UUID(member_id))
        except (NotFound, ValueError):
            return UNKNOWN
        organisation = info.organisation
        return Person(info.name, organisation.name, organisation.country.value)

    def _notes(self, document_id: DocumentId, status: str | None) -> tuple[Note, ...]:
        threads = self.application.comments(document_id, status)
        people: dict[str, Person] = {}

        def person(member_id: UUID) -> Person:
            key = str(member_id)
            if key not in people:
                people[key] = self._person(key)
            return people[key]

        return tuple(_note(thread, person) for thread in threads)


def _note(thread: Thread, person: Callable[[UUID], Person]) -> Note:
    return Note(
        id=str(thread.id),
        author=person(thread.author_id),
        created_at=thread.created_at,
        status=thread.status,
        section=thread.anchor.section,
        quote=thread.anchor.quote,
        body=thread.body,
        replies=tuple(
            NoteReply(person(r.author_id), datetime.fromisoformat(r.created_at), r.body)
            for r in thread.replies
        ),
    )


def contributors_at(
    reports: HistoryReports, document_id: DocumentId, position: int
) -> tuple[Contributor, ...]:
    """Who wrote the characters of the text at ``position``, by organisation, from the
    history index's authorship report."""
    report = reports.authorship_report(document_id, position)
    characters: dict[tuple[str, str, str], int] = {}
    for run in report["runs"]:
        key = (run["organisation"], run["country"], run["member"])
        characters[key] = characters.get(key, 0) + len(run["text"])
    ordered = sorted(characters.items(), key=lambda i: (i[0][1], i[0][0].casefold(), i[0][2]))
    return tuple(Contributor(org, country, member, n) for (org, country, member), n in ordered)


def sources_annex(report: Json) -> SourcesAnnex:
    """The annex's facts from the sources report: the cited interviews, oldest first."""
    cited = [i for i in report["interviews"] if i["sections"]]
    return SourcesAnnex(
        cited=tuple(
            SourcedInterview(
                date=i["date"],
                mode=i["mode"],
                organisations=tuple((o["name"], o["country"]) for o in i["organisations"]),
                sections=tuple(i["sections"]),
            )
            for i in sorted(cited, key=lambda i: (i["date"], i["id"]))
        ),
        sections=tuple(
            SectionSources(s["heading"], len(s["interviews"]), dict(s["countries"]))
            for s in report["sections"]
        ),
        recorded=len(report["interviews"]),
    )
