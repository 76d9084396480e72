"""Who is acting, and when: set once per request or command, read by the commands and events
that record an author and a time."""

from __future__ import annotations

from contextvars import ContextVar
from datetime import UTC, datetime
from uuid import UUID

# None means the operator at the command line (or the server itself), not a member.
acting_member: ContextVar[UUID | None] = ContextVar("acting_member", default=None)


def acting_id() -> str | None:
    """The acting member's id as an event stores it (``by``); None for the operator."""
    member = acting_member.get()
    return None if member is None else str(member)


def now_iso() -> str:
    """Now, in UTC, as an event stores it (``at``)."""
    return datetime.now(UTC).isoformat()
