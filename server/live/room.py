"""A live room: one document's CRDT replica and the connections editing it, with their
presence. The room applies what clients send, fans changes out to everyone else at once, and
hands each change to its :class:`~palabre.server.live.batcher.Batcher`, which persists it.

A bad frame raises InvalidUpdate for the endpoint to close that one connection; nothing else
in the room changes. Presence changes are also handed to ``on_presence`` (another instance's
rooms learn of them through PostgreSQL, ``server/cluster/``), and presence from there comes
back through :meth:`Room.relay_presence`, already validated.

On weak links: the answer to a sync step 1 goes out in messages of at most
``max_sync_message_bytes`` (``crdt/split.py``), each within y-websocket's 30-second rule on a
slow link; presence states not renewed in time are dropped every few seconds
(``presence.py``), so a dead link's member does not stay present, here and on the other
instances.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from palabre.domain.application import MemberInfo
from palabre.domain.ids import DocumentId
from palabre.server.crdt.protocol import (
    AwarenessUpdate,
    DocumentUpdate,
    QueryAwareness,
    SyncStep1,
    awareness_message,
    parse_message,
    permission_denied_message,
    sync_step1_message,
    sync_step2_frames,
    update_message,
)
from palabre.server.crdt.replica import EMPTY_UPDATE, LiveText
from palabre.server.live.batcher import Batcher, ContributionStore, Spawn
from palabre.server.live.close_codes import CloseCode
from palabre.server.live.connection import Connection
from palabre.server.live.presence import Presence
from palabre.server.settings import Settings

log = logging.getLogger("palabre.room")
PresenceListener = Callable[[DocumentId, str, bytes], None]  # document, session, payload
PRESENCE_CHECK_SECONDS = 3.0  # how often states not renewed in time are looked for


class Room:
    def __init__(
        self,
        document_id: DocumentId,
        live: LiveText,
        position: int,
        checkpointed: int,
        store: ContributionStore,
        settings: Settings,
        spawn: Spawn,
        on_presence: PresenceListener | None = None,
    ) -> None:
        self.document_id = document_id
        self._on_presence = on_presence
        self.live = live
        self.connections: set[Connection] = set()
        self.refs = 0
        self.presence = Presence()
        self._max_sync_message = settings.max_sync_message_bytes
        self._presence_watch = spawn(self._watch_presence())
        self.batcher = Batcher(
            document_id,
            store,
            settings,
            spawn,
            position=position,
            checkpointed=checkpointed,
            apply_foreign=self._apply_foreign,
            connections=lambda: self.connections,
        )
        self.batcher.watch(self._flusher_died)

    @property
    def position(self) -> int:
        """Contributions stored and reflected in the replica."""
        return self.batcher.position

    # Connections -----------------------------------------------------------------------------

    def join(self, connection: Connection) -> None:
        self.connections.add(connection)
        connection.send(sync_step1_message(self.live.state_vector()))
        snapshot = self.presence.snapshot()
        if snapshot is not None:
            connection.send(awareness_message(snapshot))

    def leave(self, connection: Connection) -> None:
        self.connections.discard(connection)
        gone = self.presence.remove(connection.session_id)
        if gone is not None:
            self._broadcast(awareness_message(gone), exclude=None)
            self._presence_changed(connection.session_id, gone)

    def disconnect(
        self,
        member_id: UUID,
        code: CloseCode,
        reason: str,
        keep: Callable[[Connection], bool] = lambda connection: False,
    ) -> int:
        """Close every connection of one member except those ``keep`` spares (removed, or
        given another role), so the role a connection was opened with never outlives the
        grant. What they sent before is still stored. Returns how many were closed."""
        theirs = [
            c for c in self.connections if c.member.id == member_id and c.open and not keep(c)
        ]
        for connection in theirs:
            connection.close(code, reason)
        return len(theirs)

    # Frames ----------------------------------------------------------------------------------

    def receive(self, connection: Connection, frame: bytes) -> None:
        """Handle one frame. Raises InvalidUpdate for anything malformed."""
        message = parse_message(frame)
        if isinstance(message, SyncStep1):
            answer = self.live.encode_state(message.state_vector)
            for piece in sync_step2_frames(answer, self._max_sync_message):
                connection.send(piece)
        elif isinstance(message, DocumentUpdate):
            self._receive_update(connection, message.update)
        elif isinstance(message, AwarenessUpdate):
            applied = self.presence.apply(
                connection.session_id, message.payload, _stamp(connection), time.monotonic()
            )
            if applied.forward is not None:
                self._broadcast(awareness_message(applied.forward), exclude=connection)
                self._presence_changed(connection.session_id, applied.forward)
            if applied.echo is not None:
                connection.send(awareness_message(applied.echo))
        elif isinstance(message, QueryAwareness):
            snapshot = self.presence.snapshot()
            if snapshot is not None:
                connection.send(awareness_message(snapshot))

    def _receive_update(self, connection: Connection, update: bytes) -> None:
        if not connection.can_edit:
            if update != EMPTY_UPDATE:
                connection.send(
                    permission_denied_message(
                        f"role {connection.role.value} cannot edit; update refused"
                    )
                )
            return
        changes = self.live.apply(update)
        connection.received_updates += 1
        for change in changes:
            self._broadcast(update_message(change), exclude=connection)
            self.batcher.record(connection, change)
        if connection.wants_acks:
            self.batcher.acknowledge_soon()

    def apply_on_behalf(self, member: MemberInfo, session_id: str, update: bytes) -> None:
        """A change the server made for ``member`` (an accepted suggestion): applied to the
        replica, sent to every connection, and stored like a client's update, as one
        contribution of that member and session. Raises InvalidUpdate if the engine refuses
        it; nothing is applied then."""
        author = OnBehalf(member, session_id, received_updates=1)
        for change in self.live.apply(update):
            self._broadcast(update_message(change), exclude=None)
            self.batcher.record(author, change)

    def _apply_foreign(self, update: bytes) -> None:
        """A contribution another process stored: apply it and pass it on to everyone."""
        for change in self.live.apply(update):
            self._broadcast(update_message(change), exclude=None)

    def _presence_changed(self, session_id: str, payload: bytes) -> None:
        if self._on_presence is not None:
            self._on_presence(self.document_id, session_id, payload)

    def relay_presence(self, payload: bytes) -> None:
        """Presence of people connected to another instance (validated and stamped there,
        checked again by ``server/cluster/``): passed on to everyone here, not kept."""
        self._broadcast(awareness_message(payload), exclude=None)

    def _broadcast(self, frame: bytes, exclude: Connection | None) -> None:
        for connection in self.connections:
            if connection is not exclude:
                connection.send(frame)

    async def _watch_presence(self) -> None:
        """Every few seconds, drop the states not renewed in time and tell everyone."""
        while True:
            await asyncio.sleep(PRESENCE_CHECK_SECONDS)
            for session_id, gone in self.presence.expire(time.monotonic()):
                self._broadcast(awareness_message(gone), exclude=None)
                self._presence_changed(str(session_id), gone)

    def _flusher_died(self, error: BaseException) -> None:
        """The flush loop only ends by cancellation. If a bug ends it otherwise, fail closed:
        disconnect everyone (clients keep their edits and resync later) rather than go on
        accepting updates that would never be stored."""
        log.critical(
            "document %s: the flusher died; closing the room", self.document_id, exc_info=error
        )
        for connection in list(self.connections):
            connection.close(CloseCode.INTERNAL_ERROR, "room failed; reconnect to resync")

    # Persistence -----------------------------------------------------------------------------

    async def backpressure(self) -> None:
        await self.batcher.backpressure()

    async def flush(self) -> None:
        await self.batcher.flush()

    async def catch_up(self) -> None:
        await self.batcher.catch_up()

    @property
    def pending_updates(self) -> int:
        return self.batcher.pending_updates

    async def close(self, code: CloseCode) -> None:
        """Close every connection, store what is pending, stop, and checkpoint if worth it."""
        self._presence_watch.cancel()
        for connection in list(self.connections):
            connection.close(code)
        await self.batcher.close()


@dataclass(frozen=True)
class OnBehalf:
    """The author of a change the server makes for a member (see ``Batcher``'s ``Author``):
    no connection, so nobody to acknowledge."""

    member: MemberInfo
    session_id: str
    received_updates: int


def _stamp(connection: Connection) -> dict[str, str]:
    member = connection.member
    return {
        "id": str(member.id),
        "name": member.name,
        "organisation": member.organisation.name,
        "country": member.organisation.country.value,
        "role": connection.role.value,
    }
