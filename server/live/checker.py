"""Where the update check runs, and for how long it may.

Small updates (up to ``check_inline_bytes``, every keystroke) are checked in the event loop:
the check is pure Python and linear in the update's size, so its cost is bounded by that
size (microseconds). Larger ones (pastes, a reconnecting client's offline edits) go to a
worker process with a deadline of ``check_timeout_ms``: a check that takes longer is refused
(:class:`CheckTimedOut`), the worker is killed and replaced, and every other document goes on,
since the event loop never waited on it. Checks that were waiting in the killed worker are
sent again to its replacement.

``PALABRE_UPDATE_CHECK=off`` replaces the check by :func:`unchecked` (every update accepted,
as owning nothing and inserting nothing): for benchmarks only, to measure what the check
costs; the server says so in its log at start-up.

The pool is a resource of the composition root (``bootstrap.py``): opened at start-up,
started lazily on the first large update (spawned workers: nothing of the server's threads or
sockets is forked into them), closed (workers killed) at shutdown. A crash of a worker costs
the checks in flight, which are retried once in a new worker; a crash of the server takes its
workers with it (they ask Linux for SIGKILL when their parent dies).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Protocol

from palabre.server.crdt.check import ForbiddenContent, Shape, check_update
from palabre.server.settings import Settings

log = logging.getLogger("palabre.check")

CheckFunction = Callable[[bytes], Shape]
MAX_UPDATE_BYTES = 2**63  # any update, in the loop
PR_SET_PDEATHSIG = 1


class CheckTimedOut(ForbiddenContent):
    """An update whose check did not end within the deadline."""


class UpdateChecker(Protocol):
    async def check(self, update: bytes) -> Shape:
        """The update's shape, or InvalidUpdate / ForbiddenContent."""


class InlineChecker:
    """Every check in the event loop: for tests of one unit, and the command line."""

    def __init__(self, check: CheckFunction = check_update) -> None:
        self._check = check

    async def check(self, update: bytes) -> Shape:
        return self._check(update)


def unchecked(update: bytes) -> Shape:
    """No check at all: benchmarks measure the check's cost against it."""
    return Shape(frozenset(), 0, False)


class PooledChecker:
    """Small updates inline, large ones in worker processes with a deadline."""

    def __init__(self, settings: Settings, check: CheckFunction = check_update) -> None:
        self._check = check
        self._inline_bytes = settings.check_inline_bytes
        if settings.update_check == "off":
            log.warning("PALABRE_UPDATE_CHECK=off: updates are not checked (benchmarks only)")
            self._check, self._inline_bytes = unchecked, MAX_UPDATE_BYTES
        self._timeout = settings.check_timeout_ms / 1000
        self._processes = settings.check_processes
        self._pool: ProcessPoolExecutor | None = None
        self._warm: ProcessPoolExecutor | None = None  # the pool whose worker has started
        self._lock = threading.Lock()
        self.replaced = 0  # workers killed after a deadline passed

    async def check(self, update: bytes) -> Shape:
        if len(update) <= self._inline_bytes:
            return self._check(update)
        for attempt in (1, 2):
            pool = self._current()
            try:
                await self._started(pool)
                future = pool.submit(self._check, update)
                return await asyncio.wait_for(asyncio.wrap_future(future), self._timeout)
            except TimeoutError:
                self._replace(pool)
                raise CheckTimedOut(
                    f"the update check took more than {self._timeout:g} s"
                ) from None
            except (BrokenProcessPool, RuntimeError):  # broken, or shut down meanwhile
                self._replace(pool)
                if attempt == 2:
                    raise CheckTimedOut("the update check could not run") from None
        raise AssertionError("unreachable")

    async def _started(self, pool: ProcessPoolExecutor) -> None:
        """Wait for the pool's worker to start: starting a process (a second or more on a
        busy machine) is not the update's time, so it is waited for without the deadline."""
        if pool is not self._warm:
            await asyncio.wrap_future(pool.submit(_started))
            self._warm = pool

    def _current(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                context = multiprocessing.get_context("spawn")
                self._pool = ProcessPoolExecutor(
                    self._processes, mp_context=context, initializer=_worker_started
                )
            return self._pool

    def _replace(self, pool: ProcessPoolExecutor) -> None:
        """Kill the workers of ``pool`` (a check is stuck in one) and forget it; the next
        check starts a new pool. Checks waiting in it fail with BrokenProcessPool and are
        sent again."""
        with self._lock:
            if self._pool is not pool:
                return
            self._pool = None
            self.replaced += 1
        log.warning("update check: a worker passed its deadline; replacing the pool")
        _kill(pool)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            _kill(pool)


def _started() -> bool:
    return True


def _worker_started() -> None:
    """In each worker: die with the server, even when it is killed (SIGKILL leaves no time to
    stop the pool), and leave its output alone: a worker that outlived it would hold the
    server's standard output open."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # Linux: a signal when the parent dies


def _kill(pool: ProcessPoolExecutor) -> None:
    # ProcessPoolExecutor cannot cancel a running call; killing its processes is the only way
    # to stop a check that runs away (Python 3.14 adds terminate_workers() for this).
    processes = dict(getattr(pool, "_processes", None) or {})
    for process in processes.values():
        process.kill()
    pool.shutdown(wait=False, cancel_futures=True)
