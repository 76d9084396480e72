"""The transport under a live connection, as the room and the batcher see it: send messages,
close with a code. A tiny protocol, so the live core runs in process against a recording fake
in tests, and in the server against Palabre's own websocket transport (``transport.py``,
which writes each message's prebuilt frame straight to the socket) or, under another ASGI
server, a starlette websocket."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from palabre.server.live.outgoing import Outgoing
from starlette.websockets import WebSocket


class Peer(Protocol):
    @property
    def ready_to_write(self) -> bool:
        """Whether :meth:`write` would take messages now, without waiting."""

    def write(self, messages: Sequence[Outgoing]) -> None:
        """Write these messages now, in order, in one write; only when ``ready_to_write``.
        Raise if the other side is gone."""

    async def send(self, messages: Sequence[Outgoing]) -> None:
        """Send these messages, in order, once the transport can take them; raise if the
        other side is gone."""

    async def close(self, code: int, reason: str) -> None:
        """Send the close frame."""


class WebSocketPeer:
    """A websocket through the ASGI interface (starlette over any ASGI server) as a
    :class:`Peer`: each message goes through the server's own framing and compression."""

    def __init__(self, websocket: WebSocket) -> None:
        self._websocket = websocket

    @property
    def ready_to_write(self) -> bool:
        return False  # the ASGI interface only sends by awaiting

    def write(self, messages: Sequence[Outgoing]) -> None:
        raise RuntimeError("the ASGI interface only sends by awaiting")

    async def send(self, messages: Sequence[Outgoing]) -> None:
        for message in messages:
            await self._websocket.send_bytes(message.payload)

    async def close(self, code: int, reason: str) -> None:
        await self._websocket.close(code, reason)
