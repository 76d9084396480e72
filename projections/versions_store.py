"""Where the approved-versions projection keeps its rows and its position, and the shapes of
what it reads from the log (``Approval``) and answers (``ApprovedVersion``).

The view is a second eventsourcing application, ``ApprovedVersions``, in the same database as
Palabre's event log, so it works on SQLite and PostgreSQL without SQL written per engine:

- a row is one ``VersionApproved`` event, in one stream per document and generation, whose
  ``originator_version`` is the version number (so a row can never be stored twice);
- the position is eventsourcing's ``Tracking``, written by the process recorder in the same
  transaction as the row: row and position are stored together or not at all;
- a rebuild writes a new *generation* next to the current one and switches to it when done
  (``GenerationPublished``), so readers never see a half-built view, a running server keeps
  answering meanwhile, and nothing needs deleting. Generations superseded by a rebuild stay
  (a few rows per approved version), which also lets a rebuild be compared with the rows it
  replaced.

Nothing here is a fact of the committee: all of it can be dropped and rebuilt from the log.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.application import EventSourcedLog
from eventsourcing.domain import DomainEvent
from eventsourcing.persistence import IntegrityError, Tracking
from palabre.domain.committee import canonical_sha256
from palabre.domain.document import Document
from palabre.domain.errors import Conflict
from palabre.domain.ids import NAMESPACE
from palabre.projections.view_store import ViewStore

FIRST_GENERATION = 1  # built incrementally from the start, without any rebuild
PUBLISH_ATTEMPTS = 5


@dataclass(frozen=True)
class VersionApproved(DomainEvent):
    """One row of the view: an approved version as rebuilt from the contribution events.

    ``originator_version`` is the version number and ``timestamp`` the decision's own time,
    so rebuilding from the same log gives equal rows."""

    document_id: UUID
    label: str
    position: int
    pinned_sha256: str
    sha256: str | None  # of the text rebuilt at ``position``; None if it could not be rebuilt
    ok: bool
    problem: str  # empty when ok
    markdown: str
    meeting_id: str | None
    decision: str
    tally: dict[str, Any]
    proposal_id: str
    decided_by: str | None
    chain_head: str | None  # the audit chain's head that the decision sealed
    chain_position: int | None

    @property
    def number(self) -> int:
        """The version: v1, v2, ..."""
        return self.originator_version

    @property
    def decided_at(self) -> datetime:
        return self.timestamp


# What the log says about one approved version -----------------------------------------------


@dataclass(frozen=True)
class Approval:
    """The proposal as opened (what it pins) and the decision that accepted it."""

    document_id: UUID
    number: int
    proposal_id: str
    label: str
    position: int
    pinned_sha256: str
    meeting_id: str | None
    decision: str
    tally: dict[str, Any]
    decided_at: datetime
    decided_by: str | None
    chain_head: str | None  # the audit chain's head that the decision sealed
    chain_position: int | None

    @classmethod
    def of(cls, opened: Document.ProposalOpened, closed: Document.ProposalClosed) -> Approval:
        assert closed.version is not None, "only an accepted proposal makes a version"
        return cls(
            document_id=closed.originator_id,
            number=closed.version,
            proposal_id=closed.proposal_id,
            label=opened.label,
            position=opened.position,
            pinned_sha256=opened.sha256,
            meeting_id=opened.meeting_id,
            decision=closed.outcome,
            tally=closed.tally,
            decided_at=closed.timestamp,
            decided_by=closed.by,
            chain_head=closed.chain_head,
            chain_position=closed.chain_position,
        )

    def facts(self) -> dict[str, Any]:
        """The fields, to build a row or a read shape from (each field named once, above)."""
        return {f.name: getattr(self, f.name) for f in fields(Approval)}

    def compare(self, text: str | None, failure: str) -> tuple[str | None, str]:
        """The rebuilt text's hash, and what is wrong with it (empty if nothing)."""
        if text is None:
            return None, f"v{self.number} cannot be rebuilt from the events: {failure}"
        sha256 = canonical_sha256(text)
        if sha256 != self.pinned_sha256:
            return sha256, (
                f"v{self.number}: the text rebuilt at position {self.position} hashes to "
                f"{sha256}, but the proposal pinned {self.pinned_sha256}"
            )
        return sha256, ""


