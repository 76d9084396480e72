"""Failed authentications per client address: after ``auth_failures_per_minute`` in one
minute, an address is refused for the rest of that minute (HTTP 429, websocket 4429) without
its token even being looked up, so guessing tokens from one address is slow and cheap to
refuse. Shared by the HTTP API and the websocket endpoint; one per process (instances count
separately). Bounded: at most ``MAX_ADDRESSES`` addresses are remembered, the oldest window
forgotten first. In memory only: a restart forgets every count.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from palabre.server.errors import TooManyFailures

WINDOW_SECONDS = 60.0
MAX_ADDRESSES = 10_000


class AuthFailures:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._limit = per_minute
        self._clock = clock
        self._windows: OrderedDict[str, tuple[float, int]] = OrderedDict()

    def check(self, address: str) -> None:
        """Raise TooManyFailures if ``address`` is over its limit in its current window."""
        start, count = self._window(address)
        if count >= self._limit:
            wait = int(WINDOW_SECONDS - (self._clock() - start)) + 1
            raise TooManyFailures(f"too many failed authentications; retry in {wait} s")

    def failed(self, address: str) -> None:
        start, count = self._window(address)
        self._windows[address] = (start, count + 1)
        self._windows.move_to_end(address)
        while len(self._windows) > MAX_ADDRESSES:
            self._windows.popitem(last=False)

    def _window(self, address: str) -> tuple[float, int]:
        now = self._clock()
        start, count = self._windows.get(address, (now, 0))
        if now - start >= WINDOW_SECONDS:
            return now, 0
        return start, count
