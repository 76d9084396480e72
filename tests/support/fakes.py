"""Recording fakes of the live core's two seams, for in-process tests that run in milliseconds:

- :class:`RecordingPeer` stands for a websocket (``live/peer.py``'s ``Peer``): it records the
  messages sent (each write, and each message's payload) and the close, and can be held (its
  sends block until released) to play a client that does not read.
- :class:`RecordingStore` stands for storage (``live/batcher.py``'s ``ContributionStore``): it
  keeps contributions in a list, records every call, and can be told to fail the next N
  appends, to be slow (every append waits for a gate), or that another process stored
  contributions first (the next append raises PositionConflict).

They record what happened; tests assert on the records. No mocks, no server process.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from uuid import UUID, uuid4

from palabre.domain.errors import PositionConflict
from palabre.domain.ids import DocumentId
from palabre.server.crdt.check import check_update
from palabre.server.crdt.replica import merge
from palabre.server.live.outgoing import Outgoing
from palabre.server.storage.store import PendingRun, StoredState


class StoreDown(RuntimeError):
    """What the recording store raises when told to fail."""


class RecordingPeer:
    """A websocket peer that records what it is sent and how it is closed."""

    def __init__(self) -> None:
        self.frames: list[bytes] = []  # every message's payload, in order
        self.writes: list[list[Outgoing]] = []  # what each write held
        self.closed: tuple[int, str] | None = None
        self._open = asyncio.Event()
        self._open.set()

    def hold(self) -> None:
        """From now on, sends wait until :meth:`release` (a client that stopped reading)."""
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    @property
    def ready_to_write(self) -> bool:
        return self._open.is_set()

    def write(self, messages: Sequence[Outgoing]) -> None:
        assert self._open.is_set(), "written while held"
        self.writes.append(list(messages))
        self.frames.extend(message.payload for message in messages)

    async def send(self, messages: Sequence[Outgoing]) -> None:
        await self._open.wait()
        self.write(messages)

    async def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)

    def of_type(self, *prefix: int) -> list[bytes]:
        """The frames sent that start with these bytes (e.g. ``0, 2``: sync updates)."""
        head = bytes(prefix)
        return [frame for frame in self.frames if frame.startswith(head)]


@dataclass(frozen=True)
class Appended:
    """One successful append: where it went and what it held."""

    expected: int
    runs: list[PendingRun]
    at: float


@dataclass
class RecordingStore:
    """Contributions of one or more documents, in memory, with every call recorded."""

    contributions: dict[DocumentId, list[bytes]] = field(default_factory=dict)
    appended: list[Appended] = field(default_factory=list)
    attempts: list[float] = field(default_factory=list)  # monotonic time of each append call
    checkpoints: list[int] = field(default_factory=list)
    tails: list[int] = field(default_factory=list)
    lookups: list[set[int]] = field(default_factory=list)  # client ids whose owner was sought
    loads: int = 0
    authors: dict[bytes, UUID] = field(default_factory=dict)  # who stored each contribution
    _failures_left: int = 0
    _foreign: list[bytes] = field(default_factory=list)
    _gate: asyncio.Event | None = None

    # Steering --------------------------------------------------------------------------------

    def fail_next(self, count: int) -> None:
        """The next ``count`` appends raise StoreDown."""
        self._failures_left = count

    def slow(self) -> None:
        """Appends wait until :meth:`resume`."""
        self._gate = asyncio.Event()

    def resume(self) -> None:
        if self._gate is not None:
            self._gate.set()
        self._gate = None

    def stored_elsewhere(self, *updates: bytes, by: UUID | None = None) -> None:
        """Another process appended these: the next append conflicts."""
        self._foreign.extend(updates)
        for update in updates:
            self.authors[update] = by or uuid4()

    def log(self, document_id: DocumentId) -> list[bytes]:
        return self.contributions.setdefault(document_id, [])

    # ContributionStore -----------------------------------------------------------------------

    async def append(
        self, document_id: DocumentId, expected: int, runs: Sequence[PendingRun]
    ) -> int:
        self.attempts.append(time.monotonic())
        gate = self._gate
        if gate is not None:
            await gate.wait()
        if self._failures_left:
            self._failures_left -= 1
            raise StoreDown("the store is down")
        log = self.log(document_id)
        if self._foreign:
            log.extend(self._foreign)
            self._foreign.clear()
        if expected != len(log):
            raise PositionConflict(expected, len(log))
        for run in runs:
            merged = merge(run.updates)
            log.append(merged)
            self.authors[merged] = run.member_id
        self.appended.append(Appended(expected, list(runs), time.monotonic()))
        return len(log)

    async def tail(self, document_id: DocumentId, after: int) -> list[tuple[int, bytes]]:
        self.tails.append(after)
        log = self.log(document_id)
        return [(position, log[position - 1]) for position in range(after + 1, len(log) + 1)]

    async def load(self, document_id: DocumentId, upto: int | None = None) -> StoredState:
        """No checkpoints are kept: the whole log is the tail."""
        self.loads += 1
        log = self.log(document_id)[:upto]
        return StoredState(len(log), None, list(log), [self.authors[u] for u in log])

    async def client_authors(
        self, document_id: DocumentId, clients: set[int], before: int, window: int
    ) -> dict[int, UUID]:
        self.lookups.append(set(clients))
        found: dict[int, UUID] = {}
        for update in self.log(document_id)[max(0, before - window) : before]:
            for client in check_update(update).clients & clients:
                found.setdefault(client, self.authors[update])
        return found

    async def checkpoint(self, document_id: DocumentId, minimum_tail: int) -> int | None:
        position = len(self.log(document_id))
        last = self.checkpoints[-1] if self.checkpoints else 0
        if position - last < max(1, minimum_tail):
            return None
        self.checkpoints.append(position)
        return position
