"""A websocket client on a bare TCP socket, for tests that look at the frames themselves: which
extensions the server accepted, whether each message came compressed (RSV1) or not, and a
client that stops reading (a small receive buffer, and nothing read) to play a slow link.

Only what those tests need: one handshake offering permessage-deflate as browsers do, masked
binary frames out, whole unfragmented frames in (the server never fragments), inflated with
the context the server negotiated. Every read is bounded by a timeout.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import socket
import struct
import zlib
from dataclasses import dataclass
from urllib.parse import urlsplit

TAIL = b"\x00\x00\xff\xff"


@dataclass(frozen=True)
class Received:
    opcode: int
    compressed: bool  # RSV1: the server sent it deflated
    payload: bytes  # inflated
    wire_bytes: int  # the frame's payload as it came over the socket


class RawSocket:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.extensions = ""  # the server's Sec-WebSocket-Extensions answer
        self._inflater: zlib._Decompress | None = None
        self._takeover = True

    @classmethod
    async def open(
        cls, url: str, deflate: bool = True, receive_buffer: int | None = None
    ) -> RawSocket:
        parts = urlsplit(url)
        sock = socket.socket()
        if receive_buffer is not None:  # before connecting, so the window starts small
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (parts.hostname, parts.port))
        reader, writer = await asyncio.open_connection(sock=sock, limit=1 << 24)
        raw = cls(reader, writer)
        await raw._handshake(parts.path + ("?" + parts.query if parts.query else ""), deflate)
        return raw

    async def _handshake(self, target: str, deflate: bool) -> None:
        key = base64.b64encode(os.urandom(16)).decode()
        offer = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
        request = (
            f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            f"Sec-WebSocket-Version: 13\r\n{offer if deflate else ''}\r\n"
        )
        self.writer.write(request.encode())
        head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), 10)
        status = head.split(b"\r\n", 1)[0]
        assert b" 101 " in status, head
        for line in head.decode("latin-1").split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "sec-websocket-extensions":
                self.extensions = value.strip()
        if "permessage-deflate" in self.extensions:
            bits = 15
            for parameter in self.extensions.split(";"):
                name, _, value = parameter.strip().partition("=")
                if name == "server_max_window_bits":
                    bits = int(value)
            self._takeover = "server_no_context_takeover" not in self.extensions
            self._bits = bits
            self._inflater = zlib.decompressobj(wbits=-bits)

    def send(self, payload: bytes) -> None:
        """One masked binary frame, uncompressed (a client may always send those)."""
        mask = os.urandom(4)
        length = len(payload)
        if length < 126:
            head = bytes((0x82, 0x80 | length))
        elif length < 1 << 16:
            head = struct.pack("!BBH", 0x82, 0x80 | 126, length)
        else:
            head = struct.pack("!BBQ", 0x82, 0x80 | 127, length)
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.writer.write(head + mask + body)

    async def receive(self, timeout: float = 10) -> Received:
        async with asyncio.timeout(timeout):
            first, second = await self.reader.readexactly(2)
            length = second & 0x7F
            if length == 126:
                (length,) = struct.unpack("!H", await self.reader.readexactly(2))
            elif length == 127:
                (length,) = struct.unpack("!Q", await self.reader.readexactly(8))
            data = await self.reader.readexactly(length)
        assert first & 0x80, "the server never fragments its messages"
        compressed = bool(first & 0x40)
        payload = self._inflate(data) if compressed else data
        return Received(first & 0x0F, compressed, payload, len(data))

    def _inflate(self, data: bytes) -> bytes:
        assert self._inflater is not None, "a compressed frame without permessage-deflate"
        if not self._takeover:
            self._inflater = zlib.decompressobj(wbits=-self._bits)
        return self._inflater.decompress(data + TAIL)

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(TimeoutError, ConnectionError):
            await asyncio.wait_for(self.writer.wait_closed(), 5)
