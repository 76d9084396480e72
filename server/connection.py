"""One websocket session: who it is, what it may do, and its outgoing queue.

Sending never blocks the room: frames go to a bounded queue drained by the connection's own
writer task. A client that cannot keep up is closed with TOO_SLOW and resyncs on reconnect,
so one weak link never slows the others down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from uuid import uuid4

from palabre.domain.application import MemberInfo
from palabre.domain.roles import Role
from palabre.server.close_codes import CloseCode
from starlette.websockets import WebSocket

log = logging.getLogger("palabre.connection")

MAX_REASON_BYTES = 123  # the websocket protocol's limit for a close reason


class Connection:
    def __init__(
        self,
        websocket: WebSocket,
        member: MemberInfo,
        role: Role,
        queue_size: int,
        wants_acks: bool = False,
    ) -> None:
        self.session_id = uuid4().hex
        self.websocket = websocket
        self.member = member
        self.role = role
        self.wants_acks = wants_acks
        self.received_updates = 0  # document updates received from this client
        self.acked_updates = 0  # of those, how many were reported durable
        self.close_code: CloseCode | None = None
        self.close_reason = ""
        self._queue: deque[bytes] = deque()
        self._queue_size = queue_size
        self._ready = asyncio.Event()

    @property
    def can_edit(self) -> bool:
        return self.role.can_edit

    @property
    def open(self) -> bool:
        return self.close_code is None

    def send(self, frame: bytes) -> None:
        if self.close_code is not None:
            return
        if len(self._queue) >= self._queue_size:
            self.close(CloseCode.TOO_SLOW, "send queue overflowed; reconnect to resync")
            return
        self._queue.append(frame)
        self._ready.set()

    def close(self, code: CloseCode, reason: str = "") -> None:
        """Ask for the connection to close; frames already queued are dropped unless normal."""
        if self.close_code is not None:
            return
        self.close_code = code
        self.close_reason = _truncate(reason or code.meaning)
        if code is not CloseCode.NORMAL:
            self._queue.clear()
        self._ready.set()

    async def run_writer(self) -> None:
        """Drain the queue to the socket until closed, then send the close frame."""
        try:
            while True:
                await self._ready.wait()
                while self._queue:
                    await self.websocket.send_bytes(self._queue.popleft())
                if self.close_code is not None:
                    break
                self._ready.clear()
        except Exception as error:  # the peer went away mid-send
            log.debug("send to %s failed: %r", self.session_id, error)
            self.close_code = self.close_code or CloseCode.NORMAL
            return
        with contextlib.suppress(Exception):
            await self.websocket.close(int(self.close_code), self.close_reason)


def _truncate(reason: str) -> str:
    encoded = reason.encode("utf-8")[:MAX_REASON_BYTES]
    return encoded.decode("utf-8", errors="ignore")
