"""Who is acting: set once per request or command, read by the commands that record an author.
Nothing here is stored: a crash loses only the context of the call it interrupted."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from uuid import UUID

# None means the operator at the command line (or the server itself), not a member.
acting_member: ContextVar[UUID | None] = ContextVar("acting_member", default=None)


def acting_id() -> str | None:
    """The acting member's id as events store it (None: the operator)."""
    member = acting_member.get()
    return None if member is None else str(member)


@contextmanager
def acting_as(member_id: UUID | None) -> Iterator[None]:
    """Run the block as ``member_id`` (None: the operator), then restore who acted before."""
    token = acting_member.set(member_id)
    try:
        yield
    finally:
        acting_member.reset(token)
