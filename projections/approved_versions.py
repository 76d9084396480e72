"""The approved versions [versions validées]: v1, v2, ... of each document, rebuilt from the
contribution events and checked against the SHA-256 their proposal pinned.

Pull-based: :meth:`ApprovedVersions.catch_up` reads Palabre's notification log after the
view's tracked position, filtered on the one event type it handles (``ProposalClosed``), and
stores each row with the position reached in one transaction (see ``versions_store``). Pulling
works on SQLite, whose recorder has no ``subscribe()`` (so eventsourcing's ProjectionRunner
cannot run there), as on PostgreSQL; and several processes (server instances, the command
line) may catch up at once: whoever loses a race gets an IntegrityError and resumes after the
winner's position (``projections/runner.py``). Reads catch up first, so they never miss a
decision already stored.

The CRDT engine stays in the server: texts are rebuilt through an injected ``TextReplica``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeGuard
from uuid import UUID

from eventsourcing.persistence import Notification, Tracking
from eventsourcing.utils import get_topic
from palabre.domain.application import PalabreApplication
from palabre.domain.committee import Outcome, canonical_sha256
from palabre.domain.document import Document
from palabre.domain.errors import ErrorCode, NotFound
from palabre.domain.ids import DocumentId
from palabre.projections.runner import catch_up
from palabre.projections.versions_store import (
    Approval,
    ApprovedVersion,
    VersionApproved,
    VersionsStore,
    rows_stream,
)

log = logging.getLogger("palabre.projections.approved_versions")

PAGE = 100  # notifications read per query
UPDATES_PER_APPLY = 1000  # contributions handed to the replica at once
ACCEPTED = Outcome.ACCEPTED.value
CLOSED_TOPIC = get_topic(Document.ProposalClosed)

Progress = Callable[[int, int], None]  # (notification reached, last notification to reach)


class TextReplica(Protocol):
    """A CRDT replica of one document's text, fed stored updates in order."""

    def apply_stored(self, updates: Sequence[bytes]) -> None:
        """Apply the updates; raise ValueError for any the engine refuses."""

    @property
    def text(self) -> str: ...


@dataclass(frozen=True)
class VersionCheck:
    number: int
    label: str
    position: int
    pinned_sha256: str
    rebuilt_sha256: str | None
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Verification:
    document_id: UUID
    checks: tuple[VersionCheck, ...]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def mismatches(self) -> tuple[VersionCheck, ...]:
        return tuple(check for check in self.checks if not check.ok)


@dataclass(frozen=True)
class RebuildSummary:
    generation: int
    versions: int
    mismatches: tuple[str, ...]  # "DOCUMENT vN" for every row stored with ok=false


@dataclass(frozen=True)
class Rebuilt:
    """A text rebuilt from the events, or (text None) why it could not be."""

    text: str | None
    failure: str


def _is_approval(event: object) -> TypeGuard[Document.ProposalClosed]:
    if not isinstance(event, Document.ProposalClosed):
        return False
    return event.outcome == ACCEPTED and event.version is not None


# The projection ----------------------------------------------------------------------------


