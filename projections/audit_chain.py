"""The audit trail: a hash chain over Palabre's whole event log, in notification order.

Byte layout (so that anyone holding the stored events can recompute it):

- ``link_0`` is 64 zeros (hex), i.e. 32 zero bytes.
- For the stored event with notification id ``n`` (every event of the log, of every
  document, ascending by notification id; ids may skip numbers on PostgreSQL, where a
  rolled-back insert consumes one), ``record_n`` is the concatenation of:

  1. the notification id, as 8 bytes, unsigned big-endian;
  2. the originator id as text (a UUID: 36 lowercase characters with hyphens), UTF-8,
     preceded by its length in bytes as 8 bytes unsigned big-endian;
  3. the originator version, 8 bytes unsigned big-endian;
  4. the topic (e.g. ``palabre.domain.document:Document.ProposalClosed``), UTF-8, preceded by
     its length (8 bytes unsigned big-endian);
  5. the state exactly as stored (the ``state`` column), preceded by its length (8 bytes
     unsigned big-endian).

- ``link_n = SHA-256(bytes(link_{n-1}) || record_n)``, written as 64 lowercase hex digits;
  ``bytes(link)`` is the 32 bytes those digits denote.

In Python::

    def record(n, originator_id, version, topic, state):
        q = lambda i: i.to_bytes(8, "big")
        o, t = str(originator_id).encode(), topic.encode()
        return q(n) + q(len(o)) + o + q(version) + q(len(t)) + t + q(len(state)) + state

    link = "0" * 64
    for n, originator_id, version, topic, state in events_by_notification_id:
        link = sha256(bytes.fromhex(link) + record(n, ...)).hexdigest()

The link function is defined in the domain (``domain.chain.chain_link``): a
decision records the chain's head (``ProposalClosed.chain_head`` and ``chain_position``), and
the domain imports no projection.

The projection is pull-based like the approved versions: :meth:`AuditChain.catch_up` reads
the log after its tracked position, links each event to the stored link before it, and stores
each page of links with the position reached in one transaction (``audit_store``). Processes
catching up at once compute equal links; the loser of a race resumes after the winner.

:func:`verify_chain` recomputes the chain from the stored events and compares it, event by
event, with the stored links, reporting the first difference: an altered event (state or
topic), a deleted one (a link without its event, also past the end), an inserted one (an event
without a link inside the linked range, or another event where the chain linked one) or
reordered ones; and a decision whose recorded chain head is not the chain's link at the
position it names. Events stored after the last catch-up are not linked yet and are reported as
such: a chain cannot tell an event appended since from a legitimate one; what it guarantees
is that the history it has linked (and that decisions and exports have sealed) never changes.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Mapper, Notification
from eventsourcing.utils import get_topic
from palabre.domain.application import PalabreApplication
from palabre.domain.chain import GENESIS, ChainHead, chain_link
from palabre.domain.document import Document
from palabre.domain.ids import DocumentId, contribution_log_id
from palabre.projections.audit_store import CHAIN, AuditStore, LinkRecorded
from palabre.projections.runner import catch_up

PAGE = 500  # notifications read per query
# Decisions record the chain's head; the class is defined by the aggregate's @event decorator.
CLOSED_TOPIC = get_topic(Document.ProposalClosed)

__all__ = ["GENESIS", "AuditChain", "AuditEntry", "BrokenLink", "ChainReport", "verify_chain"]


@dataclass(frozen=True)
class BrokenLink:
    notification_id: int
    problem: str


@dataclass(frozen=True)
class ChainReport:
    checked: int  # events whose link was recomputed and matched
    head: ChainHead  # the last stored link
    unlinked_after: int | None  # events after this notification are not linked yet
    broken: BrokenLink | None

    @property
    def ok(self) -> bool:
        return self.broken is None


@dataclass(frozen=True)
class AuditEntry:
    """One event of a document's history, with its place in the chain."""

    notification: Notification
    previous: str | None  # the link before it (of the log's previous event, any document)
    link: str | None  # None if the chain has no link for it (tampering)
    fields: dict[str, Any] | None  # the event decoded; None if it cannot be
    problem: str  # why it could not be decoded; empty otherwise

    @property
    def timestamp(self) -> datetime | None:
        found = None if self.fields is None else self.fields.get("timestamp")
        return found if isinstance(found, datetime) else None


def notifications(source: PalabreApplication, after: int = 0) -> Iterator[Notification]:
    """Every stored event after notification ``after``, in order, read lazily in pages."""
    position = after
    while page := source.recorder.select_notifications(position, PAGE, inclusive_of_start=False):
        yield from page
        position = page[-1].id


