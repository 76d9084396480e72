"""What deciding a suggestion does to the text, for HTTP and the command line alike.

:class:`SuggestionDesk` runs every change of a suggestion that depends on the text: making or
revising one (its passage must read as quoted now), accepting it (the replacement is written
into the text as a contribution of the suggester), rejecting it (by the passage's authors or a
coordinator: who wrote the passage is read from the history index), and applying the
amendments a committee vote accepted, in the set's order. Decisions, revisions and
withdrawals of one document's suggestions run one at a time in this process, so that a
decision and a revision never cross.

Writing a replacement: the Yjs update is made in a store thread from the current state
(``crdt/passages.py``), under a fresh client id.

- With this process's live room loaded, it goes through the room
  (:meth:`~palabre.server.live.room.Room.apply_on_behalf`): applied to the replica, sent to
  every editor at once, stored by the batcher as one contribution of the suggester; once it is
  stored the acceptance is recorded. A crash in between leaves the replacement in the text and
  the suggestion open, shown as conflicting; nothing is lost.
- With no room loaded, the contribution is appended at the end of the log in the same
  transaction as the acceptance (made again against the new end if another writer got there
  first). A room loaded elsewhere picks it up: the live channel's relay tells this process's
  room to catch up when it sees the acceptance, whoever stored it.

A passage that no longer reads as quoted is never replaced: :class:`SuggestionConflict` (409).
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from uuid import UUID

from palabre.domain.amendments import Amendments
from palabre.domain.application import MemberInfo, PalabreApplication
from palabre.domain.contribution import NewContribution
from palabre.domain.errors import Conflict, PositionConflict
from palabre.domain.ids import DocumentId
from palabre.domain.suggestion import Passage, SuggestionConflict, SuggestionRecord
from palabre.domain.suggestion_commands import contribution_session
from palabre.projections.authorship import Run
from palabre.projections.history_index import HistoryIndex
from palabre.server.crdt.anchors import AnchorRange
from palabre.server.crdt.passages import Replacement, replace_passage
from palabre.server.live.room import Room
from palabre.server.live.rooms import Rooms
from palabre.server.storage.store import Store
from palabre.server.texts import DocumentTexts, passage_query

ATTEMPTS = 20  # appends against a log that keeps moving, before giving up with 409


@dataclass(frozen=True)
class Located:
    """Where a suggestion's passage stands in the live text (``range.detached``: it no longer
    reads as quoted) and who wrote it (member ids)."""

    range: AnchorRange
    authors: frozenset[UUID]


Recorded = Callable[[int | None], SuggestionRecord]  # records the acceptance at a position
Atomic = Callable[[int, NewContribution], SuggestionRecord]  # stores both after a position


class SuggestionDesk:
    def __init__(
        self, store: Store, rooms: Rooms, texts: DocumentTexts, history: HistoryIndex
    ) -> None:
        self._store = store
        self._rooms = rooms
        self._texts = texts
        self._history = history
        self._locks: dict[DocumentId, asyncio.Lock] = {}

    @property
    def _app(self) -> PalabreApplication:
        return self._store.application

    # Reads -----------------------------------------------------------------------------------

    async def locate(
        self, document_id: DocumentId, records: Sequence[SuggestionRecord]
    ) -> list[Located]:
        """Each suggestion's passage in the live text, and its authors (for open ones)."""
        ranges = await self._texts.passages(document_id, [r.passage for r in records])
        return await self._with_authors(document_id, records, ranges)

    async def _with_authors(
        self,
        document_id: DocumentId,
        records: Sequence[SuggestionRecord],
        ranges: Sequence[AnchorRange],
    ) -> list[Located]:
        wanted = [r.is_open and not w.detached for r, w in zip(records, ranges, strict=True)]
        runs: list[Run] = []
        if any(wanted):
            runs = await self._store.call(self._runs_now, document_id)
        return [
            Located(where, passage_authors(runs, r.passage.quote, where) if want else frozenset())
            for r, where, want in zip(records, ranges, wanted, strict=True)
        ]

    def _runs_now(self, document_id: DocumentId) -> list[Run]:
        position = self._app.contribution_count(document_id)
        return self._history.authorship(document_id, position).runs

    # The suggester's changes -----------------------------------------------------------------

    async def make(
        self,
        document_id: DocumentId,
        passage: Passage,
        reason: str,
        suggestion_id: UUID | None = None,
    ) -> tuple[SuggestionRecord, Located]:
        """The new suggestion and where its passage stands (found once: the check that it
        stands in the text now serves the answer too). Nothing can decide on a suggestion
        before it exists: no need to wait for the document's other changes.
        ``suggestion_id``: from the request's idempotency key (the same request again
        answers the suggestion it made)."""
        where = await self._check_stands(document_id, passage)
        record = await self._store.call(
            self._app.suggest, document_id, passage, reason, suggestion_id
        )
        return record, (await self._with_authors(document_id, [record], [where]))[0]

    async def revise(
        self,
        document_id: DocumentId,
        suggestion_id: UUID,
        passage: Passage,
        reason: str | None,
    ) -> tuple[SuggestionRecord, Located]:
        """``reason`` None keeps the one it has."""
        async with self._lock(document_id):
            where = await self._check_stands(document_id, passage)
            record = await self._store.call(
                self._app.revise_suggestion, document_id, suggestion_id, passage, reason
            )
            return record, (await self._with_authors(document_id, [record], [where]))[0]

    async def withdraw(self, document_id: DocumentId, suggestion_id: UUID) -> SuggestionRecord:
        async with self._lock(document_id):
            return await self._store.call(self._app.withdraw_suggestion, document_id, suggestion_id)

    async def _check_stands(self, document_id: DocumentId, passage: Passage) -> AnchorRange:
        [where] = await self._texts.passages(document_id, [passage])
        if where.detached:
            raise SuggestionConflict(
                "the passage does not read as quoted in the text now (or its quote occurs "
                "more than once and no anchor says which)"
            )
        return where

    # Decisions -------------------------------------------------------------------------------

    async def accept(self, document_id: DocumentId, suggestion_id: UUID) -> SuggestionRecord:
        async with self._lock(document_id):
            record, authors = await self._decidable(document_id, suggestion_id)
            app = self._app
            return await self._write(
                document_id,
                record,
                lambda position: app.record_acceptance(
                    document_id, suggestion_id, authors, position
                ),
                lambda expected, contribution: app.accept_with_contribution(
                    document_id, suggestion_id, authors, expected, contribution
                ),
            )

    async def reject(
        self, document_id: DocumentId, suggestion_id: UUID, reason: str
    ) -> SuggestionRecord:
        async with self._lock(document_id):
            record, authors = await self._decidable(document_id, suggestion_id)
            return await self._store.call(
                self._app.reject_suggestion, document_id, record.id, reason, authors
            )

    async def close_amendments(self, document_id: DocumentId, amendments_id: UUID) -> Amendments:
        """Close the vote if it is open, then write every accepted amendment that is not in
        the text yet, in the set's order; again after an interruption, it resumes. An
        amendment whose passage changed meanwhile stays open (the answer shows it
        conflicting) and the next ones are still applied."""
        async with self._lock(document_id):
            vote = await self._store.call(self._app.amendments_vote, document_id, amendments_id)
            if vote.is_open:
                vote = await self._store.call(
                    self._app.close_amendments, document_id, amendments_id
                )
            for suggestion_id in vote.accepted():
                await self._apply_amendment(document_id, vote, UUID(suggestion_id))
            return vote

    async def _apply_amendment(
        self, document_id: DocumentId, vote: Amendments, suggestion_id: UUID
    ) -> None:
        record = await self._store.call(self._app.suggestion, document_id, suggestion_id)
        if not record.is_open:
            return
        app = self._app
        # A conflicting one stays open, shown so: a coordinator decides what becomes of it.
        with contextlib.suppress(SuggestionConflict):
            await self._write(
                document_id,
                record,
                lambda position: app.record_acceptance(
                    document_id, suggestion_id, (), position, vote.id
                ),
                lambda expected, contribution: app.accept_with_contribution(
                    document_id, suggestion_id, (), expected, contribution, vote.id
                ),
            )

    async def _decidable(
        self, document_id: DocumentId, suggestion_id: UUID
    ) -> tuple[SuggestionRecord, frozenset[UUID]]:
        """The suggestion and its passage's authors, if the acting member may decide on it.
        The live room is stored first, so the history index knows who wrote what people see."""
        record = await self._store.call(self._app.suggestion, document_id, suggestion_id)
        await self._texts.stored_position(document_id)
        [located] = await self.locate(document_id, [record])
        await self._store.call(self._app.check_decider, document_id, record.id, located.authors)
        return record, located.authors

    # Writing the replacement -----------------------------------------------------------------

    async def _write(
        self, document_id: DocumentId, record: SuggestionRecord, recorded: Recorded, atomic: Atomic
    ) -> SuggestionRecord:
        suggester = await self._store.call(self._app.member, record.author_id)
        async with self._rooms.loaded(document_id) as room:
            if room is not None:
                return await asyncio.shield(self._through_room(room, record, suggester, recorded))
        return await self._into_log(document_id, record, suggester, atomic)

    async def _through_room(
        self, room: Room, record: SuggestionRecord, suggester: MemberInfo, recorded: Recorded
    ) -> SuggestionRecord:
        made = await self._replacement([room.live.encode_state()], record)
        session = contribution_session(record.id)
        before = room.position
        await room.apply_on_behalf(suggester, session, made.update)
        await room.flush()
        position = await self._store.call(
            self._position_of, room.document_id, before, room.position, session
        )
        return await self._store.call(recorded, position)

    def _position_of(
        self, document_id: DocumentId, after: int, upto: int, session: str
    ) -> int | None:
        found = self._app.contributions(document_id, after=after, upto=upto)
        return next((c.originator_version for c in found if c.session_id == session), None)

    async def _into_log(
        self,
        document_id: DocumentId,
        record: SuggestionRecord,
        suggester: MemberInfo,
        atomic: Atomic,
    ) -> SuggestionRecord:
        for _ in range(ATTEMPTS):
            stored = await self._store.load(document_id)
            made = await self._replacement(stored.updates(), record)
            contribution = NewContribution(
                suggester.id, contribution_session(record.id), made.update, 1
            )
            try:
                return await self._store.call(atomic, stored.position, contribution)
            except PositionConflict:
                continue
        raise Conflict("the text kept changing while the suggestion was written; try again")

    async def _replacement(self, state: list[bytes], record: SuggestionRecord) -> Replacement:
        passage = record.passage
        query = passage_query(passage)
        made = await self._store.call(replace_passage, state, query, passage.replacement)
        if made is None:
            raise SuggestionConflict(
                "the passage changed since the suggestion was made: it cannot be applied "
                "as it stands; its author can revise it, or it can be rejected"
            )
        return made

    def _lock(self, document_id: DocumentId) -> asyncio.Lock:
        return self._locks.setdefault(document_id, asyncio.Lock())


def passage_authors(runs: Sequence[Run], quote: str, where: AnchorRange) -> frozenset[UUID]:
    """Who wrote the passage: the authors of its characters; for an insertion point, of the
    characters on either side of it. ``runs`` is the attributed text at the latest stored
    position; when it does not read as the live text there (edits not stored yet), the quote
    is looked up once in it instead; not found, nobody."""
    text = "".join(run.text for run in runs)
    start, end = where.start, where.end
    if start is None or end is None or text[start:end] != quote:
        found = text.find(quote) if quote else -1
        if found < 0 or text.find(quote, found + 1) >= 0:
            return frozenset()
        start, end = found, found + len(quote)
    if start == end:
        start, end = max(0, start - 1), min(len(text), end + 1)
    bounds = list(itertools.accumulate(len(run.text) for run in runs))
    first = bisect.bisect_right(bounds, start)
    last = bisect.bisect_left(bounds, end)
    return frozenset(UUID(run.author) for run in runs[first : last + 1] if _is_member(run.author))


def _is_member(author: str) -> bool:
    try:
        UUID(author)
    except ValueError:
        return False
    return True
