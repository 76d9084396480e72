"""What "the text" of a document means, stated once, for HTTP, exports, comments, proposals,
the live channel and the command line.

- :meth:`DocumentTexts.live`: what the people in this instance's live room see now, edits
  still in the batch window included (the stored text when no room is loaded here). Fast: no
  store round trip when the room is loaded. ``GET .../text`` answers it.
- :meth:`DocumentTexts.stored_position`: the end of the log once this instance's live room
  has stored what it received (``TextNotStored`` if that takes longer than the flush timeout):
  the position a proposal pins and an export of "now" shows. Edits held by another instance's
  room are not waited for.
- :meth:`DocumentTexts.at`: the text after the first N contributions, rebuilt from the store
  (the latest checkpoint at or before N plus the contributions after it): the same bytes
  whenever and wherever it is asked, which is what a proposal hashes and an approved version
  is checked against.
- :meth:`DocumentTexts.locate`: where comment anchors stand in the live text;
  :meth:`DocumentTexts.passages`: where suggestions' passages stand, and whether they still
  read as quoted.

Rebuilds run in the store's threads, never on the event loop.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable, Sequence

from palabre.domain.comment import Anchor
from palabre.domain.errors import ErrorCode
from palabre.domain.ids import DocumentId
from palabre.domain.suggestion import Passage
from palabre.server.crdt.anchors import AnchorQuery, AnchorRange, locate_anchors, locate_passages
from palabre.server.crdt.replica import LiveText, rebuild
from palabre.server.errors import StoreUnavailable
from palabre.server.live.rooms import Rooms
from palabre.server.storage.store import Store

Locator = Callable[[LiveText, Sequence[AnchorQuery]], list[AnchorRange]]

# How long a read waits for the live room to store what it received before giving up.
FLUSH_TIMEOUT_SECONDS = 10.0


class TextNotStored(StoreUnavailable):
    """The live room could not store what it received in time: a proposal would pin a text
    that differs from what people see."""

    code = ErrorCode.TEXT_NOT_STORED


class DocumentTexts:
    def __init__(self, store: Store, rooms: Rooms) -> None:
        """At the command line ``rooms`` holds no room: the live text is the stored one."""
        self._store = store
        self._rooms = rooms

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
        state = await self._store.load(document_id, upto=position)
        return await self._store.call(lambda: rebuild(state.updates()).text)

    async def latest(self, document_id: DocumentId) -> tuple[int, str]:
        """The stored position after this instance's room is flushed, and the text there."""
        position = await self.stored_position(document_id)
        return position, await self.at(document_id, position)

    async def locate(self, document_id: DocumentId, anchors: Sequence[Anchor]) -> list[AnchorRange]:
        """Where each comment's anchor stands in the live text."""
        queries = [anchor_query(anchor) for anchor in anchors]
        return await self._located(document_id, queries, locate_anchors)

    async def passages(
        self, document_id: DocumentId, passages: Sequence[Passage]
    ) -> list[AnchorRange]:
        """Where each suggestion's passage stands in the live text, and whether it still
        reads exactly as quoted (``detached`` when not: the suggestion conflicts)."""
        queries = [passage_query(passage) for passage in passages]
        return await self._located(document_id, queries, locate_passages)

    async def _located(
        self, document_id: DocumentId, queries: list[AnchorQuery], how: Locator
    ) -> list[AnchorRange]:
        """The live state is taken on the event loop, which owns the room; the work runs in
        a store thread."""
        if not queries:
            return []
        room = self._rooms.get(document_id)
        if room is not None:
            updates = [room.live.encode_state()]
        else:
            updates = (await self._store.load(document_id)).updates()
        return await self._store.call(lambda: how(rebuild(updates), queries))


def anchor_query(anchor: Anchor) -> AnchorQuery:
    return AnchorQuery(anchor.quote, _decoded(anchor.start), _decoded(anchor.end))


def passage_query(passage: Passage) -> AnchorQuery:
    return AnchorQuery(passage.quote, _decoded(passage.start), _decoded(passage.end))


def _decoded(position: str | None) -> bytes | None:
    return None if position is None else base64.b64decode(position)
