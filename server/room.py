"""A live room: one document's CRDT replica, its connections, and the batcher that persists
their contributions.

Flow of an update: a client frame is parsed and applied to the replica; what it changed is
sent at once to every other connection and appended to the pending runs. The flusher task
writes the pending runs, one contribution event per run of consecutive updates by the same
connection, at most ``batch_window_ms`` later (sooner when a batch is full), in one
transaction.

What a crash loses: only updates received in the last batch window, never a committed
contribution. Clients still hold those updates and resend them when they resync after
reconnecting (sync step 1 / step 2). A client that asked for acknowledgements (``?acks=1``)
learns exactly which of its updates are durable.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from palabre.domain.errors import PositionConflict
from palabre.domain.ids import DocumentId
from palabre.server import crdt
from palabre.server.close_codes import CloseCode
from palabre.server.connection import Connection
from palabre.server.presence import Presence
from palabre.server.settings import Settings
from palabre.server.store import PendingRun, Store

log = logging.getLogger("palabre.room")

MAX_BACKOFF_SECONDS = 5.0
Spawn = Callable[[Coroutine[Any, Any, Any]], asyncio.Task[Any]]


@dataclass
class _Run:
    """Consecutive changes from one connection; bounded so one run fits in one batch."""

    connection: Connection
    updates: list[bytes] = field(default_factory=list)
    size: int = 0
    last_received: int = 0  # the connection's update count when the last change arrived


class Room:
    def __init__(
        self,
        document_id: DocumentId,
        live: crdt.LiveText,
        position: int,
        checkpointed: int,
        store: Store,
        settings: Settings,
        spawn: Spawn,
    ) -> None:
        self.document_id = document_id
        self.live = live
        self.position = position  # contributions stored and reflected in ``live``
        self.connections: set[Connection] = set()
        self.refs = 0
        self.presence = Presence()
        self._store = store
        self._settings = settings
        self._spawn = spawn
        self._checkpointed = checkpointed
        self._checkpointing = False
        self._runs: list[_Run] = []
        self._pending_updates = 0
        self._pending_bytes = 0
        self._failures = 0
        self._wake = asyncio.Event()
        self._hurry = asyncio.Event()  # cut the batch window short (batch full, flush)
        self._flushed = asyncio.Condition()
        self._below_limit = asyncio.Event()
        self._below_limit.set()
        self._in_flight = False
        self._flusher = spawn(self._flush_loop())
        self._flusher.add_done_callback(self._flusher_ended)

    # Connections -----------------------------------------------------------------------------

    def join(self, connection: Connection) -> None:
        self.connections.add(connection)
        connection.send(self.live.sync_step1())
        snapshot = self.presence.snapshot()
        if snapshot is not None:
            connection.send(crdt.awareness_message(snapshot))

    def leave(self, connection: Connection) -> None:
        self.connections.discard(connection)
        gone = self.presence.remove(connection.session_id)
        if gone is not None:
            self._broadcast(crdt.awareness_message(gone), exclude=None)

    def disconnect(self, member_id: UUID, code: CloseCode, reason: str) -> int:
        """Close every connection of one member (removed, or given another role), so the role
        a connection was opened with never outlives the grant. What they sent before is still
        stored. Returns how many connections were closed."""
        theirs = [c for c in self.connections if c.member.id == member_id and c.open]
        for connection in theirs:
            connection.close(code, reason)
        return len(theirs)

    def receive(self, connection: Connection, frame: bytes) -> None:
        """Handle one frame. Raises crdt.InvalidUpdate for anything malformed."""
        message = crdt.parse_message(frame)
        if isinstance(message, crdt.SyncStep1):
            connection.send(self.live.answer_step1(message.frame))
        elif isinstance(message, crdt.DocumentUpdate):
            self._receive_update(connection, message.update)
        elif isinstance(message, crdt.AwarenessUpdate):
            forward = self.presence.apply(
                connection.session_id, message.payload, _stamp(connection)
            )
            if forward is not None:
                self._broadcast(crdt.awareness_message(forward), exclude=connection)
        elif isinstance(message, crdt.QueryAwareness):
            snapshot = self.presence.snapshot()
            if snapshot is not None:
                connection.send(crdt.awareness_message(snapshot))

    def _receive_update(self, connection: Connection, update: bytes) -> None:
        if not connection.can_edit:
            if update != crdt.EMPTY_UPDATE:
                connection.send(
                    crdt.permission_denied_message(
                        f"role {connection.role.value} cannot edit; update refused"
                    )
                )
            return
        changes = self.live.apply(update)
        connection.received_updates += 1
        for change in changes:
            self._broadcast(crdt.update_message(change), exclude=connection)
            self._record(connection, change)
        if connection.wants_acks:
            self._wake.set()

    def _broadcast(self, frame: bytes, exclude: Connection | None) -> None:
        for connection in self.connections:
            if connection is not exclude:
                connection.send(frame)

    def _flusher_ended(self, task: asyncio.Task[Any]) -> None:
        """The flusher only ends by cancellation. If a bug ends it otherwise, fail closed:
        disconnect everyone (clients keep their edits and resync later) rather than go on
        accepting updates that would never be stored."""
        if task.cancelled() or task.exception() is None:
            return
        log.critical(
            "document %s: the flusher died; closing the room",
            self.document_id,
            exc_info=task.exception(),
        )
        for connection in list(self.connections):
            connection.close(CloseCode.INTERNAL_ERROR, "room failed; reconnect to resync")

    # Batching --------------------------------------------------------------------------------

    def _record(self, connection: Connection, change: bytes) -> None:
        settings = self._settings
        run = self._runs[-1] if self._runs else None
        if (
            run is None
            or run.connection is not connection
            or len(run.updates) >= settings.batch_max_updates
            or run.size >= settings.batch_max_bytes
        ):
            run = _Run(connection)
            self._runs.append(run)
        run.updates.append(change)
        run.size += len(change)
        run.last_received = connection.received_updates
        self._pending_updates += 1
        self._pending_bytes += len(change)
        if (
            self._pending_updates >= settings.batch_max_updates
            or self._pending_bytes >= settings.batch_max_bytes
        ):
            self._hurry.set()
        if self._pending_bytes >= settings.max_pending_bytes:
            self._below_limit.clear()
        self._wake.set()

    def _take_batch(self) -> list[_Run]:
        """The oldest runs, up to the batch limits (at least one run)."""
        taken = updates = size = 0
        for run in self._runs:
            if taken and (
                updates + len(run.updates) > self._settings.batch_max_updates
                or size + run.size > self._settings.batch_max_bytes
            ):
                break
            taken += 1
            updates += len(run.updates)
            size += run.size
        batch, self._runs = self._runs[:taken], self._runs[taken:]
        self._pending_updates -= updates
        self._pending_bytes -= size
        return batch

    def _acks_after(self, batch: list[_Run]) -> dict[Connection, int]:
        """What each acknowledging connection may be told once ``batch`` is stored: all it
        sent if nothing of it is still pending, else up to its last change in the batch."""
        acks: dict[Connection, int] = {}
        waiting = {id(run.connection) for run in self._runs}
        for connection in self.connections:
            if not connection.wants_acks:
                continue
            if id(connection) not in waiting:
                acks[connection] = connection.received_updates
            else:
                mine = [run.last_received for run in batch if run.connection is connection]
                if mine:
                    acks[connection] = max(mine)
        return acks

    async def backpressure(self) -> None:
        """Wait while too much is pending (the store is slow or down): stop reading clients."""
        await self._below_limit.wait()

    async def _flush_loop(self) -> None:
        while True:
            await self._wake.wait()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._hurry.wait(), self._settings.batch_window_ms / 1000)
            self._wake.clear()
            self._hurry.clear()
            ok = await self._flush_once()
            if not ok:
                self._failures += 1
                await asyncio.sleep(min(MAX_BACKOFF_SECONDS, 0.05 * 2**self._failures))
                self._wake.set()

    async def _flush_once(self) -> bool:
        runs = self._take_batch()
        acks = self._acks_after(runs)
        self._in_flight = True
        try:
            if runs:
                await self._append(
                    [
                        PendingRun(r.connection.member.id, r.connection.session_id, r.updates)
                        for r in runs
                    ]
                )
        except Exception:
            count = sum(len(run.updates) for run in runs)
            log.exception(
                "document %s: storing %d updates failed; retrying", self.document_id, count
            )
            self._runs = runs + self._runs
            self._pending_updates += count
            self._pending_bytes += sum(run.size for run in runs)
            return False
        finally:
            self._in_flight = False
        self._failures = 0
        if self._pending_bytes < self._settings.max_pending_bytes:
            self._below_limit.set()
        if self._runs:  # more than one batch was waiting: go on at once
            self._hurry.set()
            self._wake.set()
        for connection, count in acks.items():
            if count > connection.acked_updates:
                connection.acked_updates = count
                connection.send(crdt.saved_message(count))
        async with self._flushed:
            self._flushed.notify_all()
        if self.position - self._checkpointed >= self._settings.checkpoint_every:
            self._start_checkpoint(self._settings.checkpoint_every)
        return True

    async def _append(self, batch: list[PendingRun]) -> None:
        while True:
            try:
                self.position = await self._store.append(self.document_id, self.position, batch)
                return
            except PositionConflict:
                await self.catch_up()

    async def catch_up(self) -> None:
        """Apply contributions another process stored after ours, and pass them on."""
        for position, update in await self._store.tail(self.document_id, self.position):
            for change in self.live.apply(update):
                self._broadcast(crdt.update_message(change), exclude=None)
            self.position = position

    async def flush(self) -> None:
        """Return once everything received so far is stored (waits through retries)."""
        async with self._flushed:
            while self._runs or self._in_flight:
                self._hurry.set()
                self._wake.set()
                await self._flushed.wait()

    def _start_checkpoint(self, minimum_tail: int) -> None:
        if self._checkpointing:
            return
        self._checkpointing = True

        async def checkpoint() -> None:
            try:
                position = await self._store.checkpoint(self.document_id, minimum_tail)
                if position is not None:
                    self._checkpointed = position
            except Exception:
                log.exception("document %s: checkpoint failed", self.document_id)
            finally:
                self._checkpointing = False

        self._spawn(checkpoint())

    # Lifecycle -------------------------------------------------------------------------------

    async def close(self, code: CloseCode) -> None:
        """Flush, close every connection, stop the flusher, and checkpoint if worth it."""
        for connection in list(self.connections):
            connection.close(code)
        await self.flush()
        self._flusher.cancel()
        if self.position - self._checkpointed >= max(1, self._settings.checkpoint_every // 10):
            try:
                await self._store.checkpoint(self.document_id, 1)
            except Exception:
                log.exception("document %s: checkpoint on close failed", self.document_id)

    @property
    def pending_updates(self) -> int:
        return self._pending_updates


def _stamp(connection: Connection) -> dict[str, str]:
    member = connection.member
    return {
        "id": str(member.id),
        "name": member.name,
        "organisation": member.organisation.name,
        "country": member.organisation.country.value,
        "role": connection.role.value,
    }
