"""The committee's live channel: ``GET /api/documents/{document_id}/events``, server-sent events.

What it carries: meetings opened and closed, attendance, proposals opened, votes cast (under a
secret ballot, who voted but not how), decisions, rule and membership changes. Each event is
``event: KIND`` plus one JSON ``data:`` line; a ``ready`` event opens every stream (the
subscription exists from then on) and an ``end`` event, when the server has time to send it,
says why a stream stops. A comment line is sent every ``keep_alive`` seconds so that proxies and
clients can tell a quiet channel from a dead one.

Scope, on purpose: publish/subscribe inside one server process, fed by this process's HTTP
command handlers after each command is stored. Commands run from the CLI, or on another
instance sharing the PostgreSQL store, are *not* pushed, and nothing is replayed on
reconnection: a client re-reads the state through the HTTP API when a stream (re)starts, and
treats events as "something changed, here is what".

Back-pressure: each subscriber has a bounded queue. A subscriber that lets it fill up is
dropped (its queue is discarded, it gets ``end`` if its socket ever drains), so one stalled
browser never holds memory or slows a publisher.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Iterator, Mapping
from typing import Any, Final
from uuid import UUID

import anyio
import orjson
from palabre.domain.application import MemberInfo
from palabre.domain.ids import DocumentId
from palabre.server.http import readable_document
from palabre.server.store import Store
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

log = logging.getLogger("palabre.events")

KEEP_ALIVE_SECONDS = 15.0
QUEUE_SIZE = 256  # committee events come at the pace of a meeting: a full queue means stalled
END_GRACE_SECONDS = 5.0  # how long an ended stream may take to say goodbye before it is cut
RETRY_MS = 3000  # EventSource's reconnection delay
KEEP_ALIVE: Final = b": keep-alive\n\n"


def encode(kind: str, data: Mapping[str, Any]) -> bytes:
    """One server-sent event: its kind and its data as one JSON line."""
    return b"event: " + kind.encode("ascii") + b"\ndata: " + orjson.dumps(data) + b"\n\n"


class Subscription:
    """One stream's queue of encoded events. Ends when the member is removed, when it
    overflows, or when the server shuts down; then ``ended`` holds the reason."""

    def __init__(self, document_id: DocumentId, member_id: UUID, size: int) -> None:
        self.document_id = document_id
        self.member_id = member_id
        self.ended: str | None = None
        self.ended_event = asyncio.Event()
        self._size = size
        self._queue: deque[bytes] = deque()
        self._ready = asyncio.Event()
        self._said_goodbye = False

    def deliver(self, frame: bytes) -> None:
        if self.ended is not None:
            return
        if len(self._queue) >= self._size:
            log.warning("dropping a slow event subscriber of document %s", self.document_id)
            self._queue.clear()
            self.end("too slow: the event queue overflowed; reconnect and re-read")
            return
        self._queue.append(frame)
        self._ready.set()

    def end(self, reason: str) -> None:
        if self.ended is None:
            self.ended = reason
            self.ended_event.set()
            self._ready.set()

    async def next(self, timeout: float) -> bytes | None:
        """The next frame; ``None`` after ``timeout`` seconds of silence. Once the queue is
        drained after the end, returns the ``end`` event and then raises EOFError."""
        while not self._queue:
            if self.ended is not None:
                if self._said_goodbye:
                    raise EOFError(self.ended)
                self._said_goodbye = True
                return encode("end", {"reason": self.ended})
            self._ready.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ready.wait(), timeout)
            if not self._ready.is_set():
                return None
        return self._queue.popleft()


class EventHub:
    """The subscribers of every document in this process, and the one way to reach them."""

    def __init__(self, queue_size: int = QUEUE_SIZE) -> None:
        self._queue_size = queue_size
        self._subscribers: dict[DocumentId, set[Subscription]] = {}
        self._closed = False

    def __len__(self) -> int:
        return sum(len(s) for s in self._subscribers.values())

    def publish(self, document_id: DocumentId, kind: str, data: Mapping[str, Any]) -> None:
        """Send an event to the document's subscribers; never waits (called by handlers)."""
        subscribers = self._subscribers.get(document_id)
        if not subscribers:
            return
        frame = encode(kind, data)
        for subscription in list(subscribers):
            subscription.deliver(frame)

    @contextlib.contextmanager
    def subscribe(self, document_id: DocumentId, member_id: UUID) -> Iterator[Subscription]:
        subscription = Subscription(document_id, member_id, self._queue_size)
        if self._closed:
            subscription.end("server shutting down")
        self._subscribers.setdefault(document_id, set()).add(subscription)
        try:
            yield subscription
        finally:
            subscribers = self._subscribers.get(document_id, set())
            subscribers.discard(subscription)
            if not subscribers:
                self._subscribers.pop(document_id, None)

    def disconnect(self, document_id: DocumentId, member_id: UUID, reason: str) -> int:
        """End one member's streams on one document (they were removed); returns how many."""
        theirs = [s for s in self._subscribers.get(document_id, set()) if s.member_id == member_id]
        for subscription in theirs:
            subscription.end(reason)
        return len(theirs)

    def close(self) -> None:
        """End every stream: a server waits for open responses before it stops, and these
        would otherwise never finish."""
        self._closed = True
        for subscribers in self._subscribers.values():
            for subscription in subscribers:
                subscription.end("server shutting down")


