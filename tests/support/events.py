"""Reading the live channel (server-sent events) in tests."""

from __future__ import annotations

import asyncio

from palabre.client.http import EventStream, ServerEvent


async def next_event(events: EventStream, kind: str, timeout: float = 10) -> ServerEvent:
    """The next event of this kind (others in between are skipped)."""
    async with asyncio.timeout(timeout):
        async for event in events:
            if event.event == kind:
                return event
    raise AssertionError(f"the stream ended before {kind}")
