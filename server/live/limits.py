"""Rates: how fast one connection and one member may send updates and awareness.

A token bucket per connection and kind (updates, awareness) and one per member for updates,
shared by all their connections. A frame takes a token; when none is left the reader waits
for the next one, so a well-behaved client that bursts (a paste, a fast typist) is only slowed
down, never closed, and nothing it sent is dropped. A client held to its rate for
``throttle_seconds`` without a pause is flooding: :class:`Flooding` is raised and the endpoint
closes it with 4429, which stock y-websocket clients do not retry (4400-4499), so a hostile
script stays out while a browser that merely bursts never meets it.

The members' buckets live as long as one of their connections does (``MemberRates``); nothing
here is stored, and a crash forgets every bucket.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from uuid import UUID

from palabre.server.settings import Settings

Clock = Callable[[], float]
BURST_SECONDS = 2  # a bucket holds this many seconds' worth of tokens


class Flooding(Exception):
    """A connection held to its rate for too long."""


class TokenBucket:
    def __init__(self, rate: float, clock: Clock = time.monotonic) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate * BURST_SECONDS)
        self._tokens = self.capacity
        self._clock = clock
        self._at = clock()

    @property
    def rested(self) -> bool:
        """Half full or more: whoever draws on it has paused."""
        return self._tokens >= self.capacity / 2

    def wait_for_token(self) -> float:
        """Take one token; return how long to wait before the frame may go on (0: at once)."""
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._at) * self.rate)
        self._at = now
        self._tokens -= 1
        return 0.0 if self._tokens >= 0 else -self._tokens / self.rate


class Throttle:
    """One connection's rates (its own buckets and its member's)."""

    def __init__(
        self, settings: Settings, member: TokenBucket, clock: Clock = time.monotonic
    ) -> None:
        self._updates = TokenBucket(settings.updates_per_second, clock)
        self._awareness = TokenBucket(settings.awareness_per_second, clock)
        self._member = member
        self._patience = settings.throttle_seconds
        self._clock = clock
        self._held_since: float | None = None

    async def update(self) -> None:
        delay = max(self._updates.wait_for_token(), self._member.wait_for_token())
        await self._take(delay, self._updates.rested)

    async def awareness(self) -> None:
        delay = self._awareness.wait_for_token()
        await self._take(delay, self._awareness.rested)

    async def _take(self, delay: float, rested: bool) -> None:
        """Wait ``delay``; a connection counts as held from its first wait until its bucket
        is half full again (a late wake-up that leaves a token or two is no pause)."""
        now = self._clock()
        if rested:
            self._held_since = None
        elif delay > 0 and self._held_since is None:
            self._held_since = now
        if self._held_since is not None and now + delay - self._held_since > self._patience:
            raise Flooding(f"held to its rate for more than {self._patience} s")
        if delay > 0:
            await asyncio.sleep(delay)


class MemberRates:
    """Per member: the shared update bucket and the count of open connections."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._buckets: dict[UUID, TokenBucket] = {}
        self._open: Counter[UUID] = Counter()

    def open(self, member: UUID) -> TokenBucket | None:
        """Count a new connection of ``member``; None if they have too many already."""
        if self._open[member] >= self._settings.connections_per_member:
            return None
        self._open[member] += 1
        if member not in self._buckets:
            self._buckets[member] = TokenBucket(self._settings.member_updates_per_second)
        return self._buckets[member]

    def close(self, member: UUID) -> None:
        self._open[member] -= 1
        if self._open[member] <= 0:
            del self._open[member]
            self._buckets.pop(member, None)
