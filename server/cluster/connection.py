"""The cluster's long-lived PostgreSQL session connections (the outbox sends on one, the
listener listens on another): opened, used until they fail, opened again with back-off,
until cancelled. Nothing is carried across a failure: ``use`` starts afresh on each new
connection, and what was missed meanwhile is found by the listeners' periodic check of the
log (the log is the source; a notification only says where to look)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

import psycopg

log = logging.getLogger("palabre.cluster")

MAX_BACKOFF_SECONDS = 5.0

Use = Callable[[psycopg.AsyncConnection[object]], Awaitable[None]]


async def keep_connected(
    url: str,
    what: str,
    use: Use,
    *,
    setup: Sequence[str] = (),
    lost: Callable[[], None] = lambda: None,
) -> None:
    """Run ``use`` on an autocommit connection to ``url`` once ``setup``'s statements ran;
    after a failure call ``lost``, log it (naming ``what`` the connection does) and connect
    again after 0.2 s, then twice as long each time up to :data:`MAX_BACKOFF_SECONDS` (once
    ``setup`` succeeds the wait starts over)."""
    failures = 0
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(url, autocommit=True) as connection:
                for statement in setup:
                    await connection.execute(statement)
                failures = 0
                await use(connection)
        except (psycopg.Error, OSError) as error:
            lost()
            failures += 1
            log.warning("cluster: %s failed (%s); reconnecting", what, error)
            await asyncio.sleep(min(MAX_BACKOFF_SECONDS, 0.1 * 2**failures))
