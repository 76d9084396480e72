"""Small helpers for live tests: convergence waits and raw websocket probes."""

from __future__ import annotations

import asyncio

from palabre.client import LiveDocument
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed


async def converged(*lives: LiveDocument, timeout: float = 30) -> str:
    """Wait until every client holds the same text; return it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while len({live.value for live in lives}) > 1:
        assert loop.time() < deadline, "clients did not converge"
        await asyncio.sleep(0.02)
    return lives[0].value


def ws_url(base_url: str, document_id: str, token: str) -> str:
    return f"{base_url.replace('http://', 'ws://', 1)}/ws/{document_id}?token={token}"


async def closed_with(ws: ClientConnection, timeout: float = 10) -> tuple[int, str]:
    """Read until the server closes; return its close code and reason."""
    frame = None
    try:
        async with asyncio.timeout(timeout):
            while True:
                await ws.recv()
    except ConnectionClosed as closed:
        frame = closed.rcvd
    if frame is None:
        raise AssertionError("closed without a close frame")
    return frame.code, frame.reason


async def close_code_for(url: str, send: bytes | str | None = None) -> tuple[int, str]:
    async with connect(url, max_size=None) as ws:
        if send is not None:
            await ws.send(send)
        return await closed_with(ws)
