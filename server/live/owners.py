"""Which member writes under which Yjs client id, in one room.

The rule: a client id belongs to the member who first wrote under it; an update that writes
structs under a client id belonging to someone else is refused (two writers under one id with
clashing clocks make replicas diverge for good). What the room knows comes from the
contributions stored since the last checkpoint (told at load), from the updates it accepts,
and, for an id that already has text in the document but no known owner, from a bounded look
back over the stored log (``resolve``). An id with no text in the document is new: the
connection that writes under it first introduces it.

Bounded: at most ``per_member`` ids per member (a browser tab has one for its lifetime; a
reload gets a new one), so a room holds at most that many per member who wrote in it. Nothing
here is stored; a crash loses the map, which is rebuilt from the log as above.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from uuid import UUID

from palabre.server.crdt.check import ForbiddenContent


class ClientOwners:
    def __init__(self, per_member: int) -> None:
        self._owner: dict[int, UUID] = {}
        self._count: Counter[UUID] = Counter()
        self._per_member = per_member

    def __len__(self) -> int:
        return len(self._owner)

    def owner(self, client: int) -> UUID | None:
        return self._owner.get(client)

    def unknown(self, clients: Iterable[int]) -> set[int]:
        return {client for client in clients if client not in self._owner}

    def learn(self, client: int, member: UUID) -> None:
        """Record an owner read from the stored log (first stored writer wins)."""
        if client not in self._owner:
            self._owner[client] = member
            self._count[member] += 1

    def claim(self, member: UUID, clients: Iterable[int]) -> None:
        """Let ``member`` write under ``clients``, or raise ForbiddenContent naming why not;
        either every id is granted or none."""
        new: list[int] = []
        for client in clients:
            owner = self._owner.get(client)
            if owner is None:
                new.append(client)
            elif owner != member:
                raise ForbiddenContent(f"client id {client} belongs to another member")
        if self._count[member] + len(new) > self._per_member:
            raise ForbiddenContent(f"more than {self._per_member} client ids for one member")
        for client in new:
            self.learn(client, member)
