"""Optimistic concurrency, handled once: a command that lost a race to another writer of the
same aggregate (or catalogue) is run again from a fresh load, a few times, with jitter."""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from eventsourcing.persistence import IntegrityError
from palabre.domain.errors import Conflict, ErrorCode

P = ParamSpec("P")
T = TypeVar("T")
ATTEMPTS = 30


def retried(command: Callable[P, T]) -> Callable[P, T]:
    """Re-run ``command`` when saving hits an IntegrityError (someone else saved the same
    aggregate version first). Commands load what they change, so a re-run sees the winner's
    events and decides again; after ATTEMPTS it gives up with Conflict (HTTP 409)."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return command(*args, **kwargs)
            except IntegrityError:
                if attempt == ATTEMPTS:
                    break
                time.sleep(random.uniform(0, 0.002 * attempt))  # break the lockstep
        raise Conflict(
            "too many simultaneous changes to the same record; try again", code=ErrorCode.BUSY
        )

    return run
