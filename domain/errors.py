"""One error root for the domain; the server translates these at its edges, nowhere else."""

from __future__ import annotations


class PalabreError(Exception):
    """Root of every error the domain raises on purpose."""


class InvalidInput(PalabreError):
    """A command's arguments break a rule (empty title, unknown role, bad country...)."""


class NotFound(PalabreError):
    """The named document, member or organisation does not exist."""


class Unauthenticated(PalabreError):
    """No credential, or one that matches no active member."""


class Forbidden(PalabreError):
    """The member is known but their role does not allow the action."""


class Conflict(PalabreError):
    """The command contradicts stored state (an organisation re-registered in another country)."""


class PositionConflict(PalabreError):
    """Another writer appended to a contribution log first; the caller must catch up and retry."""

    def __init__(self, expected: int, actual: int) -> None:
        super().__init__(f"contribution log moved from {expected} to {actual}")
        self.expected = expected
        self.actual = actual
