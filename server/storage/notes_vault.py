"""The notes vault: where interview notes are kept, beside the event log and outside it
(``domain/notes.py`` says why: the log is what the audit trail exports, notes must not be).

A second eventsourcing application, ``NotesVault``, in the same database (PostgreSQL:
``notesvault_events``; SQLite: the table ``notesvault_events``, see ``view_store.py``), so it
works on both engines without SQL of its own. One ``NotesKept`` record per seal, in a stream
named after the seal, at version 1: keeping the same notes twice stores them once.

Not covered by the audit chain, and not needed to rebuild any text or version: the chain
covers each seal, and the seal checks the notes. On a crash, a record written before its
event is never shown (no event names its seal); one written after cannot happen (the event
is stored second).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from uuid import UUID, uuid5

from eventsourcing.domain import DomainEvent
from eventsourcing.persistence import IntegrityError
from palabre.domain.ids import NAMESPACE
from palabre.domain.notes import SealedNotes
from palabre.projections.view_store import ViewStore


@dataclass(frozen=True)
class NotesKept(DomainEvent):
    """Notes, their nonce, and the document they belong to (for an operator who must find
    or erase them one day)."""

    document_id: UUID
    seal: str
    nonce: str
    text: str


def vault_id(seal: str) -> UUID:
    return uuid5(NAMESPACE, f"notes:{seal}")


class NotesVaultStore(ViewStore):
    """The domain's ``NotesVault``, stored."""

    name = "NotesVault"

    def keep(self, notes: SealedNotes, document_id: UUID) -> None:
        record = NotesKept(
            originator_id=vault_id(notes.seal),
            originator_version=1,
            timestamp=NotesKept.create_timestamp(),
            document_id=document_id,
            seal=notes.seal,
            nonce=notes.nonce,
            text=notes.text,
        )
        with contextlib.suppress(IntegrityError):  # kept already: the same seal, the same notes
            self.events.put([record])

    def find(self, seal: str) -> SealedNotes | None:
        found = list(self.events.get(vault_id(seal), limit=1))
        if not found or not isinstance(found[0], NotesKept):
            return None
        kept = found[0]
        return SealedNotes(kept.seal, kept.nonce, kept.text)
