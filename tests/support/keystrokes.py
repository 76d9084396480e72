"""Tokens typed by live clients while something breaks (a server killed, an instance lost),
and which of them the server had acknowledged durable at that moment."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from palabre.client import LiveDocument


@dataclass
class Typed:
    live: LiveDocument
    token: str
    sent: int  # the update's number on its connection
    connection: int


async def type_tokens(
    live: LiveDocument, name: str, count: int, log: list[Typed], pause: float
) -> None:
    """Type ``count`` tokens ``[{name}{k}]`` at the end of the text, ``pause`` s apart."""
    for k in range(count):
        token = f"[{name}{k}]"
        live.insert(len(live.value), token)
        log.append(Typed(live, token, live.sent, live.connections))
        await asyncio.sleep(pause)


def acknowledged(log: Sequence[Typed], lives: Sequence[LiveDocument]) -> set[str]:
    """The tokens typed on each client's current connection that the server has reported
    durable: call it at the moment of the failure."""
    now = {id(live): (live.connections, live.saved) for live in lives}
    return {
        t.token for t in log if t.connection == now[id(t.live)][0] and t.sent <= now[id(t.live)][1]
    }
