"""The contribution log of each document, and its checkpoints: the keystroke-rate part of the
store, mixed into the application service (the only thing that saves).

Contributions live in one log per document (never in the document aggregate, so loading it
never replays the editing history); a contribution's version in that log is its *position*.
Checkpoints, in the snapshot store, are derived: the CRDT state after N contributions.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.application import EventSourcedLog
from eventsourcing.persistence import IntegrityError
from palabre.domain.contribution import Checkpoint, Contributed, NewContribution
from palabre.domain.errors import NotFound, PositionConflict
from palabre.domain.ids import DocumentId, contribution_log_id

if TYPE_CHECKING:
    from eventsourcing.persistence import EventStore


class ContributionLog:
    # Provided by the application service.
    if TYPE_CHECKING:
        events: EventStore[UUID]
        checkpoints: EventStore[UUID]

        def _commit(self, *aggregates: Any) -> None: ...

    def contribution_count(self, document_id: DocumentId) -> int:
        last = self._contribution_log(document_id).get_last()
        return 0 if last is None else last.originator_version

    def append_contributions(
        self, document_id: DocumentId, expected: int, batch: Sequence[NewContribution]
    ) -> int:
        """Append after position ``expected`` in one transaction; returns the new position.

        All or nothing: on PositionConflict nothing of the batch is stored."""
        log = self._contribution_log(document_id)
        events = [
            log.trigger_event(
                next_originator_version=expected + index,
                document_id=document_id,
                member_id=item.member_id,
                session_id=item.session_id,
                update=item.update,
                updates=item.updates,
            )
            for index, item in enumerate(batch, start=1)
        ]
        try:
            self._commit(*events)
        except IntegrityError:
            raise PositionConflict(expected, self.contribution_count(document_id)) from None
        return expected + len(events)

    def contributions(
        self, document_id: DocumentId, after: int = 0, upto: int | None = None
    ) -> Iterator[Contributed]:
        """Contributions with position in (after, upto], oldest first, read lazily in pages."""
        log = self._contribution_log(document_id)
        position = after
        while upto is None or position < upto:
            page = list(log.get(gt=position, lte=upto, limit=1000))
            if not page:
                return
            yield from page
            position = page[-1].originator_version

    def contribution_time(self, document_id: DocumentId, position: int) -> datetime:
        """When the contribution at ``position`` was stored: one event read, whatever the
        length of the log."""
        found = next(self.contributions(document_id, after=position - 1, upto=position), None)
        if found is None:
            raise NotFound(f"no contribution {position} in document {document_id}")
        return found.timestamp

    def position_at(self, document_id: DocumentId, when: datetime, inclusive: bool = True) -> int:
        """The last position whose contribution's time is at or before ``when`` (strictly
        before, unless ``inclusive``), by binary search: about log2(count) single reads.
        Contributions are stored in time order, so their times never decrease."""
        low, high = 0, self.contribution_count(document_id)
        while low < high:
            middle = (low + high + 1) // 2
            stamp = self.contribution_time(document_id, middle)
            if stamp < when or (inclusive and stamp == when):
                low = middle
            else:
                high = middle - 1
        return low

    def latest_checkpoint(
        self, document_id: DocumentId, upto: int | None = None
    ) -> Checkpoint | None:
        found = list(
            self.checkpoints.get(contribution_log_id(document_id), lte=upto, desc=True, limit=1)
        )
        if not found:
            return None
        checkpoint = found[0]
        assert isinstance(checkpoint, Checkpoint)
        return checkpoint

    def next_checkpoint(self, document_id: DocumentId, after: int) -> Checkpoint | None:
        """The first checkpoint after position ``after``, if any."""
        found = list(self.checkpoints.get(contribution_log_id(document_id), gt=after, limit=1))
        if not found:
            return None
        checkpoint = found[0]
        assert isinstance(checkpoint, Checkpoint)
        return checkpoint

    def store_checkpoint(self, document_id: DocumentId, position: int, state: bytes) -> None:
        checkpoint = Checkpoint(
            originator_id=contribution_log_id(document_id),
            originator_version=position,
            timestamp=Checkpoint.create_timestamp(),
            state=state,
        )
        # Another process may have checkpointed the same position: same bytes, nothing to do.
        with contextlib.suppress(IntegrityError):
            self.checkpoints.put([checkpoint])

    def _contribution_log(self, document_id: DocumentId) -> EventSourcedLog[Contributed]:
        return EventSourcedLog(self.events, contribution_log_id(document_id), Contributed)
