"""Palabre's websocket transport: the protocol uvicorn hands a connection to after the HTTP
upgrade (``palabre serve`` names it as uvicorn's websocket implementation). It speaks the
websocket protocol through the ``websockets`` library's sans-I/O ``ServerProtocol`` (the
handshake, parsing and limits of incoming frames, decompression, pings, the closing
handshake), runs the ASGI app for the connection as uvicorn's own implementations do, and
offers the app a faster way out: the ASGI scope's extension ``palabre.peer`` holds this
object, a :class:`~palabre.server.live.peer.Peer`, whose :meth:`LiveProtocol.send` writes
messages' prebuilt frames (``outgoing.py``) to the socket in one write, without the ASGI
layers and without compressing a broadcast again for each recipient.

Compression (``PALABRE_COMPRESSION``), decided per message as RFC 7692 allows a sender to:

- ``per-message`` (the default): permessage-deflate is negotiated with
  ``server_no_context_takeover`` and ``client_no_context_takeover``; a message of at least
  ``PALABRE_COMPRESS_MIN_BYTES`` (a first sync, a catch-up, a paste) is sent compressed,
  with a fresh context, so its compressed frame is the same for every recipient and built
  once; smaller ones (keystrokes,
  presence, keepalives) are sent as they are (RSV1 clear), which costs nobody anything.
  Without context takeover on their side, clients may do the same (the stock ``ws`` client
  then leaves messages under 1 KB uncompressed; with context takeover it compresses every
  keystroke), and the server keeps no inflater per connection.
- ``per-connection``: what uvicorn does: context takeover, every message compressed again for
  each connection with its own context (kept to measure against).
- ``off``: permessage-deflate is not negotiated.

Incoming messages wait in a small inbox until the app reads them; reading from the socket
pauses while the inbox holds more than ``INBOX_MESSAGES`` messages or ``INBOX_BYTES`` bytes,
so a client that sends faster than the app reads waits in its own socket buffers. Frames
above uvicorn's ``ws_max_size`` close the connection with 1009 before they are read whole.

On a crash of the app the connection gets a 500 (before the handshake) or is closed; the
other connections are untouched. Nothing here outlives the connection.

Over 400 lines on purpose: it is one connection's protocol, from the upgrade to the closed
socket (handshake, the app, frames in and out, pings, the closing handshake), and its state
is easier to check in one place than spread over modules that would share it.
"""

from __future__ import annotations

import asyncio
import logging
import random
import struct
import zlib
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, cast
from urllib.parse import unquote

from palabre.server.live.outgoing import PLAIN, Outgoing, compressed_frame, deflate
from uvicorn.config import Config
from uvicorn.server import ServerState
from websockets.exceptions import InvalidState
from websockets.extensions.base import ServerExtensionFactory
from websockets.extensions.permessage_deflate import (
    PerMessageDeflate,
    ServerPerMessageDeflateFactory,
)
from websockets.frames import Frame, Opcode
from websockets.http11 import Request, Response
from websockets.server import ServerProtocol

log = logging.getLogger("uvicorn.error")

PEER_EXTENSION = "palabre.peer"
COMPRESSIONS = ("per-message", "per-connection", "off")  # PALABRE_COMPRESSION
CLIENT_WINDOW_BITS = 12  # the window clients compress with: ours to hold per connection
INBOX_MESSAGES = 64  # reading pauses above this many messages waiting for the app...
INBOX_BYTES = 1 << 20  # ...or this many bytes
CLOSE_TIMEOUT = 10.0  # seconds a close frame waits for the client's own
Message = dict[str, Any]  # an ASGI event


class ConnectionGone(ConnectionError):
    """The socket is closed or closing: nothing more can be sent."""


@dataclass(frozen=True)
class TransportOptions:
    compression: str = "per-message"  # one of COMPRESSIONS
    compress_min_bytes: int = 1024


