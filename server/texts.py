"""What "the text" of a document means, stated once, for HTTP, exports, comments, proposals,
the live channel and the command line.

- :meth:`DocumentTexts.live`: what the people in this instance's live room see now, edits
  still in the batch window included (the stored text when no room is loaded here). Fast: no
  store round trip when the room is loaded. ``GET .../text`` answers it.
- :meth:`DocumentTexts.stored_position`: the end of the log once this instance's live room
  has stored what it received (``TextNotStored`` if that takes longer than the flush timeout):
  the position a proposal pins and an export of "now" shows. Edits held by another instance's
  room are not waited for.
- :meth:`DocumentTexts.at`: the text after the first N contributions: from the history index's
  stored text and changes where it reaches (no engine work), else rebuilt from the store. The
  same bytes whenever and wherever it is asked: the text at N is fixed by the first N
  contributions.
- :meth:`DocumentTexts.rebuilt_at`: the same text, always rebuilt by the CRDT engine from the
  store (the latest checkpoint at or before N plus the contributions after it): what a
  proposal hashes, as the approved versions and ``palabre verify`` will; derived records
  never decide what is pinned.
- :meth:`DocumentTexts.locate`: where comment and source anchors stand in the live text;
  :meth:`DocumentTexts.placed` gives that text too, from the same state;
  :meth:`DocumentTexts.passages`: where suggestions' passages stand, and whether they still
  read as quoted.

Rebuilds run in the store's threads, never on the event loop.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Sequence
from dataclasses import dataclass

from palabre.domain.comment import Anchor
from palabre.domain.errors import ErrorCode
from palabre.domain.ids import DocumentId
from palabre.domain.suggestion import Passage
from palabre.projections.history_index import HistoryIndex
from palabre.server.crdt.anchors import AnchorQuery, AnchorRange, locate_anchors, locate_passages
from palabre.server.crdt.replica import rebuild
from palabre.server.errors import StoreUnavailable
from palabre.server.live.rooms import Rooms
from palabre.server.storage.store import Store

# How long a read waits for the live room to store what it received before giving up.
FLUSH_TIMEOUT_SECONDS = 10.0


class TextNotStored(StoreUnavailable):
    """The live room could not store what it received in time: a proposal would pin a text
    that differs from what people see."""

    code = ErrorCode.TEXT_NOT_STORED


class DocumentTexts:
    def __init__(self, store: Store, rooms: Rooms, index: HistoryIndex) -> None:
        """At the command line ``rooms`` holds no room: the live text is the stored one."""
        self._store = store
        self._rooms = rooms
        self._index = index

    async def live(self, document_id: DocumentId) -> str:
        room = self._rooms.get(document_id)
        if room is not None:
            return room.live.text
        return await self.at(document_id, None)

    async def stored_position(self, document_id: DocumentId) -> int:
        try:
            await asyncio.wait_for(self._rooms.flush(document_id), FLUSH_TIMEOUT_SECONDS)
        except TimeoutError:
            raise TextNotStored(
                "the live text could not be stored in time (is the store slow?); try again"
            ) from None
        return await self._store.call(self._store.application.contribution_count, document_id)

    async def at(self, document_id: DocumentId, position: int | None) -> str:
        """The text after the first ``position`` contributions (None: all of them)."""
        if position is not None:
            indexed = await self._store.call(self._index.text, document_id, position)
            if indexed is not None:
                return indexed
        return await self.rebuilt_at(document_id, position)

    async def rebuilt_at(self, document_id: DocumentId, position: int | None) -> str:
        """The text after the first ``position`` contributions, rebuilt by the engine."""
        state = await self._store.load(document_id, upto=position)
        return await self._store.call(lambda: rebuild(state.updates()).text)

    async def latest(self, document_id: DocumentId) -> tuple[int, str]:
        """The stored position after this instance's room is flushed, and the text there,
        rebuilt by the engine: what a proposal pins."""
        position = await self.stored_position(document_id)
        return position, await self.rebuilt_at(document_id, position)

    async def locate(self, document_id: DocumentId, anchors: Sequence[Anchor]) -> list[AnchorRange]:
        """Where each anchor stands in the live text."""
        if not anchors:
            return []
        return (await self.placed(document_id, anchors)).ranges

    async def placed(
        self, document_id: DocumentId, anchors: Sequence[Anchor], position: int | None = None
    ) -> Placed:
        """The live text (or, given a position, the stored text there) and where each anchor
        stands in it, both from one state (taken on the event loop, which owns the room; the
        work runs in a store thread). An anchor on text typed after the position is
        detached there."""
        queries = [anchor_query(anchor) for anchor in anchors]
        updates = await self._state(document_id, position)

        def place() -> Placed:
            live = rebuild(updates)
            return Placed(live.text, locate_anchors(live, queries) if queries else [])

        return await self._store.call(place)

    async def passages(
        self, document_id: DocumentId, passages: Sequence[Passage]
    ) -> list[AnchorRange]:
        """Where each suggestion's passage stands in the live text, and whether it still
        reads exactly as quoted (``detached`` when not: the suggestion conflicts)."""
        if not passages:
            return []
        queries = [passage_query(passage) for passage in passages]
        updates = await self._state(document_id, None)
        return await self._store.call(lambda: locate_passages(rebuild(updates), queries))

    async def _state(self, document_id: DocumentId, position: int | None) -> list[bytes]:
        """The live room's state (taken on the event loop, which owns the room), or the
        stored one at ``position`` (None: the end of the log, when no room is loaded)."""
        room = self._rooms.get(document_id) if position is None else None
        if room is not None:
            return [room.live.encode_state()]
        return (await self._store.load(document_id, upto=position)).updates()


@dataclass(frozen=True)
class Placed:
    text: str
    ranges: list[AnchorRange]


def anchor_query(anchor: Anchor) -> AnchorQuery:
    return AnchorQuery(anchor.quote, _decoded(anchor.start), _decoded(anchor.end))


def passage_query(passage: Passage) -> AnchorQuery:
    return AnchorQuery(passage.quote, _decoded(passage.start), _decoded(passage.end))


def _decoded(position: str | None) -> bytes | None:
    return None if position is None else base64.b64decode(position)
