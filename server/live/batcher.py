"""What persists a room's contributions: runs of consecutive updates from one connection,
stored as one contribution each, in batches, with acknowledgements, retries and back-pressure.

Flow: the room hands over each change it applied (:meth:`Batcher.record`); the flush loop
stores the pending runs at most ``batch_window_ms`` later (sooner when a batch is full), in
one transaction per batch; connections that asked for acknowledgements are told how many of
their updates are durable. A failed store keeps the batch and retries with back-off; while
more than ``max_pending_bytes`` wait, :meth:`Batcher.backpressure` holds the readers. If
another process appended first (a position conflict), the contributions it stored are
applied through ``apply_foreign`` (the room's replica and fan-out) and the batch goes after
them. Every ``checkpoint_every`` contributions a checkpoint is stored in the background.

What a crash loses: only updates received in the last batch window, never a committed
contribution. Clients still hold those updates and resend them when they resync after
reconnecting (sync step 1 / step 2).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from uuid import UUID

from palabre.domain.application import MemberInfo
from palabre.domain.errors import PositionConflict
from palabre.domain.ids import DocumentId
from palabre.server.crdt.protocol import saved_message
from palabre.server.live.connection import Connection
from palabre.server.settings import Settings
from palabre.server.storage.store import PendingRun, StoredState

log = logging.getLogger("palabre.room")

MAX_BACKOFF_SECONDS = 5.0
Spawn = Callable[[Coroutine[Any, Any, Any]], asyncio.Task[Any]]


class Author(Protocol):
    """Whose changes a run holds: a live connection, or the server writing on a member's
    behalf (``room.OnBehalf``). ``received_updates`` counts the updates it sent."""

    @property
    def member(self) -> MemberInfo: ...

    @property
    def session_id(self) -> str: ...

    @property
    def received_updates(self) -> int: ...


class ContributionStore(Protocol):
    """What the batcher needs of storage (``server/storage/store.py`` provides it)."""

    async def append(
        self, document_id: DocumentId, expected: int, runs: Sequence[PendingRun]
    ) -> int:
        """Store each run as one contribution after position ``expected``, atomically;
        return the new position, or raise PositionConflict."""

    async def tail(self, document_id: DocumentId, after: int) -> list[tuple[int, bytes]]:
        """The contributions stored after position ``after``: (position, update)."""

    async def checkpoint(self, document_id: DocumentId, minimum_tail: int) -> int | None:
        """Store a checkpoint if at least ``minimum_tail`` contributions follow the last."""

    async def load(self, document_id: DocumentId, upto: int | None = None) -> StoredState:
        """The latest checkpoint and the contributions after it (a replica's rebuild)."""

    async def client_authors(
        self, document_id: DocumentId, clients: set[int], before: int, window: int
    ) -> dict[int, UUID]:
        """Who first wrote under each of ``clients`` among the ``window`` contributions up to
        position ``before``."""


@dataclass
class _Run:
    """Consecutive changes from one author; bounded so one run fits in one batch."""

    connection: Author
    updates: list[bytes] = field(default_factory=list)
    size: int = 0
    last_received: int = 0  # the connection's update count when the last change arrived


class Batcher:
    def __init__(
        self,
        document_id: DocumentId,
        store: ContributionStore,
        settings: Settings,
        spawn: Spawn,
        position: int,
        checkpointed: int,
        apply_foreign: Callable[[bytes], None],
        connections: Callable[[], Iterable[Connection]],
    ) -> None:
        self.document_id = document_id
        self.position = position  # contributions stored and reflected in the replica
        self._store = store
        self._settings = settings
        self._spawn = spawn
        self._apply_foreign = apply_foreign
        self._connections = connections
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
        self._flying: list[_Run] = []  # the batch being stored
        self._catching_up = asyncio.Lock()  # one reader of the tail at a time
        self._flusher = spawn(self._flush_loop())

    @property
    def pending_updates(self) -> int:
        return self._pending_updates

    @property
    def pending_bytes(self) -> int:
        return self._pending_bytes

    def unstored(self) -> list[bytes]:
        """Every change handed over and not known to be stored yet, oldest first (a rebuilt
        replica applies them after the stored log; one stored meanwhile is a duplicate, which
        changes nothing)."""
        return [update for run in self._flying + self._runs for update in run.updates]

    def watch(self, on_death: Callable[[BaseException], None]) -> None:
        """Call ``on_death`` if the flush loop ever ends otherwise than by cancellation."""

        def ended(task: asyncio.Task[Any]) -> None:
            if not task.cancelled() and task.exception() is not None:
                on_death(task.exception() or RuntimeError("flusher ended"))

        self._flusher.add_done_callback(ended)

    # Recording -------------------------------------------------------------------------------

    def record(self, connection: Author, change: bytes) -> None:
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

    def acknowledge_soon(self) -> None:
        """A connection that wants acknowledgements sent an update that changed nothing (a
        duplicate): tell it at the next turn of the flush loop."""
        self._wake.set()

    async def backpressure(self) -> None:
        """Wait while too much is pending (the store is slow or down): stop reading clients."""
        await self._below_limit.wait()

    # Flushing --------------------------------------------------------------------------------

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
        for connection in self._connections():
            if not connection.wants_acks:
                continue
            if id(connection) not in waiting:
                acks[connection] = connection.received_updates
            else:
                mine = [run.last_received for run in batch if run.connection is connection]
                if mine:
                    acks[connection] = max(mine)
        return acks

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
        self._flying = runs
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
            self._flying = []
        self._failures = 0
        if self._pending_bytes < self._settings.max_pending_bytes:
            self._below_limit.set()
        if self._runs:  # more than one batch was waiting: go on at once
            self._hurry.set()
            self._wake.set()
        for connection, count in acks.items():
            if count > connection.acked_updates:
                connection.acked_updates = count
                connection.send(saved_message(count))
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
        """Apply contributions another process stored after ours (after a position conflict,
        when another instance says it stored some, or when the relay sees a suggestion
        accepted without this room). One catch-up at a time; the position
        only moves forward, and what the replica holds already changes nothing."""
        async with self._catching_up:
            for position, update in await self._store.tail(self.document_id, self.position):
                if position > self.position:
                    self._apply_foreign(update)
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

    async def close(self) -> None:
        """Store everything pending, stop the flush loop, and checkpoint if worth it."""
        await self.flush()
        self._flusher.cancel()
        if self.position - self._checkpointed >= max(1, self._settings.checkpoint_every // 10):
            try:
                await self._store.checkpoint(self.document_id, 1)
            except Exception:
                log.exception("document %s: checkpoint on close failed", self.document_id)
