"""Cool-downs after hostile input: a connection closed for what it sent (a malformed frame
4400, content outside the rules 4422, something too large 4413, or a protocol violation the
transport closed with 1002, 1007 or 1009) puts its token and its member in a cool-down, and
their websocket handshakes are refused (4429) until it ends, before the token is looked up
and before a room is loaded: a refusal costs a hash and a dictionary lookup. The cool-down
starts at ``cooldown_seconds`` and doubles with each hostile close up to
``cooldown_max_seconds``; a key that stays quiet for ``QUIET_FACTOR`` times the cap after its
cool-down ended starts again from the first delay.

Keys are strings the endpoint makes: the token's credential id (known from its hash before
any lookup) and the member's id (known once authenticated, which covers a member's other
tokens). Not the address: a hostile close always follows an authentication, so the member is
known, and many well-behaved people share one address (an office, a mobile carrier's NAT).

Well-behaved clients never meet it: stock clients send none of these frames, and stock
y-websocket clients do not reconnect after a close in 4400-4499 anyway.

In memory only, one per process: a restart forgets every cool-down, and each instance keeps
its own (an attacker spread over N instances gets N times the attempts, each refused as
cheaply). Bounded: at most ``MAX_KEYS`` keys, the least recently penalised forgotten first.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from palabre.server.errors import CoolingDown

MAX_KEYS = 10_000
QUIET_FACTOR = 5  # quiet this many times the cap after a cool-down: start again from the first


@dataclass(frozen=True)
class _Penalty:
    until: float  # refused before this moment
    delay: float  # the cool-down that ends then


class Cooldowns:
    def __init__(
        self, first: float, cap: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._first = first
        self._cap = max(cap, first)
        self._clock = clock
        self._penalties: OrderedDict[str, _Penalty] = OrderedDict()

    def check(self, *keys: str) -> None:
        """Raise CoolingDown if any of ``keys`` is cooling down."""
        now = self._clock()
        for key in keys:
            penalty = self._penalties.get(key)
            if penalty is not None and now < penalty.until:
                wait = math.ceil(penalty.until - now)
                raise CoolingDown(f"closed for hostile input; retry in {wait} s")

    def penalise(self, *keys: str) -> None:
        """A connection of ``keys`` was closed for hostile input: start (or double) their
        cool-down."""
        now = self._clock()
        for key in keys:
            self._penalties[key] = _Penalty(now + (delay := self._next(key, now)), delay)
            self._penalties.move_to_end(key)
        while len(self._penalties) > MAX_KEYS:
            self._penalties.popitem(last=False)

    def _next(self, key: str, now: float) -> float:
        penalty = self._penalties.get(key)
        if penalty is None or now - penalty.until >= QUIET_FACTOR * self._cap:
            return self._first
        return min(penalty.delay * 2, self._cap)

    def __len__(self) -> int:
        return len(self._penalties)
