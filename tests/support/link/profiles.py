"""The link's profiles (what a mobile connection from Lomé does, by name) and their schedule of
stalls and cuts, drawn from a seed as functions of the time since the link started. Pure
values and arithmetic: nothing here touches a socket, so nothing is lost on a crash."""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Literal

CutMode = Literal["hold", "reset"]

MBIT = 1_000_000 / 8  # bytes per second
KBIT = 1_000 / 8


@dataclass(frozen=True)
class Profile:
    """What the link does. Rates are bytes per second (``None``: unlimited); every duration is
    in seconds. The schedule (stalls and cuts) is multiplied by ``time_scale``."""

    name: str
    delay: float = 0.0  # one way, each direction
    jitter: float = 0.0  # the delay wanders by up to this much either way (see Jitter)
    down_rate: float | None = None  # server to client
    up_rate: float | None = None  # client to server
    stall_every: float | None = None  # mean time between stalls (exponential); None: no stalls
    stall_min: float = 1.0
    stall_max: float = 3.0
    cut_after: tuple[float, float] | None = None  # time online before each cut (uniform range)
    cut_for: float = 30.0
    cut_count: int | None = None  # None: cuts go on for ever
    cut_mode: CutMode = "hold"
    time_scale: float = 1.0


LOME_3G = Profile(
    "lome-3g",
    delay=0.300,
    jitter=0.100,
    down_rate=1 * MBIT,
    up_rate=256 * KBIT,
    stall_every=20.0,
)
PROFILES = {
    profile.name: profile
    for profile in (
        Profile("direct"),
        LOME_3G,
        replace(LOME_3G, name="cuts", cut_after=(30.0, 90.0), cut_for=30.0),
        replace(
            LOME_3G,
            name="offline-hour",
            cut_after=(60.0, 60.0),
            cut_for=3600.0,
            cut_count=1,
            cut_mode="reset",
        ),
    )
}


def profile(name: str, **overrides: object) -> Profile:
    """A named profile, with some fields replaced (``profile("cuts", time_scale=0.01)``)."""
    return replace(PROFILES[name], **overrides)  # type: ignore[arg-type]


# The schedule -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outage:
    """A stretch of time, in seconds since the link started, when nothing is delivered."""

    start: float
    end: float
    kind: Literal["stall", "cut"]


class Schedule:
    """The profile's stalls and cuts, drawn from the seed and extended as time goes on."""

    def __init__(self, profile: Profile, seed: int | str) -> None:
        self.profile = profile
        stalls = self._stall_times(random.Random(f"{seed}:stalls"))
        cuts = self._cut_times(random.Random(f"{seed}:cuts"))
        self._streams = [stalls, cuts]
        self._reached = [-math.inf, -math.inf]  # the latest start drawn from each stream
        self._known: list[Outage] = []

    def _stall_times(self, rng: random.Random) -> Iterator[Outage]:
        p, scale = self.profile, self.profile.time_scale
        if p.stall_every is None:
            return
        at = 0.0
        while True:
            at += rng.expovariate(1 / p.stall_every) * scale
            length = rng.uniform(p.stall_min, p.stall_max) * scale
            yield Outage(at, at + length, "stall")
            at += length

    def _cut_times(self, rng: random.Random) -> Iterator[Outage]:
        p, scale = self.profile, self.profile.time_scale
        if p.cut_after is None:
            return
        at, count = 0.0, 0
        while p.cut_count is None or count < p.cut_count:
            at += rng.uniform(*p.cut_after) * scale
            yield Outage(at, at + p.cut_for * scale, "cut")
            at += p.cut_for * scale
            count += 1

    def outages(self, until: float) -> list[Outage]:
        """Every outage that starts before ``until``, in order of start."""
        for index, stream in enumerate(self._streams):
            while self._reached[index] < until:
                outage = next(stream, None)
                if outage is None:
                    self._reached[index] = math.inf
                    break
                bisect.insort(self._known, outage, key=lambda o: o.start)
                self._reached[index] = outage.start
        return [o for o in self._known if o.start < until]

    def next_cut(self, after: float) -> Outage | None:
        """The first cut that starts at or after ``after``, if there is one."""
        horizon = max(after, 1.0)
        while True:
            cuts = [o for o in self.outages(horizon) if o.kind == "cut" and o.start >= after]
            if cuts:
                return cuts[0]
            if self._reached[1] == math.inf:
                return None
            horizon *= 2

    def at(self, t: float) -> Outage | None:
        """The outage under way at ``t`` (a cut before a stall), or None."""
        current = [o for o in self.outages(t + 1e-9) if o.start <= t < o.end]
        return max(current, key=lambda o: (o.kind == "cut", o.end), default=None)
