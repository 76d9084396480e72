"""Editing sessions: each member's contributions grouped into sittings, split where the member
paused for more than five minutes.

Pure Python over one record per contribution (who, when, what it added and removed, which
sections it touched, which headings it renamed), which the server derives from the CRDT
engine's deltas.

A session names the sections as they stood at its end: a heading renamed while a session is
in progress (someone typing "# Référentiel" one key at a time passes through "R", "Ré"...) is
renamed in it, so it lists "Référentiel" once, not every half-typed title. A session that
ended (its member paused longer than the pause) keeps its names.
:class:`SessionTracker` follows the log one edit at a time holding only each member's open
session, so the server can store its state every thousand contributions and resume from
there (``server/history_index.py``) instead of replaying the whole log per request.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

PAUSE = timedelta(minutes=5)


@dataclass(frozen=True)
class Edit:
    """What one contribution did. ``added``/``removed`` count characters; ``renames`` are
    the headings it renamed, ``(old, new)``."""

    position: int
    member: str
    at: datetime
    added: int
    removed: int
    sections: tuple[str, ...]
    renames: tuple[tuple[str, str], ...] = ()


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

    def rename(self, old: str, new: str) -> None:
        """A heading this session lists was renamed: list it under its new name, once."""
        if old in self.sections:
            renamed = [new if title == old else title for title in self.sections]
            self.sections = list(dict.fromkeys(renamed))


class SessionTracker:
    """Sessions as the edits stream by, in log order. A member's session closes when their
    next edit comes more than ``pause`` after their previous one; closed sessions pile up in
    :attr:`closed` until :meth:`take_closed`."""

    def __init__(self, open_sessions: Iterable[Session] = (), pause: timedelta = PAUSE) -> None:
        self.pause = pause
        self.open: dict[str, Session] = {session.member: session for session in open_sessions}
        self.closed: list[Session] = []

    def add(self, edit: Edit) -> None:
        for old, new in edit.renames:  # sessions still in progress see the heading's new name
            for other in self.open.values():
                if edit.at - other.end <= self.pause:
                    other.rename(old, new)
        session = self.open.get(edit.member)
        if session is not None and edit.at - session.end <= self.pause:
            session.add(edit)
            return
        if session is not None:
            self.closed.append(session)
        self.open[edit.member] = Session.opened_by(edit)

    def take_closed(self) -> list[Session]:
        taken, self.closed = self.closed, []
        return taken

    def open_sessions(self) -> list[Session]:
        return sorted(self.open.values(), key=started)


def started(session: Session) -> tuple[datetime, int]:
    return (session.start, session.first)


def sessions(edits: Iterable[Edit], pause: timedelta = PAUSE) -> list[Session]:
    """Sessions in the order they started."""
    tracker = SessionTracker(pause=pause)
    for edit in edits:
        tracker.add(edit)
    return sorted([*tracker.closed, *tracker.open.values()], key=started)


# Storage form ------------------------------------------------------------------------------


def session_record(session: Session) -> dict[str, Any]:
    """A session as plain JSON values, for the stored index."""
    return {
        "member": session.member,
        "start": session.start.isoformat(),
        "end": session.end.isoformat(),
        "first": session.first,
        "last": session.last,
        "contributions": session.contributions,
        "added": session.added,
        "removed": session.removed,
        "sections": list(session.sections),
    }


def session_from_record(record: dict[str, Any]) -> Session:
    return Session(
        member=str(record["member"]),
        start=datetime.fromisoformat(record["start"]),
        end=datetime.fromisoformat(record["end"]),
        first=int(record["first"]),
        last=int(record["last"]),
        contributions=int(record["contributions"]),
        added=int(record["added"]),
        removed=int(record["removed"]),
        sections=[str(section) for section in record["sections"]],
    )
