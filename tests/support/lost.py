"""A request whose answer a cut lost, on the link simulator (``tests/support/link``): wait
until the request reached the server (what it did is stored), then reset the link, so that
the answer never comes back, as when a phone loses its network just after sending. The
caller restores the link and checks what the retry does."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from tests.support.link import Link, LinkThread

BOUND = 30  # s: the request reaches the server through lome-3g well within this


async def answer_lost(
    link: Link, sending: asyncio.Task[Any], arrived: Callable[[], Awaitable[bool]]
) -> None:
    """``sending`` (a client's request through ``link``) fails without an answer once
    ``arrived()`` says the server did what it asked."""
    deadline = time.monotonic() + BOUND
    while not await arrived():
        assert time.monotonic() < deadline, "the request never reached the server"
        await asyncio.sleep(0.005)
    link.cut("reset")
    with pytest.raises(httpx.TransportError):
        await sending


def answer_lost_in_browser(link: LinkThread, arrived: Callable[[], bool]) -> None:
    """The same for a page's request: it never learns what became of it."""
    deadline = time.monotonic() + BOUND
    while not arrived():
        assert time.monotonic() < deadline, "the request never reached the server"
        time.sleep(0.005)
    link.cut("reset")
