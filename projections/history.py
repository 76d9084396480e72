"""Editing sessions: each member's contributions grouped into sittings, split where the member
paused for more than five minutes.

Pure Python over one record per contribution (who, when, what it added and removed, which
sections it touched), which the server derives from the CRDT engine's deltas. Sessions are
computed on request by replaying the log, not stored: a projection can come later if this
gets slow. Only one open session per member is held while the contributions stream by.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

PAUSE = timedelta(minutes=5)


@dataclass(frozen=True)
class Edit:
    """What one contribution did. ``added``/``removed`` count characters."""

    position: int
    member: str
    at: datetime
    added: int
    removed: int
    sections: tuple[str, ...]


@dataclass
class Session:
    member: str
    start: datetime
    end: datetime
    first: int  # positions of its first and last contributions
    last: int
    contributions: int = 0
    added: int = 0
    removed: int = 0
    sections: list[str] = field(default_factory=list)  # in the order first touched

    @classmethod
    def opened_by(cls, edit: Edit) -> Session:
        session = cls(edit.member, edit.at, edit.at, edit.position, edit.position)
        session.add(edit)
        return session

    def add(self, edit: Edit) -> None:
        self.end = max(self.end, edit.at)
        self.last = edit.position
        self.contributions += 1
        self.added += edit.added
        self.removed += edit.removed
        self.sections += [s for s in dict.fromkeys(edit.sections) if s not in self.sections]


def sessions(edits: Iterable[Edit], pause: timedelta = PAUSE) -> list[Session]:
    """Sessions in the order they started. Edits come in log order; a member's session
    closes when their next edit comes more than ``pause`` after their previous one."""
    closed: list[Session] = []
    current: dict[str, Session] = {}
    for edit in edits:
        session = current.get(edit.member)
        if session is not None and edit.at - session.end <= pause:
            session.add(edit)
            continue
        if session is not None:
            closed.append(session)
        current[edit.member] = Session.opened_by(edit)
    return sorted([*closed, *current.values()], key=lambda s: (s.start, s.first))
