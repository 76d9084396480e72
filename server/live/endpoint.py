"""The websocket endpoint ``/ws/{document_id}?token=TOKEN``: the y-websocket protocol.

The handshake is always accepted so that refusals reach the client as named close codes
(a refused handshake would only show as an HTTP error, without a reason). Before anything
else: the ``Origin`` a browser sends must be the page's own or an allowed one (another site
cannot open a socket with a member's stored token), the address must not be over its limit
of failed authentications, the token and then its member must not be in a cool-down for
hostile input (``server/cooldowns.py``: checked before the token is looked up and before
the room is loaded, so an attacker's reconnections cost a hash and a lookup), and the whole
handshake (authentication, loading the room) must end within ``handshake_timeout_ms``.
Then every frame is bounded (size, rate) and the connection closes after
``idle_timeout_seconds`` without one. Each refusal closes only this connection, with a close
code and a log line naming the member and the reason; nothing of a refused frame is stored;
a close for hostile input (4400, 4413, 4422, or the transport's 1002, 1007, 1009) starts or
doubles the cool-down of that token and member. A crash of this handler (a bug) leaves the
room and the other connections as they are: ``finally`` leaves the room and releases it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit
from uuid import UUID

from palabre.domain.application import MemberInfo
from palabre.domain.errors import InvalidInput, NotFound, Unauthenticated
from palabre.domain.ids import DocumentId, credential_id_for, parse_id
from palabre.domain.member import hash_token
from palabre.domain.roles import Role
from palabre.server.cooldowns import Cooldowns
from palabre.server.crdt.check import ForbiddenContent, TooLarge
from palabre.server.crdt.replica import InvalidUpdate
from palabre.server.errors import CoolingDown, TooManyFailures
from palabre.server.failures import AuthFailures
from palabre.server.live.close_codes import CloseCode
from palabre.server.live.connection import Connection
from palabre.server.live.limits import Flooding, MemberRates, Throttle
from palabre.server.live.peer import Peer, WebSocketPeer
from palabre.server.live.room import Room
from palabre.server.live.rooms import Rooms
from palabre.server.live.transport import PEER_EXTENSION
from palabre.server.logs import log_document, log_member
from palabre.server.metrics import Metrics
from palabre.server.settings import Settings
from palabre.server.storage.store import Store
from starlette.types import Message
from starlette.websockets import WebSocket, WebSocketDisconnect

log = logging.getLogger("palabre.live")

FRAMES_BETWEEN_YIELDS = 16
REFUSED = {  # close codes that refuse a frame, by the reason metrics name
    CloseCode.BAD_MESSAGE: "malformed",
    CloseCode.MESSAGE_TOO_LARGE: "too_large",
    CloseCode.TOO_SLOW: "too_slow",
}
HOSTILE = {  # closes for what the client sent: its token and member cool down
    CloseCode.BAD_MESSAGE,
    CloseCode.FORBIDDEN_CONTENT,
    CloseCode.MESSAGE_TOO_LARGE,
}
PROTOCOL_CLOSES = {1002, 1007, 1009}  # the transport failed the connection for what it read


class Refused(Exception):
    """The handshake refused: the close code and reason to send."""

    def __init__(self, code: CloseCode, reason: str) -> None:
        super().__init__(reason)
        self.code = code


@dataclass(frozen=True)
class Admitted:
    member: MemberInfo
    role: Role
    document_id: DocumentId
    credential_id: UUID
    token: str  # for the check after joining; never logged


class LiveEndpoint:
    def __init__(
        self,
        store: Store,
        rooms: Rooms,
        settings: Settings,
        failures: AuthFailures,
        metrics: Metrics | None = None,
    ) -> None:
        self._store = store
        self._rooms = rooms
        self._settings = settings
        self._failures = failures
        self._members = MemberRates(settings)
        self._cooldowns = Cooldowns(settings.cooldown_seconds, settings.cooldown_max_seconds)
        self._metrics = metrics or Metrics()

    async def handle(self, websocket: WebSocket) -> None:
        await websocket.accept()
        try:
            async with asyncio.timeout(self._settings.handshake_timeout_ms / 1000):
                admitted = await self._admit(websocket)
                room = await self._acquire(admitted.document_id)
        except Refused as refusal:
            await _refuse(websocket, refusal.code, str(refusal))
            return
        except TimeoutError:
            await _refuse(websocket, CloseCode.TIMEOUT, "handshake took too long")
            return
        bucket = self._members.open(admitted.member.id)
        if bucket is None:
            self._rooms.release(room)
            log.warning("refusing %s: too many connections", admitted.member.id)
            await _refuse(websocket, CloseCode.TOO_SLOW, "too many connections for one member")
            return
        try:
            await self._serve(websocket, room, admitted, Throttle(self._settings, bucket))
        finally:
            self._members.close(admitted.member.id)

    async def _admit(self, websocket: WebSocket) -> Admitted:
        if not self._origin_allowed(websocket):
            raise Refused(CloseCode.FORBIDDEN, "origin not allowed")
        address = websocket.client.host if websocket.client else ""
        token = websocket.query_params.get("token", "")
        credential_id = credential_id_for(hash_token(token))
        try:
            self._cooldowns.check(str(credential_id))
            self._failures.check(address)
            member = await self._store.authenticate(token)
            self._cooldowns.check(str(member.id))
        except (TooManyFailures, CoolingDown) as error:
            raise Refused(CloseCode.TOO_SLOW, str(error)) from None
        except Unauthenticated as error:
            self._failures.failed(address)
            raise Refused(CloseCode.UNAUTHORIZED, str(error)) from None
        try:
            document_id = DocumentId(parse_id(websocket.path_params["document_id"], "document id"))
            await self._store.document(document_id)
        except (NotFound, InvalidInput):
            raise Refused(CloseCode.DOCUMENT_NOT_FOUND, "unknown document") from None
        role = member.role_on(document_id)
        if role is None:
            raise Refused(CloseCode.FORBIDDEN, "no role on this document")
        return Admitted(member, role, document_id, credential_id, token)

    def _origin_allowed(self, websocket: WebSocket) -> bool:
        """Browsers always send ``Origin``; scripts and native clients may not (they hold the
        token themselves, so there is nothing to hijack). The page's own origin (same host as
        the request) and the configured ones are allowed."""
        origin = websocket.headers.get("origin")
        if origin is None:
            return True
        if urlsplit(origin).netloc == websocket.headers.get("host", ""):
            return True
        return origin.rstrip("/") in self._settings.origins()

    async def _acquire(self, document_id: DocumentId) -> Room:
        log_document.set(document_id)  # this connection's task only: log lines name it
        try:
            return await self._rooms.acquire(document_id)
        except Exception:
            log.exception("document %s: could not load the room", document_id)
            raise Refused(CloseCode.INTERNAL_ERROR, "document could not be loaded") from None

    async def _serve(
        self, websocket: WebSocket, room: Room, admitted: Admitted, throttle: Throttle
    ) -> None:
        log_member.set(admitted.member.id)  # after the room's tasks were made: they are the room's
        connection = Connection(
            _peer(websocket),
            admitted.member,
            admitted.role,
            queue_size=self._settings.send_queue,
            queue_bytes=self._settings.send_queue_bytes,
            wants_acks=websocket.query_params.get("acks") == "1",
            credential_id=admitted.credential_id,
            keepalive=self._settings.keepalive_seconds,
            merge_limit=self._settings.max_sync_message_bytes,
        )
        writer = asyncio.get_running_loop().create_task(connection.run_writer())
        gone_with: int | None = None
        try:
            room.join(connection)
            await self._recheck(connection, admitted)
            gone_with = await self._read(room, connection, websocket, throttle)
        finally:
            log_member.set(None)  # what the room does next (unloading) is nobody's
            if connection.close_code in HOSTILE or gone_with in PROTOCOL_CLOSES:
                self._cooldowns.penalise(str(admitted.credential_id), str(admitted.member.id))
            room.leave(connection)
            self._rooms.release(room)
            connection.close(CloseCode.NORMAL)
            if connection.close_code in REFUSED:
                self._metrics.refused_frames.labels(REFUSED[connection.close_code]).inc()
            with contextlib.suppress(asyncio.TimeoutError, Exception):
                await asyncio.wait_for(writer, timeout=5)
            writer.cancel()

    async def _recheck(self, connection: Connection, admitted: Admitted) -> None:
        """A removal, role change or revocation made while this connection was joining could
        not close it (it was not in the room yet): check once more now that it is."""
        try:
            member = await self._store.authenticate(admitted.token)
        except Unauthenticated:
            connection.close(CloseCode.UNAUTHORIZED, "token revoked")
            return
        role = member.role_on(admitted.document_id)
        if role is None:
            connection.close(CloseCode.FORBIDDEN, "no role on this document")
        elif role is not connection.role:
            connection.close(CloseCode.RESET_CONNECTION, "role changed; reconnect")

    async def _read(
        self, room: Room, connection: Connection, websocket: WebSocket, throttle: Throttle
    ) -> int | None:
        """Read frames until the connection closes; the transport's close code if it failed
        the connection for what it read (see :func:`_failed_with`), None otherwise."""
        watch = IdleWatch(connection, self._settings.idle_timeout_seconds)
        receive = _receiver(websocket)
        received = 0
        try:
            while connection.open:
                try:
                    messages = await receive(FRAMES_BETWEEN_YIELDS)
                except (WebSocketDisconnect, RuntimeError):
                    connection.peer_gone()
                    return None
                watch.last = watch.clock()
                for message in messages:
                    if message["type"] == "websocket.disconnect":
                        connection.peer_gone()
                        return _failed_with(message)
                    if not connection.open:
                        return None
                    if not await self._handle(room, connection, message.get("bytes"), throttle):
                        return None
                received += len(messages)
                if received >= FRAMES_BETWEEN_YIELDS:
                    # The transport hands over a whole socket read of frames without
                    # suspending: let the other connections' writers run, or one flooding
                    # client starves them.
                    received = 0
                    await asyncio.sleep(0)
                await room.backpressure()
        finally:
            watch.stop()
        return None

    async def _handle(
        self, room: Room, connection: Connection, frame: bytes | None, throttle: Throttle
    ) -> bool:
        """One frame; False once the connection was closed for it."""
        limit = self._settings.max_message_bytes
        if frame is None:
            _refusing(connection, CloseCode.BAD_MESSAGE, "text frames are not part of the protocol")
            return False
        if len(frame) > limit:
            _refusing(connection, CloseCode.MESSAGE_TOO_LARGE, f"frame above {limit} bytes")
            return False
        try:
            if frame[:1] == b"\x01":
                await throttle.awareness()
            else:  # updates, and sync step 1 too: each answer encodes the document
                await throttle.update()
            await room.receive(connection, frame)
        except Flooding as error:
            _refusing(connection, CloseCode.TOO_SLOW, str(error))
            return False
        except InvalidUpdate as error:
            _refusing(connection, _close_code(error), str(error))
            return False
        return True


class IdleWatch:
    """Closes a connection that sent nothing for ``idle`` seconds (4408). A frame only notes
    the time (``last``); one timer per quiet period checks it, instead of a timer per frame."""

    def __init__(self, connection: Connection, idle: float) -> None:
        loop = asyncio.get_running_loop()
        self.clock = loop.time
        self.last = self.clock()
        self._connection = connection
        self._idle = idle
        self._timer = loop.call_later(idle, self._check)

    def _check(self) -> None:
        quiet = self.clock() - self.last
        if quiet >= self._idle:
            _refusing(self._connection, CloseCode.TIMEOUT, f"nothing received for {self._idle} s")
        else:
            self._timer = asyncio.get_running_loop().call_later(self._idle - quiet, self._check)

    def stop(self) -> None:
        self._timer.cancel()


def _peer(websocket: WebSocket) -> Peer:
    """Palabre's own transport when it runs the socket (``palabre serve``): messages' frames
    go straight to it; under another ASGI server, the ASGI interface."""
    offered = websocket.scope.get("extensions", {}).get(PEER_EXTENSION)
    if offered is not None:
        peer: Peer = offered["peer"]
        return peer
    return WebSocketPeer(websocket)


def _receiver(websocket: WebSocket) -> Callable[[int], Awaitable[list[Message]]]:
    """How the reader takes frames: every waiting one at once (up to a count) from Palabre's
    own transport; one at a time through the ASGI interface under another server."""
    offered = websocket.scope.get("extensions", {}).get(PEER_EXTENSION)
    if offered is not None:
        receive_many: Callable[[int], Awaitable[list[Message]]] = offered["peer"].receive_many
        return receive_many

    async def one(limit: int) -> list[Message]:
        return [await websocket.receive()]

    return one


def _failed_with(disconnect: Message) -> int | None:
    """The code Palabre's transport failed the connection with (1002, 1007, 1009...: it
    reports its own failures without a reason, ``transport.py`` ``_failed``), or None when
    the client closed it: a close frame always brings its reason, maybe empty, and a client
    that closes with 1009 because the server sent more than it takes is not hostile. Under
    another ASGI server every disconnect carries a reason: none counts (fails open)."""
    if "reason" in disconnect:
        return None
    return int(disconnect.get("code", 1005))


def _close_code(error: InvalidUpdate) -> CloseCode:
    if isinstance(error, TooLarge):
        return CloseCode.MESSAGE_TOO_LARGE
    if isinstance(error, ForbiddenContent):
        return CloseCode.FORBIDDEN_CONTENT
    return CloseCode.BAD_MESSAGE


def _refusing(connection: Connection, code: CloseCode, reason: str) -> None:
    """Close one connection for what it sent, with a log line naming the member."""
    member = connection.member
    log.warning(
        "closing %s of %s (%s) with %d: %s",
        connection.session_id,
        member.name,
        member.id,
        int(code),
        reason,
    )
    connection.close(code, reason)


async def _refuse(websocket: WebSocket, code: CloseCode, reason: str) -> None:
    with contextlib.suppress(Exception):
        await websocket.close(int(code), reason[:120])
