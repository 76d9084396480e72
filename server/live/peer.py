"""The transport under a live connection, as the room and the batcher see it: send a frame,
close with a code. A tiny protocol, so the live core runs in process against a recording fake
in tests, and against a starlette websocket in the server."""

from __future__ import annotations

from typing import Protocol

from starlette.websockets import WebSocket


class Peer(Protocol):
    async def send(self, frame: bytes) -> None:
        """Send one binary frame; raise if the other side is gone."""

    async def close(self, code: int, reason: str) -> None:
        """Send the close frame."""


class WebSocketPeer:
    """A starlette websocket (uvicorn underneath) as a :class:`Peer`."""

    def __init__(self, websocket: WebSocket) -> None:
        self._websocket = websocket

    async def send(self, frame: bytes) -> None:
        await self._websocket.send_bytes(frame)

    async def close(self, code: int, reason: str) -> None:
        await self._websocket.close(code, reason)