class EventStream(Response):
    """The streaming response of one subscription. Three things run side by side: the writer,
    a watch for the client leaving, and a watch that cuts an ended stream whose goodbye cannot
    be written (a stalled socket) after ``END_GRACE_SECONDS``."""

    media_type = "text/event-stream"

    def __init__(
        self, hub: EventHub, document_id: DocumentId, member_id: UUID, keep_alive: float
    ) -> None:
        # Like StreamingResponse: no body attribute, so no Content-Length header.
        self.status_code = 200
        self.background = None
        self.init_headers({"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        self._hub = hub
        self._document_id = document_id
        self._member_id = member_id
        self._keep_alive = keep_alive

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with self._hub.subscribe(self._document_id, self._member_id) as subscription:
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(self._until_disconnect, receive, tasks.cancel_scope)
                tasks.start_soon(self._until_stalled_end, subscription, tasks.cancel_scope)
                await self._write(subscription, send)
                tasks.cancel_scope.cancel()

    async def _write(self, subscription: Subscription, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        ready = {"document_id": str(self._document_id), "keep_alive": self._keep_alive}
        await _body(send, f"retry: {RETRY_MS}\n".encode() + encode("ready", ready))
        while True:
            try:
                frame = await subscription.next(self._keep_alive)
            except EOFError:
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            await _body(send, KEEP_ALIVE if frame is None else frame)

    @staticmethod
    async def _until_disconnect(receive: Receive, scope: anyio.CancelScope) -> None:
        message: Message = {}
        while message.get("type") != "http.disconnect":
            message = await receive()
        scope.cancel()

    @staticmethod
    async def _until_stalled_end(subscription: Subscription, scope: anyio.CancelScope) -> None:
        await subscription.ended_event.wait()
        await anyio.sleep(END_GRACE_SECONDS)
        scope.cancel()


async def _body(send: Send, chunk: bytes) -> None:
    await send({"type": "http.response.body", "body": chunk, "more_body": True})


class EventsEndpoint:
    """``GET /api/documents/{document_id}/events``, for any member with a role on it."""

    def __init__(self, store: Store, hub: EventHub, keep_alive: float = KEEP_ALIVE_SECONDS):
        self._store = store
        self._hub = hub
        self._keep_alive = keep_alive

    async def stream(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        if request.method == "HEAD":  # a stream that never ends has no head to give
            return Response(media_type=EventStream.media_type)
        return EventStream(self._hub, document_id, member.id, self._keep_alive)