class ApprovedVersions:
    def __init__(
        self,
        source: PalabreApplication,
        store: VersionsStore,
        replica: Callable[[], TextReplica],
    ) -> None:
        self._source = source
        self._store = store
        self._replica = replica
        self._lock = threading.Lock()  # one catch-up at a time in this process

    def close(self) -> None:
        self._store.close()

    # Reads (each catches up first) -----------------------------------------------------------

    def versions(self, document_id: UUID) -> list[ApprovedVersion]:
        rows = self._store.rows(self._up_to_date(), document_id)
        return [ApprovedVersion.from_row(row) for row in rows]

    def version(self, document_id: UUID, number: int) -> ApprovedVersion:
        row = self._store.row(self._up_to_date(), document_id, number)
        if row is None:
            raise NotFound(
                f"no approved version v{number} of document {document_id}",
                code=ErrorCode.VERSION_NOT_FOUND,
            )
        return ApprovedVersion.from_row(row)

    def position(self) -> int:
        """The last notification of Palabre's log that the current view has processed."""
        return self._store.position(self._source.name, self._store.current_generation())

    # Catching up and rebuilding --------------------------------------------------------------

    def catch_up(self) -> int:
        """Process every decision stored since the last catch-up; returns the rows written."""
        with self._lock:
            return len(self._advance(self._store.current_generation()))

    def rebuild(self, progress: Progress | None = None) -> RebuildSummary:
        """Replay the whole log into a fresh generation, then switch readers to it."""
        generation = self._store.start_generation()
        rows = self._advance(generation, progress)
        self._store.publish(generation)
        mismatches = tuple(f"{r.document_id} v{r.originator_version}" for r in rows if not r.ok)
        return RebuildSummary(generation, len(rows), mismatches)

    def _up_to_date(self) -> int:
        with self._lock:
            generation = self._store.current_generation()
            self._advance(generation)
            return generation

    def _advance(self, generation: int, progress: Progress | None = None) -> list[VersionApproved]:
        """Process the log after this generation's position, up to its end as it is now."""
        end = self._source.recorder.max_notification_id() or 0
        written: list[VersionApproved] = []
        catch_up(
            lambda: self._store.position(self._source.name, generation),
            end,
            lambda position: self._page(generation, position, end, written, progress),
        )
        if progress is not None:
            progress(end, end)
        return written

    def _page(
        self,
        generation: int,
        position: int,
        end: int,
        written: list[VersionApproved],
        progress: Progress | None,
    ) -> int:
        """Handle one page of decisions after ``position``; returns how many."""
        page = self._source.recorder.select_notifications(
            position, PAGE, stop=end, topics=[CLOSED_TOPIC], inclusive_of_start=False
        )
        for notification in page:
            row = self._project(notification, generation)
            if row is not None:
                written.append(row)
            if progress is not None:
                progress(notification.id, end)
        if len(page) < PAGE and (not page or page[-1].id < end):
            # Nothing else to handle up to ``end``: remember that, so the next catch-up
            # does not scan the same stretch of the log again.
            self._store.record(None, self._tracking(generation, end))
        return len(page)

    def _project(self, notification: Notification, generation: int) -> VersionApproved | None:
        closed = self._source.mapper.to_domain_event(notification)
        tracking = self._tracking(generation, notification.id)
        if not _is_approval(closed):
            self._store.record(None, tracking)
            return None
        approval = Approval.of(self._opened(closed), closed)
        row = self._row(generation, approval)
        self._store.record(row, tracking)
        if not row.ok:
            log.critical(
                "APPROVED VERSION MISMATCH, document %s: %s", approval.document_id, row.problem
            )
        return row

    def _tracking(self, generation: int, notification_id: int) -> Tracking:
        return self._store.tracking(self._source.name, generation, notification_id)

    def _opened(self, closed: Document.ProposalClosed) -> Document.ProposalOpened:
        for event in self._source.events.get(closed.originator_id, lte=closed.originator_version):
            if (
                isinstance(event, Document.ProposalOpened)
                and event.proposal_id == closed.proposal_id
            ):
                return event
        raise LookupError(f"decision on proposal {closed.proposal_id} without its opening")

    def _row(self, generation: int, approval: Approval) -> VersionApproved:
        rebuilt = self._text_of(approval)
        sha256, problem = approval.compare(rebuilt.text, rebuilt.failure)
        facts = approval.facts()
        del facts["number"], facts["decided_at"]  # the row's version and timestamp
        return VersionApproved(
            originator_id=rows_stream(generation, approval.document_id),
            originator_version=approval.number,
            timestamp=approval.decided_at,
            sha256=sha256,
            ok=not problem,
            problem=problem,
            markdown=rebuilt.text or "",
            **facts,
        )

    # Rebuilding texts ------------------------------------------------------------------------

    def _text_of(self, approval: Approval) -> Rebuilt:
        """Fast from the latest checkpoint; but checkpoints are derived data, so before a
        mismatch is reported, the text is rebuilt again from the contribution events alone."""
        rebuilt = self._rebuild(approval, checkpoints=True)
        if rebuilt.text is not None and canonical_sha256(rebuilt.text) == approval.pinned_sha256:
            return rebuilt
        from_events = self._rebuild(approval, checkpoints=False)
        if from_events.text is not None and from_events != rebuilt:
            log.error(
                "a checkpoint of document %s at or before position %d disagrees with the "
                "contribution events; the events win",
                approval.document_id,
                approval.position,
            )
        return from_events

    def _rebuild(self, approval: Approval, checkpoints: bool) -> Rebuilt:
        """The text at the approval's position, starting from a checkpoint if allowed."""
        document_id = DocumentId(approval.document_id)
        replica = self._replica()
        after = 0
        try:
            checkpoint = (
                self._source.latest_checkpoint(document_id, upto=approval.position)
                if checkpoints
                else None
            )
            if checkpoint is not None:
                replica.apply_stored([checkpoint.state])
                after = checkpoint.originator_version
            self._replay(replica, document_id, after, approval.position)
        except ValueError as error:  # undecodable events, or updates the engine refused
            return Rebuilt(None, str(error))
        return Rebuilt(replica.text, "")

    def _replay(self, replica: TextReplica, document_id: DocumentId, after: int, upto: int) -> None:
        """Apply contributions (after, upto], checking that none is missing."""
        expected = after
        batch: list[bytes] = []
        for contribution in self._source.contributions(document_id, after=after, upto=upto):
            expected += 1
            if contribution.originator_version != expected:
                raise ValueError(f"contribution {expected} is missing from the log")
            batch.append(contribution.update)
            if len(batch) == UPDATES_PER_APPLY:
                replica.apply_stored(batch)
                batch = []
        if batch:
            replica.apply_stored(batch)
        if expected != upto:
            raise ValueError(f"the log holds {expected} contributions, the version needs {upto}")

    # Verification ----------------------------------------------------------------------------

    def verify(self, document_id: UUID) -> Verification:
        """Rebuild every approved version of the document again, from the contribution events
        alone (checkpoints are derived, so not trusted here), and check its hash against the
        pinned one and against the row the view holds."""
        approvals = self._approvals(document_id)  # read before catching up: all have rows
        generation = self._up_to_date()
        texts = self._texts_at(DocumentId(document_id), [a.position for a in approvals])
        checks = tuple(
            self._check(a, texts[a.position], self._store.row(generation, document_id, a.number))
            for a in approvals
        )
        for check in checks:
            if not check.ok:
                log.error("verify, document %s: %s", document_id, "; ".join(check.problems))
        return Verification(document_id, checks)

    def _approvals(self, document_id: UUID) -> list[Approval]:
        self._source.document(document_id)  # NotFound first
        opened: dict[str, Document.ProposalOpened] = {}
        approvals = []
        for event in self._source.events.get(document_id):
            if isinstance(event, Document.ProposalOpened):
                opened[event.proposal_id] = event
            elif _is_approval(event):
                approvals.append(Approval.of(opened[event.proposal_id], event))
        return sorted(approvals, key=lambda a: a.number)

    def _texts_at(self, document_id: DocumentId, positions: list[int]) -> dict[int, Rebuilt]:
        """Each position's text, replaying the log once. After an update that cannot be read
        or applied, every later position carries the failure instead."""
        replica = self._replica()
        texts: dict[int, Rebuilt] = {}
        at, failure = 0, ""
        for position in sorted(set(positions)):
            if not failure:
                try:
                    self._replay(replica, document_id, at, position)
                    at = position
                except ValueError as error:
                    failure = str(error)
            texts[position] = Rebuilt(None, failure) if failure else Rebuilt(replica.text, "")
        return texts

    def _check(
        self, approval: Approval, rebuilt: Rebuilt, row: VersionApproved | None
    ) -> VersionCheck:
        sha256, problem = approval.compare(rebuilt.text, rebuilt.failure)
        problems = [problem] if problem else []
        if row is None:
            problems.append(f"v{approval.number} is missing from the approved-versions view")
        elif rebuilt.text is not None and (row.sha256 != sha256 or row.markdown != rebuilt.text):
            problems.append(
                f"v{approval.number}: the approved-versions view holds another text "
                f"(hash {row.sha256}); rebuild it with `palabre projections rebuild`"
            )
        return VersionCheck(
            number=approval.number,
            label=approval.label,
            position=approval.position,
            pinned_sha256=approval.pinned_sha256,
            rebuilt_sha256=sha256,
            problems=tuple(problems),
        )
