"""Following the contribution log through the CRDT engine's own change deltas: a replay in
progress (``Resume``: the engine replica, the attributed text, open editing sessions and the
changes since the last record), and what one contribution did (``edit_of``). The engine comes
in through ``DeltaReplica`` (``server/crdt/replay.py`` provides it): the projections never
import it.

A contribution the replay cannot model (the engine refuses it, or its change reaches beyond
the text) raises :class:`UnreadableHistory` naming its position: never skipped silently."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol
from uuid import UUID

from palabre.domain.application import PalabreApplication
from palabre.domain.contribution import Contributed
from palabre.domain.errors import ErrorCode, PalabreError
from palabre.domain.ids import DocumentId
from palabre.projections import text_deltas
from palabre.projections.authorship import Authorship, DeltaOp
from palabre.projections.headings import renamed
from palabre.projections.history import Edit, SessionTracker


class UnreadableHistory(PalabreError):
    """A stored contribution that the history index cannot model, at ``position``."""

    code = ErrorCode.HISTORY_UNREADABLE

    def __init__(self, document_id: UUID, position: int, reason: str) -> None:
        super().__init__(
            f"the history of document {document_id} cannot be read from contribution "
            f"{position} on: {reason}"
        )
        self.document_id = document_id
        self.position = position
        self.reason = reason


class DeltaReplica(Protocol):
    """A CRDT replica fed stored updates in order, reporting what each changed in the text
    (``server/crdt/replay.py`` provides it: the projections never import the engine)."""

    def apply(self, update: bytes) -> list[list[DeltaOp]]:
        """The deltas of one update, one list per transaction; ValueError if the engine
        refuses it or it holds more than plain text."""

    @property
    def text(self) -> str: ...

    def state(self) -> bytes:
        """Everything applied so far as one update (what a checkpoint stores)."""


@dataclass
class Resume:
    """A replay in progress: the engine replica, the attributed text and open sessions;
    ``written`` is the position of the last record it stored or started from, ``following``
    that of the next checkpoint (0: none known); ``changes`` what each contribution since
    ``written`` did, with its author."""

    position: int
    replay: DeltaReplica
    text: Authorship
    tracker: SessionTracker
    written: int = 0
    following: int = 0
    changes: list[tuple[str, text_deltas.Change]] = field(default_factory=list)


def follow(
    application: PalabreApplication, document_id: DocumentId, resume: Resume, upto: int
) -> Iterator[tuple[Contributed, Edit]]:
    """Apply the contributions in ``(resume.position, upto]`` to the replay and the attributed
    text, saying what each did: characters added and removed, and the sections it touched."""
    contributions = application.contributions(document_id, after=resume.position, upto=upto)
    for contribution in contributions:
        try:
            edit = edit_of(resume, contribution)
        except ValueError as error:  # the engine's refusal, or a delta beyond the text
            position = contribution.originator_version
            raise UnreadableHistory(document_id, position, str(error)[:200]) from None
        resume.position = contribution.originator_version
        yield contribution, edit


def edit_of(resume: Resume, contribution: Contributed) -> Edit:
    """Apply one contribution; the sections are read right after each delta, while its byte
    offsets still hold, and the headings compared when a delta touched a heading line."""
    author = str(contribution.member_id)
    added = removed = 0
    sections: list[str] = []
    renames: list[tuple[str, str]] = []
    deltas = resume.replay.apply(contribution.update)
    for delta in deltas:
        titles = resume.text.titles
        change = resume.text.apply(delta, author)
        added, removed = added + change.added, removed + change.removed
        sections += [resume.text.section_at(place) for place in change.places]
        if resume.text.titles is not titles:
            renames += renamed(titles, resume.text.titles)
    resume.changes.append((author, deltas))
    return Edit(
        position=contribution.originator_version,
        member=author,
        at=contribution.timestamp,
        added=added,
        removed=removed,
        sections=tuple(sections),
        renames=tuple(renames),
    )