def extensions(options: TransportOptions) -> list[ServerExtensionFactory]:
    if options.compression == "off":
        return []
    per_message = options.compression == "per-message"
    return [
        ServerPerMessageDeflateFactory(
            server_no_context_takeover=per_message,
            # A client without context takeover may send a small message as it is: the
            # stock client (ws) then compresses only messages of 1 KB or more, instead of
            # every keystroke; and the server holds no inflater between messages.
            client_no_context_takeover=per_message,
            server_max_window_bits=None if per_message else 12,
            client_max_window_bits=CLIENT_WINDOW_BITS,
            compress_settings={"memLevel": 5},
        )
    ]


class LiveProtocol(asyncio.Protocol):
    """One websocket connection, from the upgrade request to the closed socket."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        options: TransportOptions | None = None,
    ) -> None:
        self._options = options or TransportOptions()
        self._app = config.loaded_app
        self._root_path = config.root_path
        self._ping_interval = config.ws_ping_interval
        self._ping_timeout = config.ws_ping_timeout
        self._state = server_state
        self._app_state = app_state
        self._loop = asyncio.get_running_loop()
        self._conn = ServerProtocol(
            extensions=extensions(self._options), max_size=config.ws_max_size, logger=log
        )
        self._transport: asyncio.Transport | None = None
        self._client: tuple[str, int] | None = None
        self._server: tuple[str, int] | None = None
        self._response: Response | None = None
        self._scope: dict[str, Any] = {}
        self._inbox: deque[tuple[Message, int]] = deque()
        self._inbox_bytes = 0
        self._inbox_ready = asyncio.Event()
        self._reading_paused = False
        self._writable = asyncio.Event()
        self._writable.set()
        self._fragments: list[bytes] = []
        self._kind = "bytes"  # of the message being received: "bytes" or "text"
        self.accepted = False  # the 101 answer was sent
        self._close_sent = False
        self._gone = False  # the socket is closed
        self._close_timer: asyncio.TimerHandle | None = None
        self._window_bits: int | None = None  # deflate negotiated: its window; None: not
        self._encoder: zlib._Compress | None = None  # "per-connection": this connection's
        self._ping_timer: asyncio.TimerHandle | None = None
        self._pong_timer: asyncio.TimerHandle | None = None
        self._ping_payload: bytes | None = None

    # asyncio.Protocol ------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not subclasses of asyncio.Transport, only alike.
        self._transport = cast(asyncio.Transport, transport)
        self._state.connections.add(self)  # type: ignore[arg-type]
        self._client = _address(transport.get_extra_info("peername"))
        self._server = _address(transport.get_extra_info("sockname"))

    def connection_lost(self, exc: Exception | None) -> None:
        self._gone = True
        self._stop_keepalive()
        self._deliver({"type": "websocket.disconnect", "code": 1006 if exc else 1005})
        self._state.connections.discard(self)
        self._writable.set()  # wake any writer: it will find the connection gone
        if self._close_timer is not None:
            self._close_timer.cancel()
            self._close_timer = None

    def eof_received(self) -> None:
        """The client half-closed: the transport closes (asyncio's default)."""

    def pause_writing(self) -> None:
        self._writable.clear()

    def resume_writing(self) -> None:
        self._writable.set()

    def data_received(self, data: bytes) -> None:
        self._conn.receive_data(data)
        for event in self._conn.events_received():
            if isinstance(event, Request):
                self._handshake(event)
            elif isinstance(event, Frame):
                self._frame_received(event)
        if self._conn.parser_exc is not None:
            self._failed()
        else:
            self._flush()

    def shutdown(self) -> None:
        """uvicorn is stopping (Palabre closed its live connections with 1001 before)."""
        self._stop_keepalive()
        if self._transport is None or self._transport.is_closing():
            return
        if self.accepted and not self._close_sent:
            self._deliver({"type": "websocket.disconnect", "code": 1012})
            self._conn.send_close(1012)
            self._flush()
        elif not self.accepted:
            self._reject(HTTPStatus.INTERNAL_SERVER_ERROR)
        self._transport.close()

    # Incoming --------------------------------------------------------------------------------

    def _frame_received(self, frame: Frame) -> None:
        if frame.opcode in (Opcode.TEXT, Opcode.BINARY, Opcode.CONT):
            if frame.opcode is not Opcode.CONT:
                self._fragments = []
                self._kind = "text" if frame.opcode is Opcode.TEXT else "bytes"
            self._fragments.append(bytes(frame.data))
            if frame.fin:
                self._message_received(b"".join(self._fragments))
                self._fragments = []
        elif frame.opcode is Opcode.PONG:
            self._pong_received(bytes(frame.data))
        elif frame.opcode is Opcode.CLOSE:
            received = self._conn.close_rcvd
            code = received.code if received is not None else 1005
            reason = received.reason if received is not None else ""
            self._deliver({"type": "websocket.disconnect", "code": code, "reason": reason})

    def _message_received(self, data: bytes) -> None:
        if self._close_sent:
            return  # the app is done with this connection: only the close reply matters
        if self._kind == "text":
            try:
                message: Message = {"type": "websocket.receive", "text": data.decode()}
            except UnicodeDecodeError:
                self._conn.fail(1007, "invalid UTF-8")
                return
        else:
            message = {"type": "websocket.receive", "bytes": data}
        self._deliver(message, len(data))

    def _deliver(self, message: Message, size: int = 0) -> None:
        self._inbox.append((message, size))
        self._inbox_bytes += size
        self._inbox_ready.set()
        full = len(self._inbox) > INBOX_MESSAGES or self._inbox_bytes > INBOX_BYTES
        if full and not self._reading_paused and self._transport is not None:
            self._reading_paused = True
            self._transport.pause_reading()

    async def _receive(self) -> Message:
        (message,) = await self.receive_many(1)
        return message

    async def receive_many(self, limit: int) -> list[Message]:
        """What the app would get from ``limit`` calls of the ASGI ``receive``, without waiting
        between them: the messages that are waiting (at least one, waited for), oldest first.
        The live endpoint reads this way (``palabre.peer``), so a socket read of many frames
        costs one call, not one per frame."""
        while not self._inbox:
            self._inbox_ready.clear()
            await self._inbox_ready.wait()
        taken: list[Message] = []
        while self._inbox and len(taken) < limit:
            message, size = self._inbox.popleft()
            self._inbox_bytes -= size
            taken.append(message)
        if self._reading_paused and len(self._inbox) <= INBOX_MESSAGES // 2:
            self._resume_reading()
        return taken

    def _resume_reading(self) -> None:
        if self._reading_paused and self._transport is not None and not self._gone:
            self._reading_paused = False
            self._transport.resume_reading()

    def _failed(self) -> None:
        """The client broke the protocol (or sent a frame above the limit): websockets has
        queued the close frame (1002, 1007, 1009...); send it and close."""
        sent = self._conn.close_sent
        code = sent.code if sent is not None else 1002
        self._deliver({"type": "websocket.disconnect", "code": code})
        self._close_sent = True
        self._flush()
        if self._transport is not None:
            self._transport.close()
        # websockets keeps the parser's error, and its traceback holds the frames of the parse
        # and with them this protocol: a reference cycle only the collector's rare full
        # collections free. For a compressed frame above the size limit those frames hold what
        # was decompressed up to it (8 MiB by default): twenty such frames, 16 KiB each on the
        # wire, held 134 MB until a full collection (found by the fuzz campaign).
        self._conn.parser_exc = None

    # The handshake and the ASGI app ----------------------------------------------------------

    def _handshake(self, request: Request) -> None:
        response = self._conn.accept(request)
        if response.status_code != 101:  # not a valid websocket upgrade
            self._close_sent = True
            self._conn.send_response(response)
            self._flush()
            if self._transport is not None:
                self._transport.close()
            return
        self._response = response
        self._scope = self._scope_of(request)
        self._deliver({"type": "websocket.connect"})
        task = self._loop.create_task(self._run_app())
        self._state.tasks.add(task)
        task.add_done_callback(self._state.tasks.discard)

    def _scope_of(self, request: Request) -> dict[str, Any]:
        raw_path, _, query = request.path.partition("?")
        subprotocols = [
            token.strip()
            for header in request.headers.get_all("Sec-WebSocket-Protocol")
            for token in header.split(",")
        ]
        return {
            "type": "websocket",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "scheme": "wss" if self._transport_is_tls() else "ws",
            "server": self._server,
            "client": self._client,
            "root_path": self._root_path,
            "path": self._root_path + unquote(raw_path),
            "raw_path": (self._root_path + raw_path).encode("ascii"),
            "query_string": query.encode("ascii"),
            "headers": [
                (key.lower().encode("ascii"), value.encode("latin-1"))
                for key, value in request.headers.raw_items()
            ],
            "subprotocols": subprotocols,
            "state": self._app_state.copy(),
            "extensions": {PEER_EXTENSION: {"peer": self}},
        }

    def _transport_is_tls(self) -> bool:
        return self._transport is not None and bool(self._transport.get_extra_info("sslcontext"))

    async def _run_app(self) -> None:
        try:
            await self._app(self._scope, self._receive, self._asgi_send)
        except Exception:
            log.exception("Exception in the websocket application")
            if not self.accepted:
                self._reject(HTTPStatus.INTERNAL_SERVER_ERROR)
        finally:
            if self._close_timer is None and self._transport is not None:
                self._transport.close()

    async def _asgi_send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "websocket.accept" and not self.accepted and not self._close_sent:
            self._accept(message)
        elif kind == "websocket.close" and not self.accepted:
            self._deliver({"type": "websocket.disconnect", "code": 1006})
            self._reject(HTTPStatus.FORBIDDEN)
        elif kind == "websocket.close":
            await self.close(message.get("code", 1000), message.get("reason") or "")
        elif kind == "websocket.send" and message.get("bytes") is not None and self.accepted:
            await self.send([Outgoing(message["bytes"])])
        else:
            raise RuntimeError(f"unexpected ASGI message {kind!r} on a Palabre websocket")

    def _accept(self, message: Message) -> None:
        assert self._response is not None
        headers = self._state.default_headers + list(message.get("headers", []))
        del self._response.headers["Date"]
        for name, value in headers:
            self._response.headers[name.decode("latin-1")] = value.decode("latin-1")
        if message.get("subprotocol"):
            self._response.headers["Sec-WebSocket-Protocol"] = message["subprotocol"]
        self._conn.send_response(self._response)
        self._flush()
        self.accepted = True
        for extension in self._conn.extensions:
            if isinstance(extension, PerMessageDeflate):
                self._window_bits = extension.local_max_window_bits
                if self._options.compression == "per-connection":
                    self._encoder = zlib.compressobj(
                        wbits=-extension.local_max_window_bits, memLevel=5
                    )
        query = self._scope["query_string"].decode("ascii")
        path = self._scope["path"] + (f"?{query}" if query else "")
        log.info('%s - "WebSocket %s" [accepted]', _shown(self._client), path)
        self._start_keepalive()

    def _reject(self, status: HTTPStatus) -> None:
        if self.accepted or self._close_sent or self._transport is None:
            return
        self._close_sent = True
        self._conn.send_response(self._conn.reject(status, ""))
        self._flush()
        self._transport.close()

    # Peer: what the live connection's writer uses ---------------------------------------------

    @property
    def ready_to_write(self) -> bool:
        """The socket's buffer is below its high-water mark (and the socket open)."""
        return self._writable.is_set() and not self._gone and not self._close_sent

    async def send(self, messages: Sequence[Outgoing]) -> None:
        """Wait while the socket's buffer is full, then write."""
        if not self._writable.is_set():
            await self._writable.wait()
        self.write(messages)

    def write(self, messages: Sequence[Outgoing]) -> None:
        """The messages' frames in one write on the socket."""
        if self._gone or self._close_sent or self._transport is None:
            raise ConnectionGone("the websocket is closed")
        if len(messages) == 1:
            self._transport.write(self._frame(messages[0]))
        else:
            self._transport.write(b"".join([self._frame(m) for m in messages]))

    def _frame(self, message: Outgoing) -> bytes:
        """Plain below the threshold (or without deflate), else compressed: once for every
        recipient, or with this connection's context in ``per-connection``."""
        if self._encoder is not None:
            return compressed_frame(deflate(message.payload, self._encoder))
        if self._window_bits is None or len(message) < self._options.compress_min_bytes:
            return message.frame(PLAIN)
        return message.frame(self._window_bits)

    async def close(self, code: int, reason: str) -> None:
        """Send the close frame; the socket closes when the client answers, or after
        ``CLOSE_TIMEOUT``. The app's reader is told at once."""
        if self._close_sent or self._gone or self._transport is None:
            return
        try:
            self._conn.send_close(code, reason)
        except InvalidState:  # the client's close came first
            return
        self._close_sent = True
        self._deliver({"type": "websocket.disconnect", "code": code, "reason": reason})
        self._flush()
        self._resume_reading()  # to read the client's close frame
        self._close_timer = self._loop.call_later(CLOSE_TIMEOUT, self._transport.close)

    def _flush(self) -> None:
        """Write what websockets has to send (handshake answer, pongs, close frames); close
        the socket after the end of a closing handshake."""
        if self._transport is None or self._transport.is_closing():
            return
        output = self._conn.data_to_send()
        if not output:
            return
        self._transport.write(b"".join(output))
        if output[-1] == b"":  # websockets' end of stream: the server closes the TCP side
            self._transport.close()

    # Keepalive pings -------------------------------------------------------------------------

    def _start_keepalive(self) -> None:
        if self._ping_interval:
            self._ping_timer = self._loop.call_later(self._ping_interval, self._ping)

    def _stop_keepalive(self) -> None:
        for timer in (self._ping_timer, self._pong_timer):
            if timer is not None:
                timer.cancel()
        self._ping_timer = self._pong_timer = None

    def _ping(self) -> None:
        self._ping_timer = None
        if self._close_sent or self._gone:
            return
        self._ping_payload = struct.pack("!I", random.getrandbits(32))
        self._conn.send_ping(self._ping_payload)
        self._flush()
        if self._ping_timeout:
            self._pong_timer = self._loop.call_later(self._ping_timeout, self._no_pong)
        else:
            self._start_keepalive()

    def _pong_received(self, payload: bytes) -> None:
        if self._ping_payload is None or payload != self._ping_payload:
            return
        self._ping_payload = None
        if self._pong_timer is not None:
            self._pong_timer.cancel()
            self._pong_timer = None
            self._start_keepalive()

    def _no_pong(self) -> None:
        self._pong_timer = None
        if self._close_sent or self._gone or self._transport is None:
            return
        if self._reading_paused:  # the pong may wait unread behind what the app holds back
            self._pong_timer = self._loop.call_later(self._ping_timeout or 0, self._no_pong)
            return
        self._conn.fail(1011, "keepalive ping timeout")
        self._failed()


def _address(found: Any) -> tuple[str, int] | None:
    if isinstance(found, tuple) and len(found) >= 2:
        return str(found[0]), int(found[1])
    return None


def _shown(address: tuple[str, int] | None) -> str:
    return f"{address[0]}:{address[1]}" if address else "-"
