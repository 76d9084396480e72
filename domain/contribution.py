"""Contributions: batches of CRDT updates by one member, in one log per document.

The domain treats an update as opaque bytes; only the server's CRDT adapter reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from eventsourcing.domain import DomainEvent


@dataclass(frozen=True)
class NewContribution:
    """What the live room hands over: one author's consecutive updates, already merged."""

    member_id: UUID
    session_id: str
    update: bytes
    updates: int  # how many client updates were merged into ``update``


@dataclass(frozen=True)
class Contributed(DomainEvent):
    """A member's change to the text: the Yjs update bytes, who, from which session, when.

    ``originator_version`` is the contribution's position: the count of contributions up to
    and including it.
    """

    document_id: UUID
    member_id: UUID
    session_id: str
    update: bytes
    updates: int


@dataclass(frozen=True)
class Checkpoint(DomainEvent):
    """Derived, not a fact: the full CRDT state after the first ``originator_version``
    contributions. Kept in the snapshot store so it never enters the event log; any checkpoint
    can be rebuilt from the contributions and compared."""

    state: bytes
