"""Who is acting, and when: set once per request or command, read by the commands and events
that record an author and a time. Nothing here is stored: a crash loses only the context of
the call it interrupted."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def acting_as(member_id: UUID | None) -> Iterator[None]:
    """Run the block as ``member_id`` (None: the operator), then restore who acted before."""
    token = acting_member.set(member_id)
    try:
        yield
    finally:
        acting_member.reset(token)
