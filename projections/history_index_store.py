"""Where the history index keeps its records: a view store of its own (not the event log,
not the audit chain), one log of records per document and kind, each a pure function of the
contribution log at its position (``projections/history_index.py`` writes and reads them).

Records written before the index moved from ``palabre.server`` to ``palabre.projections``
carry their old topics; they are registered as aliases, so an existing database keeps its
index.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import DomainEvent
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import register_topic
from palabre.domain.shapes import Json
from palabre.projections.view_store import ViewStore


@dataclass(frozen=True)
class AuthorshipIndexed(DomainEvent):
    """Who wrote the text at position ``originator_version``: ``runs`` alternates an index
    into ``authors`` and a length in UTF-8 bytes, in text order."""

    document_id: UUID
    authors: list[str]
    runs: list[int]


@dataclass(frozen=True)
class SessionsIndexed(DomainEvent):
    """Sessions closed since the previous record, and those still open, at
    ``originator_version``."""

    document_id: UUID
    closed: list[Json]
    open: list[Json]


@dataclass(frozen=True)
class TextIndexed(DomainEvent):
    """The text (UTF-8) at ``originator_version``, beside the authorship record there."""

    document_id: UUID
    utf8: bytes


@dataclass(frozen=True)
class ChangesIndexed(DomainEvent):
    """What each contribution of ``(originator_version - len(changes), originator_version]``
    did to the text: its packed deltas (``projections/text_deltas.py``) and its author, an
    index into ``authors``."""

    document_id: UUID
    authors: list[str]
    by: list[int]
    changes: list[list[list[int | str]]]

    @property
    def first(self) -> int:
        """The position before the first contribution it covers."""
        return self.originator_version - len(self.changes)


def index_log_id(document_id: UUID, kind: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"palabre:history-index:{kind}:{document_id}")


class HistoryIndexStore(ViewStore):
    def record(
        self, authorship: AuthorshipIndexed, sessions: SessionsIndexed, *more: DomainEvent
    ) -> None:
        """The records of one position in one transaction; a set another thread or process
        stored first is the same set (same log, same position), so that is not an error."""
        with contextlib.suppress(IntegrityError):
            self.events.put([authorship, sessions, *more])

    def latest_text(self, document_id: UUID, upto: int) -> TextIndexed | None:
        found = list(
            self.events.get(index_log_id(document_id, "text"), lte=upto, desc=True, limit=1)
        )
        return found[0] if found and isinstance(found[0], TextIndexed) else None

    def authorship_at(self, document_id: UUID, position: int) -> AuthorshipIndexed | None:
        found = list(
            self.events.get(
                index_log_id(document_id, "authorship"), gt=position - 1, lte=position, limit=1
            )
        )
        return found[0] if found and isinstance(found[0], AuthorshipIndexed) else None

    def changes_after(self, document_id: UUID, position: int) -> ChangesIndexed | None:
        """The first changes record stored after ``position``."""
        found = list(self.events.get(index_log_id(document_id, "changes"), gt=position, limit=1))
        return found[0] if found and isinstance(found[0], ChangesIndexed) else None

    def latest_authorship(self, document_id: UUID, upto: int | None) -> AuthorshipIndexed | None:
        found = list(
            self.events.get(index_log_id(document_id, "authorship"), lte=upto, desc=True, limit=1)
        )
        return found[0] if found and isinstance(found[0], AuthorshipIndexed) else None

    def authorship_before(self, document_id: UUID, position: int) -> AuthorshipIndexed | None:
        return self.latest_authorship(document_id, position - 1) if position > 0 else None

    def sessions_at(self, document_id: UUID, position: int) -> SessionsIndexed | None:
        found = list(
            self.events.get(
                index_log_id(document_id, "sessions"), gt=position - 1, lte=position, limit=1
            )
        )
        return found[0] if found and isinstance(found[0], SessionsIndexed) else None

    def sessions_records(self, document_id: UUID, upto: int) -> Iterator[SessionsIndexed]:
        """Oldest first, in pages."""
        after = 0
        while True:
            page = list(
                self.events.get(
                    index_log_id(document_id, "sessions"), gt=after, lte=upto, limit=100
                )
            )
            for record in page:
                assert isinstance(record, SessionsIndexed)
                yield record
            if len(page) < 100:
                return
            after = page[-1].originator_version


# Stored before the move from palabre.server (the records are derived, but a database that has
# them must still read them).
for _record in (AuthorshipIndexed, SessionsIndexed):
    register_topic(f"palabre.server.history_index:{_record.__name__}", _record)
