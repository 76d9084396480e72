"""Answers already given to requests that carried an ``Idempotency-Key``: a retried request
gets the first answer again instead of acting twice (``server/http/idempotency.py``).

Stored in the same database as Palabre's log, as a second eventsourcing application with a
table of its own (``answeredrequests_events`` on SQLite; see ``projections/view_store.py``),
so it holds across restarts and across server instances sharing the store, and stays out of
the event log and its audit chain: an answer is a receipt, not a fact of the committee. One
stream per (member, key), of one ``RequestAnswered`` at version 1, so two processes racing to
record the same key cannot both succeed: the loser reads the winner's answer.

What a crash loses: an answer not yet recorded (the command was stored, the process died
before the receipt was). The retried request then runs the command again, and the domain
makes that harmless: an identical vote records nothing, and a comment or reply created under a
key has an id derived from it (``domain/ids.py``), so it is found, not created twice.
Records are small (the answer's JSON) and kept; nothing prunes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from eventsourcing.domain import DomainEvent
from eventsourcing.persistence import IntegrityError
from palabre.domain.ids import request_id
from palabre.projections.view_store import ViewStore
from palabre.server.storage.database import Database
from palabre.server.storage.transcoder import CompactTranscoder


@dataclass(frozen=True)
class RequestAnswered(DomainEvent):
    """The first answer to one member's request under one key."""

    member_id: UUID
    fingerprint: str  # SHA-256 of the method, path and body: the same key, the same request
    status: int
    media_type: str
    body: bytes


class AnsweredRequests(ViewStore):
    name = "AnsweredRequests"

    def get(self, member_id: UUID, key: str) -> RequestAnswered | None:
        for answered in self.events.get(request_id(member_id, key, "answer"), lte=1):
            assert isinstance(answered, RequestAnswered)
            return answered
        return None

    def record(
        self,
        member_id: UUID,
        key: str,
        fingerprint: str,
        status: int,
        media_type: str,
        body: bytes,
    ) -> RequestAnswered:
        """Keep this answer, or return the one another request under the same key kept first."""
        answered = RequestAnswered(
            originator_id=request_id(member_id, key, "answer"),
            originator_version=1,
            timestamp=datetime.now(UTC),
            member_id=member_id,
            fingerprint=fingerprint,
            status=status,
            media_type=media_type,
            body=body,
        )
        try:
            self.events.put([answered])
        except IntegrityError:
            first = self.get(member_id, key)
            if first is not None:
                return first
            raise
        return answered


def open_answered(database: Database) -> AnsweredRequests:
    """The answers kept on this database; the caller closes it."""
    return AnsweredRequests(env=database.env(), transcoder=CompactTranscoder())
