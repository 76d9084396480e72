"""The rules an update must meet that need the room's state, once the content check
(``crdt/check.py``) has read its shape: it writes only under client ids its member owns
(``owners.py``), and it keeps the document within ``max_document_bytes``.

Structs an update writes under other members' ids are dropped, never applied: the server
holds them already (a page reloaded from its local cache sends the whole document again), or
their author will send them when they reconnect (a resync after a crash relays edits the
server lost). An update that writes new structs under someone else's id outside a resync
(sync step 2) is refused: no client does that of its own accord.

An id with text in the replica but no owner known here (written before the checkpoint the
room loaded, or stored by another instance or process and applied as theirs) is looked up
in the stored log, up to the room's stored position. A resync claims for its sender only
the ids under which it brings new structs: relaying someone else's text owns nothing.

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
        size: int,
    ) -> None:
        """``size``: the text's size in bytes."""
        self.owners = ClientOwners(settings.client_ids_per_member)
        self._document_id = document_id
        self._store = store
        self._limit = settings.max_document_bytes
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
        self,
        live: LiveText,
        member: UUID,
        shape: Shape,
        update: bytes,
        resync: bool,
        stored: int,
    ) -> bytes:
        """The update to apply for ``member``: without the structs written under other
        members' ids; ``stored`` is the room's stored position (how far to look back).
        Raises ForbiddenContent or TooLarge."""
        owner = self.owners.owner
        if any(owner(client) != member for client in shape.clients):  # not the usual keystroke
            update = await self._sort_out_owners(live, member, shape, update, resync, stored)
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
        self,
        live: LiveText,
        member: UUID,
        shape: Shape,
        update: bytes,
        resync: bool,
        stored: int,
    ) -> bytes:
        unknown = self.owners.unknown(shape.clients)
        if unknown and stored > 0:
            old = set(live.clocks_of(unknown))  # ids with text but no owner known yet
            if old:
                found = await self._store.client_authors(
                    self._document_id, old, stored, OWNER_LOOK_BACK
                )
                for client, author in found.items():
                    self.owners.learn(client, author)
        foreign = {c for c in shape.clients if self.owners.owner(c) not in (None, member)}
        mine = shape.clients - foreign
        if not foreign and not resync:
            self.owners.claim(member, mine)
            return update
        # The replica's clocks of this update's ids only: the whole state vector holds every
        # id ever written in the document (tens of thousands after a long attack).
        clocks = live.clocks_of({g.client for g in shape.groups})
        bringing = {g.client for g in shape.groups if g.end > clocks.get(g.client, 0)}
        if foreign:
            new = bringing & foreign
            if new and not resync:
                raise ForbiddenContent(f"client id {min(new)} belongs to another member")
            update = shape.without(update, foreign)
        self.owners.claim(member, mine & bringing if resync else mine)
        return update
