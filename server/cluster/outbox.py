"""What this instance tells the others: the thread-safe entry points the store, the
application and the rooms call (store threads and the event loop alike), and one task that
sends the queued notifications on its own PostgreSQL connection, outside every write
transaction (PostgreSQL delivers a NOTIFY at its commit; sending it after ours keeps the
global notify lock out of the contribution transaction).

Wake-ups for one document are coalesced: only the latest position is sent. The queue is
bounded; when it is full, or the connection is down (the task reconnects with back-off),
notifications are dropped and counted: the other instances' periodic check of the log finds
what they would have said. Before the task runs (the command line never runs it) nothing is
queued.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import psycopg
from palabre.domain.ids import DocumentId
from palabre.server.channel.relay import TOPICS
from palabre.server.cluster.messages import (
    CHANNEL,
    Appended,
    ChannelEvents,
    Message,
    PresenceChanged,
    encode,
    now,
)

log = logging.getLogger("palabre.cluster")

QUEUE = 10_000
MAX_BACKOFF_SECONDS = 5.0


class Outbox:
    def __init__(self, url: str, instance: str) -> None:
        self._url = url
        self.instance = instance
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[Message] = asyncio.Queue(QUEUE)
        self.dropped = 0

    # Entry points (any thread) ---------------------------------------------------------------

    def appended(self, document_id: DocumentId, position: int) -> None:
        """The store's ``on_appended``: contributions committed here."""
        self._put(Appended(self.instance, document_id, position, now()))

    def saved(self, topics: Sequence[str]) -> None:
        """The application's ``on_saved``: tell the others' relays if it concerns them."""
        if not TOPICS.isdisjoint(topics):
            self._put(ChannelEvents(self.instance, now()))

    def presence(self, document_id: DocumentId, session_id: str, payload: bytes) -> None:
        """The rooms' ``on_presence``: a presence change of a connection here."""
        self._put(PresenceChanged(self.instance, document_id, session_id, payload))

    def _put(self, message: Message) -> None:
        loop = self._loop
        if loop is None:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._enqueue(message)
        else:
            loop.call_soon_threadsafe(self._enqueue, message)

    def _enqueue(self, message: Message) -> None:
        try:
            self._queue.put_nowait(message)
        except asyncio.QueueFull:
            self.dropped += 1

    # Sending ---------------------------------------------------------------------------------

    async def run(self) -> None:
        """Send until cancelled, reconnecting after a failure."""
        self._loop = asyncio.get_running_loop()
        failures = 0
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._url, autocommit=True
                ) as connection:
                    failures = 0
                    await self._send_all(connection)
            except (psycopg.Error, OSError) as error:
                failures += 1
                log.warning("cluster: sending notifications failed (%s); reconnecting", error)
                await asyncio.sleep(min(MAX_BACKOFF_SECONDS, 0.1 * 2**failures))

    async def _send_all(self, connection: psycopg.AsyncConnection[object]) -> None:
        while True:
            batch = [await self._queue.get()]
            while not self._queue.empty() and len(batch) < 256:
                batch.append(self._queue.get_nowait())
            payloads = [p for p in map(encode, _coalesced(batch)) if p is not None]
            async with connection.cursor() as cursor:
                for payload in payloads:
                    await cursor.execute("SELECT pg_notify(%s, %s)", (CHANNEL, payload))


def _coalesced(batch: list[Message]) -> list[Message]:
    """Keep every presence change, one channel wake-up, and the last position of each
    document (positions only grow)."""
    latest: dict[DocumentId, Appended] = {}
    others: list[Message] = []
    channel = False
    for message in batch:
        if isinstance(message, Appended):
            known = latest.get(message.document_id)
            if known is None or message.position > known.position:
                latest[message.document_id] = message
        elif isinstance(message, ChannelEvents):
            if not channel:
                others.append(message)
            channel = True
        else:
            others.append(message)
    return [*others, *latest.values()]
