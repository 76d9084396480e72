"""The document's live channel, inside one process: who subscribes to which document, and the
one way to reach them. ``http/events.py`` streams a subscription as server-sent events;
``channel/relay.py`` publishes what the stored events say.

Each event is encoded once as ``event: KIND`` plus one JSON ``data:`` line. Nothing is
replayed on (re)subscription: a client re-reads the state through the HTTP API when a stream
(re)starts, and treats events as "something changed, here is what".

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
from typing import Any
from uuid import UUID

import orjson
from palabre.domain.ids import DocumentId

log = logging.getLogger("palabre.events")

QUEUE_SIZE = 256  # committee events come at the pace of a meeting: a full queue means stalled


def encode(kind: str, data: Mapping[str, Any]) -> bytes:
    """One server-sent event: its kind and its data as one JSON line."""
    return b"event: " + kind.encode("ascii") + b"\ndata: " + orjson.dumps(data) + b"\n\n"


class Subscription:
    """One stream's queue of encoded events: those of the changes stored after notification
    ``since`` (the end of the log when the stream opened). Ends when the member is removed,
    when it overflows, or when the server shuts down; then ``ended`` holds the reason."""

    def __init__(
        self,
        document_id: DocumentId,
        member_id: UUID,
        since: int,
        size: int,
        credential_id: UUID | None = None,
    ) -> None:
        self.document_id = document_id
        self.member_id = member_id
        self.credential_id = credential_id  # the token it was opened with
        self.since = since
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

    def subscribed(self, document_id: DocumentId) -> bool:
        return bool(self._subscribers.get(document_id))

    def documents(self) -> set[DocumentId]:
        """The documents that have subscribers now."""
        return set(self._subscribers)

    def publish(
        self, document_id: DocumentId, notification_id: int, kind: str, data: Mapping[str, Any]
    ) -> None:
        """Send the event of the change stored as ``notification_id`` to the document's
        subscribers that opened before it was stored; never waits."""
        subscribers = self._subscribers.get(document_id)
        if not subscribers:
            return
        frame = encode(kind, data)
        for subscription in list(subscribers):
            if subscription.since < notification_id:
                subscription.deliver(frame)

    @contextlib.contextmanager
    def subscribe(
        self,
        document_id: DocumentId,
        member_id: UUID,
        since: int,
        credential_id: UUID | None = None,
    ) -> Iterator[Subscription]:
        """``since``: the last notification stored when the stream opens."""
        subscription = Subscription(document_id, member_id, since, self._queue_size, credential_id)
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

    def end_credential(self, credential_id: UUID, reason: str) -> int:
        """End every stream opened with one credential (it was revoked); returns how many."""
        theirs = [
            s
            for subscribers in self._subscribers.values()
            for s in subscribers
            if s.credential_id == credential_id
        ]
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
