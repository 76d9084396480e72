"""The document aggregate: a référentiel's identity and title.

Keystroke-rate facts (contributions) live in their own log, so loading this aggregate never
replays the editing history.
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event
from palabre.domain.actor import acting_member
from palabre.domain.errors import InvalidInput

MAX_TITLE_LENGTH = 200


def clean_title(title: str) -> str:
    cleaned = " ".join(title.split())
    if not cleaned:
        raise InvalidInput("a document needs a title")
    if len(cleaned) > MAX_TITLE_LENGTH:
        raise InvalidInput(f"a title has at most {MAX_TITLE_LENGTH} characters")
    return cleaned


class Document(Aggregate):
    @classmethod
    def start(cls, title: str) -> Document:
        return cls(title=clean_title(title), created_by=acting_member.get())

    @event("Created")
    def __init__(self, title: str, created_by: UUID | None) -> None:
        self.title = title
        self.created_by = created_by
