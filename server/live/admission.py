"""The rules an update must meet that need the room's state, once the content check
(``crdt/check.py``) has read its shape: it writes only under client ids its member owns
(``owners.py``), and it keeps the document within ``max_document_bytes``.

Structs an update writes under other members' ids are dropped, never applied: the server
holds them already (a page reloaded from its local cache sends the whole document again), or
their author will send them when they reconnect (a resync after a crash relays edits the
server lost). An update that writes new structs under someone else's id outside a resync
(sync step 2) is refused: no client does that of its own accord.

Nothing here is stored: after a restart the owners are learnt again from the stored tail (and
a bounded look back), and the size bound is read from the replica.
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from palabre.domain.ids import DocumentId
from palabre.server.crdt.check import ForbiddenContent, Shape, TooLarge, check_update
from palabre.server.crdt.replica import InvalidUpdate, LiveText
from palabre.server.live.batcher import ContributionStore
from palabre.server.live.owners import ClientOwners
from palabre.server.settings import Settings

OWNER_LOOK_BACK = 10_000  # contributions read to find the owner of an old client id


class Admission:
    def __init__(
        self,
        document_id: DocumentId,
        store: ContributionStore,
        settings: Settings,
        loaded_from: int,
        size: int,
    ) -> None:
        """``loaded_from``: the position of the checkpoint the room loaded (owners of ids
        written before it are unknown until looked up); ``size``: the text's size in bytes."""
        self.owners = ClientOwners(settings.client_ids_per_member)
        self._document_id = document_id
        self._store = store
        self._limit = settings.max_document_bytes
        self._loaded_from = loaded_from
        # At least the text's size in bytes (inserts added, deletes not subtracted): the
        # exact size is read from the engine only when this bound nears the limit.
        self._size_bound = size

    def learn_authors(self, updates: Iterable[bytes], authors: Iterable[UUID]) -> None:
        """Owners of client ids from stored contributions (the tail the room loaded)."""
        for update, member in zip(updates, authors, strict=True):
            try:
                clients = check_update(update).clients
            except InvalidUpdate:
                continue  # stored before the check existed: it owns nothing
            for client in clients:
                self.owners.learn(client, member)

    async def admit(
        self, live: LiveText, member: UUID, shape: Shape, update: bytes, resync: bool
    ) -> bytes:
        """The update to apply for ``member``: without the structs written under other
        members' ids. Raises ForbiddenContent or TooLarge."""
        owner = self.owners.owner
        if any(owner(client) != member for client in shape.clients):  # not the usual keystroke
            update = await self._sort_out_owners(live, member, shape, update, resync)
        if self._size_bound + shape.inserted_bytes > self._limit:
            self._size_bound = live.size()
            if self._size_bound + shape.inserted_bytes > self._limit:
                raise TooLarge(f"the document would grow above {self._limit} bytes")
        self._size_bound += shape.inserted_bytes
        return update

    def claim(self, member: UUID, clients: Iterable[int]) -> None:
        """Ids a change the server makes for ``member`` writes under (an accepted suggestion)."""
        self.owners.claim(member, clients)

    def resized(self, live: LiveText) -> None:
        """The replica changed without passing here (another process's contribution, a
        rebuild, a change the server made): read its size again."""
        self._size_bound = live.size()

    async def _sort_out_owners(
        self, live: LiveText, member: UUID, shape: Shape, update: bytes, resync: bool
    ) -> bytes:
        unknown = self.owners.unknown(shape.clients)
        if unknown and self._loaded_from > 0:
            old = unknown & live.clients()  # ids with text but no owner known yet
            if old:
                found = await self._store.client_authors(
                    self._document_id, old, self._loaded_from, OWNER_LOOK_BACK
                )
                for client, author in found.items():
                    self.owners.learn(client, author)
        foreign = {c for c in shape.clients if self.owners.owner(c) not in (None, member)}
        if foreign:
            clocks = live.clocks()
            new = {
                g.client
                for g in shape.groups
                if g.client in foreign and g.end > clocks.get(g.client, 0)
            }
            if new and not resync:
                raise ForbiddenContent(f"client id {min(new)} belongs to another member")
            update = shape.without(update, foreign)
        self.owners.claim(member, shape.clients - foreign)
        return update
