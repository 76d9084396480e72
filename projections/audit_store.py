"""Where the audit chain keeps its links and its position.

A second eventsourcing application, ``AuditChain``, in the same database as Palabre's event
log (PostgreSQL: ``auditchain_events`` and ``auditchain_tracking``; SQLite: the table
``auditchain_events``, see below, and the shared ``tracking`` table):

- a link is one ``LinkRecorded`` event in a single stream whose ``originator_version`` is the
  notification id of the event it links, so a link can never be stored twice; besides the
  link it keeps what identifies the event it chained (originator, version, topic, SHA-256 of
  the state), so that verification can say *what* changed, not only *where*;
- the position is eventsourcing's ``Tracking``, stored in the same transaction as a page of
  links: links and position are stored together or not at all.

Unlike the approved versions, the links are never rebuilt: rebuilding them from the events
would bless whatever the events say now, which is what the chain exists to check.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from uuid import uuid5

from eventsourcing.domain import DomainEvent
from eventsourcing.persistence import Tracking
from palabre.domain.chain import GENESIS, ChainHead
from palabre.domain.ids import NAMESPACE
from palabre.projections.view_store import ViewStore

PAGE = 500  # links read per query
CHAIN = uuid5(NAMESPACE, "audit-chain")


@dataclass(frozen=True)
class LinkRecorded(DomainEvent):
    """The link of notification ``originator_version`` and what identified its event."""

    link: str
    event_originator_id: str
    event_originator_version: int
    topic: str
    state_sha256: str

    @property
    def notification_id(self) -> int:
        return self.originator_version

    @property
    def event(self) -> str:
        """The chained event, named for people: originator, version and topic."""
        return f"{self.event_originator_id} v{self.event_originator_version} ({self.topic})"


class AuditStore(ViewStore):
    name = "AuditChain"

    def tracking(self, source: str, notification_id: int) -> Tracking:
        return Tracking(self._tracking_key(source), notification_id)

    def position(self, source: str) -> int:
        """The last notification of ``source``'s log that has a link."""
        return self._process_recorder.max_tracking_id(self._tracking_key(source)) or 0

    def _tracking_key(self, source: str) -> str:
        """Names the source log and this view: on SQLite, applications share one table."""
        return f"{source}>{self.name}"

    def record(self, links: Sequence[LinkRecorded], tracking: Tracking) -> None:
        """Store a page of links and the position reached, atomically. Raises IntegrityError
        if another process linked these notifications first."""
        self.events.put(list(links), tracking=tracking)

    def head(self) -> ChainHead:
        last = list(self.events.get(CHAIN, desc=True, limit=1))
        if not last:
            return ChainHead(0, GENESIS)
        assert isinstance(last[0], LinkRecorded)
        return ChainHead(last[0].notification_id, last[0].link)

    def link_at(self, notification_id: int) -> LinkRecorded | None:
        found = list(self.events.get(CHAIN, gt=notification_id - 1, lte=notification_id))
        return self._typed(found[0]) if found else None

    def links(self, after: int = 0, upto: int | None = None) -> Iterator[LinkRecorded]:
        """Links of notifications in (after, upto], in order, read lazily in pages."""
        position = after
        while True:
            page = list(self.events.get(CHAIN, gt=position, lte=upto, limit=PAGE))
            if not page:
                return
            for found in page:
                yield self._typed(found)
            position = page[-1].originator_version

    @staticmethod
    def _typed(found: object) -> LinkRecorded:
        assert isinstance(found, LinkRecorded)
        return found