def state_sha256(notification: Notification) -> str:
    return hashlib.sha256(notification.state).hexdigest()


def _name(notification: Notification) -> str:
    return f"{notification.originator_id} v{notification.originator_version} ({notification.topic})"


# The projection ----------------------------------------------------------------------------


class AuditChain:
    def __init__(self, source: PalabreApplication, store: AuditStore) -> None:
        self._source = source
        self._store = store
        self._lock = threading.Lock()  # one catch-up at a time in this process

    def close(self) -> None:
        self._store.close()

    def head(self) -> ChainHead:
        """The link of the last stored event, linking first what is not linked yet: what a
        decision records (``PalabreApplication.chain_head``)."""
        self.catch_up()
        return self._store.head()

    def catch_up(self) -> int:
        """Link every event stored since the last catch-up; returns how many."""
        with self._lock:
            end = self._source.recorder.max_notification_id() or 0
            return catch_up(self._position, end, lambda position: self._link_page(position, end))

    def link_at(self, notification_id: int) -> str | None:
        """The chain's link at one notification (linking what is not linked yet first); None
        for a notification that is not in the log. The genesis link at 0."""
        if notification_id == 0:
            return GENESIS
        self.catch_up()
        found = self._store.link_at(notification_id)
        return None if found is None else found.link

    def position(self) -> int:
        """The last notification of Palabre's log that the chain has linked."""
        return self._store.position(self._source.name)

    def _position(self) -> int:
        return self.position()

    def _link_page(self, position: int, end: int) -> int:
        page = self._source.recorder.select_notifications(
            position, PAGE, stop=end, inclusive_of_start=False
        )
        if not page:
            return 0
        previous = self._store.head().link
        links = []
        for notification in page:
            previous = chain_link(previous, notification)
            links.append(_link_event(notification, previous))
        self._store.record(links, self._store.tracking(self._source.name, page[-1].id))
        return len(links)

    def verify(self) -> ChainReport:
        return verify_chain(self._source, self._store)

    # A document's history --------------------------------------------------------------------

    def history(self, document_id: UUID) -> Iterator[AuditEntry]:
        """The document's events with their links, oldest first: the document aggregate, its
        contribution log, the members with a role on it, its comments, interviews,
        suggestions and votes on amendments. Catches up (and checks that the document exists)
        now, then reads lazily, page by page."""
        self._source.document(document_id)
        self.catch_up()
        originators = self._originators(document_id)
        return self._entries(originators, self._position())

    def _originators(self, document_id: UUID) -> set[str]:
        """The document, its contribution log, the members with a role on it, its comment
        threads, its interviews (whose events carry the seal of their notes, never the
        notes: ``domain/notes.py``), its suggestions and its votes on amendments."""
        source = self._source
        members = {str(member.id) for member in source.members(document_id)}
        comments = {str(thread.id) for thread in source.comments(document_id)}
        interviews = {str(record.id) for record in source.interviews(document_id)}
        decided = source.suggestion_ids(document_id) + source.amendments_ids(document_id)
        own = {str(document_id), str(contribution_log_id(DocumentId(document_id)))}
        return own | members | comments | interviews | {str(i) for i in decided}

    def _entries(self, originators: set[str], upto: int) -> Iterator[AuditEntry]:
        previous: str | None = GENESIS
        position = 0
        mapper = self._source.mapper
        while page := self._source.recorder.select_notifications(
            position, PAGE, stop=upto, inclusive_of_start=False
        ):
            links = {
                link.notification_id: link for link in self._store.links(position, page[-1].id)
            }
            for notification in page:
                link = links.get(notification.id)
                if str(notification.originator_id) in originators:
                    yield _entry(mapper, notification, previous, link)
                previous = None if link is None else link.link
            position = page[-1].id


def _link_event(notification: Notification, link: str) -> LinkRecorded:
    return LinkRecorded(
        originator_id=CHAIN,
        originator_version=notification.id,
        timestamp=LinkRecorded.create_timestamp(),
        link=link,
        event_originator_id=str(notification.originator_id),
        event_originator_version=notification.originator_version,
        topic=notification.topic,
        state_sha256=state_sha256(notification),
    )


def _entry(
    mapper: Mapper[UUID], notification: Notification, previous: str | None, link: Any
) -> AuditEntry:
    try:
        fields, problem = decoded(mapper, notification.state), ""
    except Exception as error:  # a tampered state may fail anywhere in the decoders
        fields, problem = None, f"cannot decode the stored state: {error}"
    return AuditEntry(notification, previous, None if link is None else link.link, fields, problem)


