"""One websocket session: who it is, what it may do, its outgoing queue, and its lifecycle.

Sending never blocks the room: messages (``outgoing.py``; a broadcast is one object shared by
every recipient's queue) go to a queue bounded in messages and in bytes. At the end of the
event loop's turn, what the queue holds is written in one write if the peer can take it at
once (the usual case, without a task switch per message and recipient); when it cannot (a
slow reader), the connection's own writer task (:meth:`Connection.run_writer`) waits for it
and writes what accumulated meanwhile. When several broadcast updates wait together they go
out merged into one update (``outgoing.coalesce``), each merged message within
``merge_limit`` bytes. A client that cannot keep up even so is closed with TOO_SLOW and
resyncs on reconnect, so one weak link never slows the others down.

Keepalive: when nothing was written for ``keepalive`` seconds the writer sends a
keepalive message (``crdt/protocol.py``), so that a stock y-websocket client, which drops a
socket that received no message for 30 s, never takes a quiet link for a dead one (a browser
slowing a background tab's timers checks that rule late, but against the time of the last
message, which keeps arriving).

Lifecycle, an explicit state machine: ``OPEN`` (frames are queued and written) → ``CLOSING``
(a close was asked for: new frames are dropped, what is queued is written only for a normal
close, then the close frame) → ``CLOSED`` (the writer is done, or the peer went away). Misuse
(starting the writer twice) raises :class:`ConnectionStateError` naming both states.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from collections import deque
from collections.abc import Sequence
from enum import Enum
from typing import ClassVar
from uuid import UUID, uuid4

from palabre.domain.application import MemberInfo
from palabre.domain.roles import Role
from palabre.server.crdt.protocol import keepalive_message
from palabre.server.live.close_codes import CloseCode
from palabre.server.live.outgoing import Outgoing, coalesce
from palabre.server.live.peer import Peer

log = logging.getLogger("palabre.connection")

MAX_REASON_BYTES = 123  # the websocket protocol's limit for a close reason
WRITE_BYTES = 256 << 10  # the writer takes at most about this much from the queue at once
MERGE_FROM = 2  # broadcast updates waiting together that the writer merges into one


class State(Enum):
    OPEN = "open"
    CLOSING = "closing"
    CLOSED = "closed"


class ConnectionStateError(RuntimeError):
    def __init__(self, action: str, expected: State, actual: State) -> None:
        super().__init__(f"cannot {action}: expected state {expected.value}, got {actual.value}")


class WriteRound:
    """The connections that queued messages during this turn of the event loop, written at its
    end by one callback for all of them: a broadcast to 250 people scheduled 250 callbacks
    before. One per event loop."""

    _rounds: ClassVar[weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, WriteRound]] = (
        weakref.WeakKeyDictionary()
    )

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._due: list[Connection] = []

    @classmethod
    def of(cls, loop: asyncio.AbstractEventLoop) -> WriteRound:
        found = cls._rounds.get(loop)
        if found is None:
            found = cls._rounds[loop] = cls(loop)
        return found

    def add(self, connection: Connection) -> None:
        if not self._due:
            self._loop.call_soon(self._write)
        self._due.append(connection)

    def _write(self) -> None:
        due, self._due = self._due, []
        for connection in due:
            try:
                connection.write_queued()
            except Exception:  # a bug: the others are still written
                log.exception("writing to %s failed", connection.session_id)


class Connection:
    def __init__(
        self,
        peer: Peer,
        member: MemberInfo,
        role: Role,
        queue_size: int,
        wants_acks: bool = False,
        credential_id: UUID | None = None,
        queue_bytes: int = 32 << 20,
        keepalive: float | None = None,
        merge_limit: int = 64 << 10,
    ) -> None:
        self.session_id = uuid4().hex
        self.credential_id = credential_id  # the token it authenticated with (its hash's id)
        self.peer = peer
        self.member = member
        self.role = role
        self.wants_acks = wants_acks
        self.received_updates = 0  # document updates received from this client
        self.acked_updates = 0  # of those, how many were reported durable
        self.state = State.OPEN
        self.close_code: CloseCode | None = None
        self.close_reason = ""
        self._queue: deque[Outgoing] = deque()
        self._queue_size = queue_size
        self._queue_bytes = queue_bytes  # the same bound, in bytes
        self._queued_bytes = 0
        self._ready = asyncio.Event()  # the writer task has something to do
        self._writing = False
        self._flush_soon = False  # a write at the end of this turn is scheduled
        self._round: WriteRound | None = None  # where it is scheduled (its loop's)
        self._waiting_on_peer = False  # the writer is in the middle of a slow write
        self._last_write = time.monotonic()
        self._keepalive = keepalive  # seconds of silence before a keepalive; None: never
        self._merge_limit = merge_limit  # bytes at most in one merged update
        self.spared_messages = 0  # messages that merging broadcast updates spared

    @property
    def can_edit(self) -> bool:
        return self.role.can_edit

    @property
    def open(self) -> bool:
        return self.state is State.OPEN

    @property
    def queued(self) -> int:
        return len(self._queue)

    def send(self, message: bytes | Outgoing) -> None:
        """Queue a message (bytes: for this connection only); dropped once the connection is
        closing. It is written at the end of this turn of the event loop, with whatever else
        was queued meanwhile."""
        if self.state is not State.OPEN:
            return
        if isinstance(message, bytes):
            message = Outgoing(message)
        if (
            len(self._queue) >= self._queue_size
            or self._queued_bytes + len(message) > self._queue_bytes
        ):
            self.close(CloseCode.TOO_SLOW, "send queue overflowed; reconnect to resync")
            return
        self._queue.append(message)
        self._queued_bytes += len(message)
        if not self._flush_soon:
            self._flush_soon = True
            if self._round is None:
                self._round = WriteRound.of(asyncio.get_running_loop())
            self._round.add(self)

    def write_queued(self) -> None:
        """Write what is queued at once if the peer can take it without waiting (the usual
        case: no task switch per message and recipient); otherwise, or while the writer is
        waiting on the peer (order matters), the writer task does it."""
        self._flush_soon = False
        if not self._queue or self.state is not State.OPEN:
            return
        if self._waiting_on_peer or not self.peer.ready_to_write:
            self._ready.set()
            return
        try:
            while self._queue and self.peer.ready_to_write:
                self.peer.write(self._take())
        except Exception as error:  # the peer went away
            log.debug("send to %s failed: %r", self.session_id, error)
            self.peer_gone()
            return
        self._last_write = time.monotonic()
        if self._queue:
            self._ready.set()

    def close(self, code: CloseCode, reason: str = "") -> None:
        """Ask for the connection to close; frames already queued are dropped unless normal.
        Closing a connection that is already closing or closed changes nothing."""
        if self.state is not State.OPEN:
            return
        self.state = State.CLOSING
        self.close_code = code
        self.close_reason = _truncate(reason or code.meaning)
        if code is not CloseCode.NORMAL:
            self._queue.clear()
            self._queued_bytes = 0
        self._ready.set()

    def peer_gone(self) -> None:
        """The other side went away: nothing more can be written."""
        if self.close_code is None:
            self.close_code = CloseCode.NORMAL
        self.state = State.CLOSED
        self._queue.clear()
        self._queued_bytes = 0
        self._ready.set()

    async def run_writer(self) -> None:
        """Drain the queue to the peer until closed, then send the close frame."""
        if self._writing:
            raise ConnectionStateError("start a second writer", State.OPEN, self.state)
        self._writing = True
        try:
            while True:
                if not await self._wait_ready():
                    self.send(keepalive_message())
                while self._queue:
                    self._waiting_on_peer = True
                    await self.peer.send(self._take())
                    self._waiting_on_peer = False
                    self._last_write = time.monotonic()
                if self.state is not State.OPEN:
                    break
                self._ready.clear()
        except Exception as error:  # the peer went away mid-send
            log.debug("send to %s failed: %r", self.session_id, error)
            self.peer_gone()
            return
        if self.state is State.CLOSING:
            assert self.close_code is not None
            with contextlib.suppress(Exception):
                await self.peer.close(int(self.close_code), self.close_reason)
        self.state = State.CLOSED

    def _take(self) -> Sequence[Outgoing]:
        """What waits in the queue, up to about ``WRITE_BYTES``, its updates merged when
        several wait together."""
        taken: list[Outgoing] = []
        size = updates = 0
        while self._queue and size < WRITE_BYTES:
            message = self._queue.popleft()
            taken.append(message)
            size += len(message)
            updates += message.update is not None
        self._queued_bytes -= size
        if updates < MERGE_FROM:
            return taken
        sent = coalesce(taken, self._merge_limit)
        self.spared_messages += len(taken) - len(sent)
        return sent

    async def _wait_ready(self) -> bool:
        """Until the writer has something to do (True), or nothing was written for
        ``keepalive`` seconds (False)."""
        if self._keepalive is None:
            await self._ready.wait()
            return True
        while not self._ready.is_set():
            due = self._last_write + self._keepalive - time.monotonic()
            if due <= 0:
                return False
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(due):
                    await self._ready.wait()
        return True


def _truncate(reason: str) -> str:
    encoded = reason.encode("utf-8")[:MAX_REASON_BYTES]
    return encoded.decode("utf-8", errors="ignore")
