"""The websocket endpoint ``/ws/{document_id}?token=TOKEN``: the y-websocket protocol.

The handshake is always accepted so that refusals reach the client as named close codes
(a refused handshake would only show as an HTTP error, without a reason)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from palabre.domain.errors import InvalidInput, NotFound, Unauthenticated
from palabre.domain.ids import DocumentId, parse_id
from palabre.server.crdt.replica import InvalidUpdate
from palabre.server.live.close_codes import CloseCode
from palabre.server.live.connection import Connection
from palabre.server.live.peer import WebSocketPeer
from palabre.server.live.room import Room
from palabre.server.live.rooms import Rooms
from palabre.server.logs import log_document, log_member
from palabre.server.metrics import Metrics
from palabre.server.settings import Settings
from palabre.server.storage.store import Store
from starlette.websockets import WebSocket, WebSocketDisconnect

log = logging.getLogger("palabre.live")

FRAMES_BETWEEN_YIELDS = 16
REFUSED = {  # close codes that refuse a frame, by the reason metrics name
    CloseCode.BAD_MESSAGE: "malformed",
    CloseCode.MESSAGE_TOO_LARGE: "too_large",
    CloseCode.TOO_SLOW: "too_slow",
}


class LiveEndpoint:
    def __init__(
        self, store: Store, rooms: Rooms, settings: Settings, metrics: Metrics | None = None
    ) -> None:
        self._store = store
        self._rooms = rooms
        self._settings = settings
        self._metrics = metrics or Metrics()

    async def handle(self, websocket: WebSocket) -> None:
        await websocket.accept()
        try:
            token = websocket.query_params.get("token", "")
            member = await self._store.authenticate(token)
            document_id = DocumentId(parse_id(websocket.path_params["document_id"], "document id"))
            await self._store.document(document_id)
        except Unauthenticated as error:
            await _refuse(websocket, CloseCode.UNAUTHORIZED, str(error))
            return
        except (NotFound, InvalidInput):
            await _refuse(websocket, CloseCode.DOCUMENT_NOT_FOUND, "unknown document")
            return
        role = member.role_on(document_id)
        if role is None:
            await _refuse(websocket, CloseCode.FORBIDDEN, "no role on this document")
            return
        log_document.set(document_id)  # this connection's task only: log lines name it
        try:
            room = await self._rooms.acquire(document_id)
        except Exception:
            log.exception("document %s: could not load the room", document_id)
            await _refuse(websocket, CloseCode.INTERNAL_ERROR, "document could not be loaded")
            return
        log_member.set(member.id)  # after the room's tasks were made: they are the room's
        connection = Connection(
            WebSocketPeer(websocket),
            member,
            role,
            queue_size=self._settings.send_queue,
            wants_acks=websocket.query_params.get("acks") == "1",
        )
        writer = asyncio.get_running_loop().create_task(connection.run_writer())
        try:
            room.join(connection)
            await self._recheck(connection, document_id, token)
            await self._read(room, connection, websocket)
        finally:
            log_member.set(None)  # what the room does next (unloading) is nobody's
            room.leave(connection)
            self._rooms.release(room)
            connection.close(CloseCode.NORMAL)
            if connection.close_code in REFUSED:
                self._metrics.refused_frames.labels(REFUSED[connection.close_code]).inc()
            with contextlib.suppress(asyncio.TimeoutError, Exception):
                await asyncio.wait_for(writer, timeout=5)
            writer.cancel()

    async def _recheck(self, connection: Connection, document_id: DocumentId, token: str) -> None:
        """A removal or role change made while this connection was joining could not close
        it (it was not in the room yet): check once more now that it is."""
        try:
            member = await self._store.authenticate(token)
        except Unauthenticated:
            connection.close(CloseCode.UNAUTHORIZED, "token revoked")
            return
        role = member.role_on(document_id)
        if role is None:
            connection.close(CloseCode.FORBIDDEN, "no role on this document")
        elif role is not connection.role:
            connection.close(CloseCode.RESET_CONNECTION, "role changed; reconnect")

    async def _read(self, room: Room, connection: Connection, websocket: WebSocket) -> None:
        limit = self._settings.max_message_bytes
        received = 0
        while connection.open:
            try:
                message = await websocket.receive()
            except (WebSocketDisconnect, RuntimeError):
                connection.peer_gone()
                return
            if message["type"] == "websocket.disconnect":
                connection.peer_gone()
                return
            frame = message.get("bytes")
            if frame is None:
                connection.close(CloseCode.BAD_MESSAGE, "text frames are not part of the protocol")
                return
            if len(frame) > limit:
                connection.close(CloseCode.MESSAGE_TOO_LARGE, f"frame above {limit} bytes")
                return
            received += 1
            if received % FRAMES_BETWEEN_YIELDS == 0:
                # The transport hands over a whole socket read of frames without suspending:
                # let the other connections' writers run, or one flooding client starves them.
                await asyncio.sleep(0)
            try:
                room.receive(connection, frame)
            except InvalidUpdate as error:
                log.info(
                    "closing %s (%s): %s", connection.session_id, connection.member.name, error
                )
                connection.close(CloseCode.BAD_MESSAGE, str(error))
                return
            await room.backpressure()


async def _refuse(websocket: WebSocket, code: CloseCode, reason: str) -> None:
    with contextlib.suppress(Exception):
        await websocket.close(int(code), reason[:120])