# Public read shapes -------------------------------------------------------------------------


@dataclass(frozen=True)
class ApprovedVersion(Approval):
    """An approved version as readers see it: what the log says (``Approval``) and what the
    rebuild from the events gave. Equal across rebuilds of the view (the stored row's
    identity, which names the view's generation, is left out)."""

    sha256: str | None  # of the text rebuilt from the events; None if it could not be
    ok: bool
    problem: str  # why not ok; empty when ok
    markdown: str

    @classmethod
    def from_row(cls, row: VersionApproved) -> ApprovedVersion:
        shared = {f.name: getattr(row, f.name) for f in fields(cls)}
        return cls(**shared)


@dataclass(frozen=True)
class RebuildStarted(DomainEvent):
    """A rebuild claimed generation ``originator_version``: two rebuilds never share one."""


@dataclass(frozen=True)
class GenerationPublished(DomainEvent):
    """From now on, readers use ``generation``."""

    generation: int


def rows_stream(generation: int, document_id: UUID) -> UUID:
    return uuid5(NAMESPACE, f"approved-versions:{generation}:{document_id}")


REBUILDS = uuid5(NAMESPACE, "approved-versions:rebuilds")
PUBLISHED = uuid5(NAMESPACE, "approved-versions:published")


class VersionsStore(ViewStore):
    name = "ApprovedVersions"

    # Position --------------------------------------------------------------------------------

    def tracking(self, source: str, generation: int, notification_id: int) -> Tracking:
        """The position in ``source``'s log reached by one generation of this view."""
        return Tracking(self._tracking_key(source, generation), notification_id)

    def position(self, source: str, generation: int) -> int:
        return self._process_recorder.max_tracking_id(self._tracking_key(source, generation)) or 0

    def _tracking_key(self, source: str, generation: int) -> str:
        """Names the source log, this view and the generation: on SQLite, every application
        of a file shares one tracking table."""
        return f"{source}>{self.name}#{generation}"

    def record(self, row: VersionApproved | None, tracking: Tracking) -> None:
        """Store a row (if any) and the position reached, atomically. Raises IntegrityError if
        another process stored this row or went past this position first."""
        if row is None:
            self._process_recorder.insert_tracking(tracking)
        else:
            self.events.put([row], tracking=tracking)

    # Rows ------------------------------------------------------------------------------------

    def rows(self, generation: int, document_id: UUID) -> list[VersionApproved]:
        return list(self._rows(generation, document_id).get())

    def row(self, generation: int, document_id: UUID, number: int) -> VersionApproved | None:
        found = list(self._rows(generation, document_id).get(gt=number - 1, lte=number))
        return found[0] if found else None

    def _rows(self, generation: int, document_id: UUID) -> EventSourcedLog[VersionApproved]:
        return EventSourcedLog(self.events, rows_stream(generation, document_id), VersionApproved)

    # Generations -----------------------------------------------------------------------------

    def current_generation(self) -> int:
        last = EventSourcedLog(self.events, PUBLISHED, GenerationPublished).get_last()
        return FIRST_GENERATION if last is None else last.generation

    def start_generation(self) -> int:
        """Claim a fresh generation for a rebuild; Conflict if another rebuild claims it too."""
        log = EventSourcedLog(self.events, REBUILDS, RebuildStarted)
        last = log.get_last()
        generation = (FIRST_GENERATION if last is None else last.originator_version) + 1
        try:
            self.save(log.trigger_event(next_originator_version=generation))
        except IntegrityError:
            raise Conflict("another rebuild of the approved versions is running") from None
        return generation

    def publish(self, generation: int) -> None:
        """Switch readers to ``generation``, unless a later one is already published."""
        log = EventSourcedLog(self.events, PUBLISHED, GenerationPublished)
        for _ in range(PUBLISH_ATTEMPTS):
            if self.current_generation() >= generation:
                return
            try:
                self.save(log.trigger_event(generation=generation))
                return
            except IntegrityError:  # another rebuild published at the same moment
                continue
        raise Conflict("could not publish the rebuilt approved versions: too many rebuilds")