def decoded(mapper: Mapper[UUID], state: bytes) -> dict[str, Any]:
    """A stored state as the dictionary of its fields, as the mapper would read it."""
    data = state
    if mapper.cipher is not None:
        data = mapper.cipher.decrypt(data)
    if mapper.compressor is not None:
        data = mapper.compressor.decompress(data)
    fields = mapper.transcoder.decode(data)
    if not isinstance(fields, dict):
        raise ValueError("the stored state is not a set of fields")
    return fields


# Verification ------------------------------------------------------------------------------


def verify_chain(source: PalabreApplication, store: AuditStore) -> ChainReport:
    """Recompute the chain from the stored events and compare it with the stored links, both
    read in pages side by side; stops at the first broken link."""
    walk = _Walk(source, store)
    return walk.run()


class _Walk:
    """One verification pass: the events and the links, merged by notification id."""

    def __init__(self, source: PalabreApplication, store: AuditStore) -> None:
        self._source = source
        self._store = store
        self._head = store.head()
        self._position = store.position(source.name)
        self._checked = 0

    def run(self) -> ChainReport:
        events, links = notifications(self._source), self._store.links()
        event, link = next(events, None), next(links, None)
        previous = GENESIS
        while event is not None or link is not None:
            if link is None:
                assert event is not None
                if event.id <= self._position:
                    return self._broken(event.id, f"{_name(event)} is stored here, {UNLINKED}")
                return self._report(None, unlinked_after=self._position)
            if event is None or link.notification_id < event.id:
                return self._broken(link.notification_id, f"{DELETED}: {link.event}")
            if event.id < link.notification_id:
                return self._broken(event.id, f"{_name(event)} is stored here, {UNLINKED}")
            recomputed = chain_link(previous, event)
            if recomputed != link.link:
                return self._broken(event.id, self._difference(event, link, previous))
            if event.topic == CLOSED_TOPIC and (problem := self._seal(event)):
                return self._broken(event.id, problem)
            previous, self._checked = recomputed, self._checked + 1
            event, link = next(events, None), next(links, None)
        return self._report(None)

    def _difference(self, event: Notification, link: LinkRecorded, previous: str) -> str:
        """What changed at a notification whose recomputed link differs from the stored one."""
        chained = (link.event_originator_id, link.event_originator_version)
        if (str(event.originator_id), event.originator_version) != chained:
            return _moved(self._source, event, link)
        if event.topic != link.topic:
            return f"{_name(event)} was altered: its topic was {link.topic}"
        if state_sha256(event) != link.state_sha256:
            return (
                f"{_name(event)} was altered: its state hashes to {state_sha256(event)}, "
                f"the chain linked a state hashing to {link.state_sha256}"
            )
        recomputed = chain_link(previous, event)
        return (
            f"the stored link {link.link} differs from the recomputed {recomputed} while the "
            "event is the one chained: the audit store itself was altered"
        )

    def _seal(self, event: Notification) -> str:
        """What is wrong with the chain head a decision records (empty if nothing). The links
        before it matched their events, so the stored link at its position can be trusted."""
        decision = self._source.mapper.to_domain_event(event)
        assert isinstance(decision, Document.ProposalClosed)
        head, position = decision.chain_head, decision.chain_position
        if head is None or position is None:  # decided before the audit chain existed
            return ""
        sealed = self._store.link_at(position) if 0 < position < event.id else None
        actual = GENESIS if position == 0 else None if sealed is None else sealed.link
        if actual == head:
            return ""
        return (
            f"the decision {_name(event)} records the chain head {head} at notification "
            f"{position}, but the chain's link there is {actual or 'missing'}"
        )

    def _broken(self, notification_id: int, problem: str) -> ChainReport:
        return self._report(BrokenLink(notification_id, problem))

    def _report(self, broken: BrokenLink | None, unlinked_after: int | None = None) -> ChainReport:
        return ChainReport(self._checked, self._head, unlinked_after, broken)


UNLINKED = "but the chain has no link for it: an event was inserted"
DELETED = "no event is stored here, but the chain linked one: an event was deleted"


def _moved(source: PalabreApplication, event: Notification, link: LinkRecorded) -> str:
    stored = source.recorder.select_events(
        UUID(link.event_originator_id),
        gt=link.event_originator_version - 1,
        lte=link.event_originator_version,
        limit=1,
    )
    where = (
        "is now stored at another position: events were reordered or inserted"
        if stored
        else "is no longer stored: it was replaced"
    )
    return f"{_name(event)} is stored here, but the chain linked {link.event} here, which {where}"
