"""What this instance learns from the others: a dedicated PostgreSQL session connection
that LISTENs on ``palabre_live`` (a session of its own: a pooled or PgBouncer
transaction-mode connection would silently drop the LISTEN), and a periodic check of the
log's end that covers any notification missed (PostgreSQL folds identical ones, and none
arrive while the connection is down).

On a wake-up it catches the document's room up, if one is loaded here (the batcher reads
the contributions stored after its position, applies them to the replica and forwards what
they changed: nothing twice, its own contributions included), wakes the live channel's relay
(which reads committee, membership and comment events from the log, closing sockets of
members who lost their role), or passes a presence change on to the room's connections.
Its own notifications are ignored. A failure is logged and the connection is opened again
with back-off; after a reconnection every room catches up and the relay wakes, since
anything may have been missed meanwhile. A crash loses nothing: the log is the source.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import psycopg
from palabre.domain.ids import DocumentId
from palabre.server.cluster.messages import (
    CHANNEL,
    Appended,
    BadNotification,
    ChannelEvents,
    Message,
    decode,
    now,
)
from palabre.server.live.rooms import Rooms
from palabre.server.metrics import Metrics

log = logging.getLogger("palabre.cluster")

MAX_BACKOFF_SECONDS = 5.0


class Listener:
    def __init__(
        self,
        url: str,
        instance: str,
        rooms: Rooms,
        wake_channel: Callable[[], None],
        metrics: Metrics,
        poll_seconds: float,
    ) -> None:
        self._url = url
        self._instance = instance
        self._rooms = rooms
        self._wake_channel = wake_channel
        self._metrics = metrics
        self._poll_seconds = poll_seconds
        self._catching_up: dict[DocumentId, asyncio.Task[None]] = {}
        self._again: set[DocumentId] = set()
        self.listening = asyncio.Event()  # set while the LISTEN connection is up

    async def run(self) -> None:
        """Listen and poll until cancelled."""
        poller = asyncio.get_running_loop().create_task(self._poll())
        try:
            await self._listen_forever()
        finally:
            poller.cancel()
            for task in list(self._catching_up.values()):
                task.cancel()

    async def _listen_forever(self) -> None:
        failures = 0
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._url, autocommit=True
                ) as connection:
                    await connection.execute(f"LISTEN {CHANNEL}")
                    failures = 0
                    self.listening.set()
                    self._everything()  # what was said while nobody listened
                    async for notify in connection.notifies():
                        self._receive(notify.payload)
            except (psycopg.Error, OSError) as error:
                self.listening.clear()
                failures += 1
                log.warning("cluster: listening failed (%s); reconnecting", error)
                await asyncio.sleep(min(MAX_BACKOFF_SECONDS, 0.1 * 2**failures))

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self._poll_seconds)
            self._everything()

    def _everything(self) -> None:
        for document_id in self._rooms.documents():
            self._catch_up(document_id)
        self._wake_channel()

    def _receive(self, payload: str) -> None:
        try:
            message = decode(payload)
        except BadNotification as error:
            log.warning("cluster: dropped a notification: %s", error)
            return
        if message.instance != self._instance:
            self._dispatch(message)

    def _dispatch(self, message: Message) -> None:
        if isinstance(message, Appended):
            self._metrics.cross_instance_delay.observe(max(0.0, now() - message.sent_at))
            room = self._rooms.get(message.document_id)
            if room is not None and room.position < message.position:
                self._catch_up(message.document_id)
        elif isinstance(message, ChannelEvents):
            self._wake_channel()
        else:
            room = self._rooms.get(message.document_id)
            if room is not None:
                room.relay_presence(message.payload)

    def _catch_up(self, document_id: DocumentId) -> None:
        """One catch-up task per document; a wake-up during one runs another after it."""
        if document_id in self._catching_up:
            self._again.add(document_id)
            return
        task = self._rooms.spawn(self._catch_up_room(document_id))
        self._catching_up[document_id] = task

    async def _catch_up_room(self, document_id: DocumentId) -> None:
        try:
            while True:
                self._again.discard(document_id)
                room = self._rooms.get(document_id)
                if room is None:
                    return
                before = room.position
                try:
                    await room.catch_up()
                except Exception:
                    log.exception("document %s: catching up failed", document_id)
                    return
                self._metrics.foreign_contributions.inc(max(0, room.position - before))
                if document_id not in self._again:
                    return
        finally:
            del self._catching_up[document_id]
