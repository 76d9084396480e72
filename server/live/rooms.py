"""The registry of live rooms: loads a room on first join (checkpoint plus tail), unloads it
after its last connection leaves and everything is stored, and owns every background task so
shutdown can find and finish them all."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any
from uuid import UUID

from palabre.domain.ids import DocumentId
from palabre.server.crdt.replica import rebuild
from palabre.server.live.checker import InlineChecker, UpdateChecker
from palabre.server.live.close_codes import CloseCode
from palabre.server.live.connection import Connection, State
from palabre.server.live.room import PresenceListener, Room
from palabre.server.settings import Settings
from palabre.server.storage.store import Store

log = logging.getLogger("palabre.rooms")

SHUTDOWN_FLUSH_SECONDS = 25  # within uvicorn's graceful shutdown and compose's grace period
GOING_AWAY_SECONDS = 2.0  # for close frames to be written before the server stops


class Rooms:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        checker: UpdateChecker | None = None,
        on_presence: PresenceListener | None = None,
    ) -> None:
        """``checker`` validates updates before they reach a replica (in the loop when none is
        given); ``on_presence`` is told of every presence change in every room (the cluster's
        notifier passes it to the other instances)."""
        self._store = store
        self._settings = settings
        self._checker = checker or InlineChecker()
        self._on_presence = on_presence
        self._rooms: dict[DocumentId, Room] = {}
        self._loading: dict[DocumentId, asyncio.Future[Room]] = {}
        self._unloading: dict[DocumentId, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closed = False
        # Revocations, removals and role changes this process has enforced (``grants_changed``):
        # a connection admitted before one and joining after it is checked again.
        self.grant_changes = 0

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def get(self, document_id: DocumentId) -> Room | None:
        return self._rooms.get(document_id)

    def __len__(self) -> int:
        return len(self._rooms)

    @property
    def connection_count(self) -> int:
        """Live connections in every loaded room (read-only, for metrics)."""
        return sum(len(room.connections) for room in self._rooms.values())

    @property
    def pending_updates(self) -> int:
        """Updates received by every loaded room and not stored yet (for metrics)."""
        return sum(room.pending_updates for room in self._rooms.values())

    def documents(self) -> set[DocumentId]:
        """The documents whose room is loaded in this process."""
        return set(self._rooms)

    async def acquire(self, document_id: DocumentId) -> Room:
        """The loaded room for a document, loading it if needed; the caller must release it."""
        while True:
            if self._closed:
                raise RuntimeError("server is shutting down")
            if document_id in self._unloading:
                await asyncio.shield(self._unloading[document_id])
                continue
            room = self._rooms.get(document_id)
            if room is not None:
                room.refs += 1
                return room
            if document_id in self._loading:
                await asyncio.shield(self._loading[document_id])
                continue
            future: asyncio.Future[Room] = asyncio.get_running_loop().create_future()
            self._loading[document_id] = future
            try:
                room = await self._load(document_id)
            except BaseException as error:
                future.set_exception(error)
                future.exception()  # mark retrieved: waiters retry the load themselves
                raise
            finally:
                del self._loading[document_id]
            self._rooms[document_id] = room
            future.set_result(room)
            room.refs += 1
            return room

    async def _load(self, document_id: DocumentId) -> Room:
        stored = await self._store.load(document_id)
        live = rebuild(stored.updates())
        log.info(
            "document %s: loaded at position %d (%d after checkpoint)",
            document_id,
            stored.position,
            len(stored.tail),
        )
        room = Room(
            document_id,
            live,
            position=stored.position,
            checkpointed=stored.position - len(stored.tail),
            store=self._store,
            settings=self._settings,
            spawn=self.spawn,
            checker=self._checker,
            on_presence=self._on_presence,
        )
        room.learn_authors(stored.tail, stored.authors)
        return room

    @contextlib.asynccontextmanager
    async def loaded(self, document_id: DocumentId) -> AsyncIterator[Room | None]:
        """The document's room if it is loaded in this process, held (never unloaded) until
        the block ends; None when it is not, once a load or unload under way has finished
        (after an unload everything it received is stored). Loads nothing."""
        while True:
            pending: asyncio.Future[Any] | None = self._loading.get(
                document_id
            ) or self._unloading.get(document_id)
            if pending is None:
                break
            with contextlib.suppress(Exception):
                await asyncio.shield(pending)
        room = self._rooms.get(document_id)
        if room is None or self._closed:
            yield None
            return
        room.refs += 1
        try:
            yield room
        finally:
            self.release(room)

    def disconnect(
        self,
        document_id: DocumentId,
        member_id: UUID,
        code: CloseCode,
        reason: str,
        keep: Callable[[Connection], bool] = lambda connection: False,
    ) -> int:
        """Close one member's live connections on one document (in this process), except
        those ``keep`` spares; returns how many were closed."""
        room = self._rooms.get(document_id)
        return 0 if room is None else room.disconnect(member_id, code, reason, keep)

    def grants_changed(self) -> None:
        """A revocation, removal or role change is about to be enforced (the relay, for every
        such stored event, before it closes what it affects): connections authenticated
        before it and joining a room after it must check their grant again."""
        self.grant_changes += 1

    def disconnect_credential(self, credential_id: UUID, code: CloseCode, reason: str) -> int:
        """Close every live connection (in this process) opened with one credential, which
        was just revoked; returns how many were closed."""
        closed = 0
        for room in self._rooms.values():
            theirs = [c for c in room.connections if c.credential_id == credential_id]
            for connection in theirs:
                connection.close(code, reason)
            closed += len(theirs)
        return closed

    async def flush(self, document_id: DocumentId) -> None:
        """Return once everything this process received for the document is stored, so that
        a read of the store sees the text as the people in the room see it (a proposal pins
        exactly that). Nothing to do when no room is loaded."""
        unloading = self._unloading.get(document_id)
        if unloading is not None:  # its close flushes; wait for it, whatever its outcome
            with contextlib.suppress(Exception):
                await asyncio.shield(unloading)
            return
        room = self._rooms.get(document_id)
        if room is not None:
            await room.flush()

    def release(self, room: Room) -> None:
        room.refs -= 1
        if room.refs == 0 and not self._closed:
            self.spawn(self._unload_when_idle(room))

    async def _unload_when_idle(self, room: Room) -> None:
        await room.flush()
        if room.refs > 0 or self._rooms.get(room.document_id) is not room:
            return
        del self._rooms[room.document_id]
        task = asyncio.current_task()
        assert task is not None
        self._unloading[room.document_id] = task
        try:
            await room.close(CloseCode.NORMAL)
            log.info("document %s: unloaded at position %d", room.document_id, room.position)
        finally:
            del self._unloading[room.document_id]

    async def going_away(self, timeout: float = GOING_AWAY_SECONDS) -> None:
        """The server is about to stop: close every live connection with 1001 and wait (a
        little) until their close frames are written, so that clients reconnect elsewhere.
        Their rooms then store what they hold as usual (:meth:`close` waits for it)."""
        connections = [c for room in self._rooms.values() for c in room.connections]
        for connection in connections:
            connection.close(CloseCode.GOING_AWAY, "server shutting down; reconnect")
        deadline = asyncio.get_running_loop().time() + timeout
        while any(c.state is not State.CLOSED for c in connections):
            if asyncio.get_running_loop().time() > deadline:
                return
            await asyncio.sleep(0.01)

    async def close(self) -> None:
        """Shutdown: close every connection, store every pending update, finish every task."""
        self._closed = True
        rooms = list(self._rooms.values())
        self._rooms.clear()
        results = await asyncio.gather(
            *(
                asyncio.wait_for(room.close(CloseCode.GOING_AWAY), SHUTDOWN_FLUSH_SECONDS)
                for room in rooms
            ),
            return_exceptions=True,
        )
        for room, result in zip(rooms, results, strict=True):
            if isinstance(result, BaseException):
                log.critical(
                    "document %s: %d updates could not be stored before shutdown (%r); "
                    "clients that still hold them will resend them on reconnection",
                    room.document_id,
                    room.pending_updates,
                    result,
                )
        pending = [task for task in self._tasks if not task.done()]
        if pending:
            await asyncio.wait(pending, timeout=30)
