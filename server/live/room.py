"""A live room: one document's CRDT replica and the connections editing it, with their
presence. The room checks what clients send, applies it, fans changes out to everyone else at
once, and hands each change to its :class:`~palabre.server.live.batcher.Batcher`, which
persists it.

Nothing reaches the replica (or the log) unchecked: an update must be within
``max_update_bytes``, pass the content rules (``crdt/check.py``: plain text in ``body``),
write only under client ids its member owns and keep the document within
``max_document_bytes`` (``admission.py``). A refused frame raises InvalidUpdate (or its subclasses
ForbiddenContent, TooLarge) for the endpoint to close that one connection; nothing else in
the room changes. A change the server makes for a member (an accepted suggestion) passes the
same content rules.

If the engine panics anyway, the replica is thrown away: the room pauses (frames wait),
rebuilds it from the stored log (checkpoint and tail) plus what the batcher has not stored
yet, without the offending update, asks every connection to send what the new replica lacks
(sync step 1), then goes on. A rebuild that fails (the store is down) is retried with
back-off; one that cannot succeed (stored bytes the engine refuses) closes every connection
with 4500, as a dead flusher does: clients keep their edits.

Presence changes are also handed to ``on_presence`` (another instance's rooms learn of them
through PostgreSQL, ``server/cluster/``), and presence from there comes back through
:meth:`Room.relay_presence`, already validated.

On weak links: the answer to a sync step 1 goes out in messages of at most
``max_sync_message_bytes`` (``crdt/split.py``), each within y-websocket's 30-second rule on a
slow link; presence states not renewed in time are dropped every few seconds
(``presence.py``), so a dead link's member does not stay present, here and on the other
instances.

Over 400 lines: the room is where a frame's checks, the replica, the fan-out, presence and
the rebuild after a panic meet, and they share the replica and the readiness it guards;
what could leave did (the batcher, presence, client owners, outgoing messages).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from uuid import UUID

from palabre.domain.application import MemberInfo
from palabre.domain.ids import DocumentId
from palabre.server.crdt.check import TooLarge, check_update
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
)
from palabre.server.crdt.replica import EMPTY_UPDATE, InvalidUpdate, LiveText, rebuild
from palabre.server.live.admission import Admission
from palabre.server.live.batcher import Batcher, ContributionStore, Spawn
from palabre.server.live.checker import InlineChecker, UpdateChecker
from palabre.server.live.close_codes import CloseCode
from palabre.server.live.connection import Connection
from palabre.server.live.first_sync import EMPTY_STATE_VECTOR, FirstSync
from palabre.server.live.outgoing import Outgoing, PresenceWindow
from palabre.server.live.owners import ClientOwners
from palabre.server.live.presence import Presence
from palabre.server.settings import Settings

log = logging.getLogger("palabre.room")
PresenceListener = Callable[[DocumentId, str, bytes], None]  # document, session, payload
PRESENCE_CHECK_SECONDS = 3.0  # how often states not renewed in time are looked for

MAX_REBUILD_BACKOFF_SECONDS = 5.0
ReplicaFactory = Callable[[Iterable[bytes]], LiveText]


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
        checker: UpdateChecker | None = None,
        replica: ReplicaFactory = rebuild,
        on_presence: PresenceListener | None = None,
    ) -> None:
        self.document_id = document_id
        self._on_presence = on_presence
        self.live = live
        self.connections: set[Connection] = set()
        self.refs = 0
        self.presence = Presence(settings.max_awareness_bytes)
        self.admission = Admission(document_id, store, settings, live.size())
        self.rebuilds = 0  # replicas thrown away after an engine panic
        self._store = store
        self._settings = settings
        self._spawn = spawn
        self._checker = checker or InlineChecker()
        self._replica = replica
        self._ready = asyncio.Event()  # cleared while the replica is being rebuilt
        self._ready.set()
        self._held_foreign: list[bytes] = []  # stored elsewhere during a rebuild
        self._max_sync_message = settings.max_sync_message_bytes
        self.first_sync = FirstSync(settings.max_sync_message_bytes)
        self._presence_watch = spawn(self._watch_presence())
        self._presence_out = PresenceWindow(
            lambda payload: self._broadcast(awareness_message(payload), exclude=None)
        )
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

    @property
    def owners(self) -> ClientOwners:
        return self.admission.owners

    def learn_authors(self, updates: Iterable[bytes], authors: Iterable[UUID]) -> None:
        """Owners of client ids from stored contributions (the tail the room loaded)."""
        self.admission.learn_authors(updates, authors)

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
            self._relay(gone)
            self._presence_changed(connection.session_id, gone)

    def disconnect(
        self,
        member_id: UUID,
        code: CloseCode,
        reason: str,
        keep: Callable[[Connection], bool] = lambda connection: False,
    ) -> int:
        """Close every connection of one member except those ``keep`` spares (removed, given
        another role, or opened with a credential still valid), so what a connection was
        opened with never outlives the grant. What they sent before is still stored. Returns
        how many were closed."""
        theirs = [
            c for c in self.connections if c.member.id == member_id and c.open and not keep(c)
        ]
        for connection in theirs:
            connection.close(code, reason)
        return len(theirs)

    # Frames ----------------------------------------------------------------------------------

    async def receive(self, connection: Connection, frame: bytes) -> None:
        """Handle one frame. Raises InvalidUpdate (or a subclass) for anything refused."""
        message = parse_message(frame)
        if not self._ready.is_set():
            await self._ready.wait()
        if isinstance(message, SyncStep1):
            self._answer(connection, message.state_vector)
        elif isinstance(message, DocumentUpdate):
            await self._receive_update(connection, message.update, message.resync)
        elif isinstance(message, AwarenessUpdate):
            applied = self.presence.apply(
                connection.session_id, message.payload, _stamp(connection), time.monotonic()
            )
            if applied.forward is not None:
                self._relay(applied.forward)
                self._presence_changed(connection.session_id, applied.forward)
            if applied.echo is not None:
                connection.send(awareness_message(applied.echo))
        elif isinstance(message, QueryAwareness):
            snapshot = self.presence.snapshot()
            if snapshot is not None:
                connection.send(awareness_message(snapshot))

    def _answer(self, connection: Connection, state_vector: bytes) -> None:
        """What ``connection`` lacks; for a client holding nothing, the answer kept
        between joins (``first_sync.py``)."""
        if state_vector == EMPTY_STATE_VECTOR:
            for message in self.first_sync.answer(self.live):
                connection.send(message)
            return
        answer = self.live.encode_state(state_vector)
        for piece in sync_step2_frames(answer, self._max_sync_message):
            connection.send(piece)

    def _applied(self, change: bytes, exclude: Connection | None) -> None:
        """A change the replica took: to everyone but ``exclude``, and to the kept answer."""
        self._broadcast(Outgoing.of_update(change), exclude=exclude)
        self.first_sync.changed(change)

    async def _receive_update(self, connection: Connection, update: bytes, resync: bool) -> None:
        if not connection.can_edit:
            if update != EMPTY_UPDATE:
                connection.send(
                    permission_denied_message(
                        f"role {connection.role.value} cannot edit; update refused"
                    )
                )
            return
        limit = self._settings.max_update_bytes
        if len(update) > limit:
            raise TooLarge(f"an update of {len(update)} bytes, above {limit}")
        shape = await self._checker.check(update)
        update = await self.admission.admit(
            self.live, connection.member.id, shape, update, resync, self.position
        )
        if not self._ready.is_set():
            await self._ready.wait()
        if not connection.open:
            return  # closed while its update was being checked: nothing of it is applied
        try:
            changes = self.live.apply(update)
        except InvalidUpdate:
            if self.live.poisoned:
                self._start_rebuild(connection.member)
            raise
        connection.received_updates += 1
        for change in changes:
            # The sender holds what it sent; a change that is more than that (it completed
            # structs that were waiting for it, someone else's included) goes back to it too.
            sender_has_it = change == update
            self._applied(change, exclude=connection if sender_has_it else None)
            self.batcher.record(connection, change)
        if connection.wants_acks:
            self.batcher.acknowledge_soon()

    async def apply_on_behalf(self, member: MemberInfo, session_id: str, update: bytes) -> None:
        """A change the server made for ``member`` (an accepted suggestion): checked against
        the content rules, applied to the replica (once no rebuild is under way), sent to every
        connection, and stored like a client's update, as one contribution of that member and
        session. Raises InvalidUpdate if it is refused; nothing is applied then."""
        shape = check_update(update)
        await self._ready.wait()
        self.admission.claim(member.id, shape.clients)
        try:
            changes = self.live.apply(update)
        except InvalidUpdate:
            if self.live.poisoned:
                self._start_rebuild(member)
            raise
        author = OnBehalf(member, session_id, received_updates=1)
        for change in changes:
            self._applied(change, exclude=None)
            self.batcher.record(author, change)
        self.admission.resized(self.live)

    def _apply_foreign(self, update: bytes) -> None:
        """A contribution another process stored: apply it and pass it on to everyone."""
        if not self._ready.is_set():
            self._held_foreign.append(update)  # the rebuilt replica takes it
            return
        for change in self.live.apply(update):
            self._applied(change, exclude=None)
        self.admission.resized(self.live)

    def _presence_changed(self, session_id: str, payload: bytes) -> None:
        if self._on_presence is not None:
            self._on_presence(self.document_id, session_id, payload)

    def relay_presence(self, payload: bytes) -> None:
        """Presence of people connected to another instance (validated and stamped there,
        checked again by ``server/cluster/``): passed on to everyone here, not kept."""
        self._relay(payload)

    def _relay(self, payload: bytes) -> None:
        """Presence for everyone, at the end of the current window (``outgoing.py``)."""
        self._presence_out.add(payload)

    def _broadcast(self, message: bytes | Outgoing, exclude: Connection | None) -> None:
        """One message to every connection but ``exclude``: one object in every queue, so
        its frames are built once (``outgoing.py``)."""
        if isinstance(message, bytes):
            message = Outgoing(message)
        for connection in self.connections:
            if connection is not exclude:
                connection.send(message)

    async def _watch_presence(self) -> None:
        """Every few seconds, drop the states not renewed in time and tell everyone."""
        while True:
            await asyncio.sleep(PRESENCE_CHECK_SECONDS)
            for session_id, gone in self.presence.expire(time.monotonic()):
                self._relay(gone)
                self._presence_changed(str(session_id), gone)

    def _flusher_died(self, error: BaseException) -> None:
        """The flush loop only ends by cancellation. If a bug ends it otherwise, fail closed:
        disconnect everyone (clients keep their edits and resync later) rather than go on
        accepting updates that would never be stored."""
        log.critical(
            "document %s: the flusher died; closing the room", self.document_id, exc_info=error
        )
        self._close_everyone()

    def _close_everyone(self) -> None:
        for connection in list(self.connections):
            connection.close(CloseCode.INTERNAL_ERROR, "room failed; reconnect to resync")

    # Rebuilding after a panic ----------------------------------------------------------------

    def _start_rebuild(self, culprit: MemberInfo) -> None:
        if not self._ready.is_set():
            return  # already under way
        self._ready.clear()
        self.rebuilds += 1
        log.error(
            "document %s: the CRDT engine panicked on an update from %s (%s); "
            "rebuilding the replica from the store",
            self.document_id,
            culprit.name,
            culprit.id,
        )
        self._spawn(self._rebuild())

    async def _rebuild(self) -> None:
        failures = 0
        while True:
            try:
                replacement = await self._rebuilt_replica()
                break
            except InvalidUpdate:
                log.critical("document %s: the stored log cannot be applied", self.document_id)
                self._close_everyone()
                self._ready.set()
                return
            except Exception:
                failures += 1
                log.exception("document %s: rebuilding the replica failed", self.document_id)
                await asyncio.sleep(min(MAX_REBUILD_BACKOFF_SECONDS, 0.05 * 2**failures))
        self.live = replacement
        self.first_sync.drop()
        self.admission.resized(replacement)
        held, self._held_foreign = self._held_foreign, []
        self._ready.set()
        for update in held:
            self._apply_foreign(update)
        for connection in self.connections:  # send what the new replica lacks
            connection.send(sync_step1_message(self.live.state_vector()))
        log.info("document %s: replica rebuilt at position %d", self.document_id, self.position)

    async def _rebuilt_replica(self) -> LiveText:
        stored = await self._store.load(self.document_id)
        replacement = self._replica(stored.updates())
        position = stored.position
        while extra := await self._store.tail(self.document_id, position):
            replacement.apply_stored(update for _, update in extra)
            position = extra[-1][0]
        replacement.apply_stored(self.batcher.unstored())
        return replacement

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
        self._presence_out.stop()
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
