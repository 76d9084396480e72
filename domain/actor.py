"""Who is acting: set once per request or command, read by the commands that record an author."""

from __future__ import annotations

from contextvars import ContextVar
from uuid import UUID

# None means the operator at the command line (or the server itself), not a member.
acting_member: ContextVar[UUID | None] = ContextVar("acting_member", default=None)
