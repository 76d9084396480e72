"""The one seam between async code and the synchronous event store: a small thread pool.

Everything the server asks of storage goes through :class:`Store`, so no event-loop code ever
blocks on SQLite or PostgreSQL. It counts, on the process's :class:`Metrics`, the calls that
failed (a refusal such as a position conflict is not a failure), each batch's time and what
it stored; and tells ``on_appended`` (the cross-instance notifier, on PostgreSQL) of each
committed batch, in the store thread.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import ParamSpec, TypeVar
from uuid import UUID

from palabre.domain.application import DocumentInfo, MemberInfo, PalabreApplication
from palabre.domain.contribution import NewContribution
from palabre.domain.errors import PalabreError, PositionConflict
from palabre.domain.ids import DocumentId
from palabre.server.crdt import replica
from palabre.server.crdt.check import check_update
from palabre.server.crdt.replica import InvalidUpdate
from palabre.server.metrics import Metrics

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class PendingRun:
    """Consecutive updates from one connection, not yet stored."""

    member_id: UUID
    session_id: str
    updates: list[bytes]


@dataclass(frozen=True)
class StoredState:
    """What a room starts from: a checkpoint (maybe none) and the contributions after it."""

    position: int
    checkpoint: bytes | None
    tail: list[bytes]
    authors: list[UUID]  # the member of each contribution of the tail

    def updates(self) -> list[bytes]:
        return ([self.checkpoint] if self.checkpoint is not None else []) + self.tail


CheckpointListener = Callable[[DocumentId], None]
AppendListener = Callable[[DocumentId, int], None]


class Store:
    """``on_checkpoint`` is told of each checkpoint stored, and ``on_appended`` of each batch
    of contributions committed (document, new position), in a store thread, after the
    commit; neither may block (the history index schedules its catch-up there, the
    cross-instance notifier sends its wake-up)."""

    def __init__(
        self,
        application: PalabreApplication,
        threads: int,
        on_checkpoint: CheckpointListener | None = None,
        metrics: Metrics | None = None,
        on_appended: AppendListener | None = None,
    ) -> None:
        self.application = application
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="store")
        self._on_checkpoint = on_checkpoint
        self._metrics = metrics or Metrics()
        self._on_appended = on_appended

    async def call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn`` in the pool, carrying the caller's context (the acting member)."""
        context = contextvars.copy_context()
        bound = functools.partial(context.run, fn, *args, **kwargs)
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, bound)
        except PalabreError:
            raise
        except Exception:
            self._metrics.store_errors.inc()
            raise

    def close(self) -> None:
        """Stop the pool once the calls in progress are done (the application has its own
        owner, the composition root)."""
        self._executor.shutdown(wait=True)

    # Reads -----------------------------------------------------------------------------------

    async def authenticate(self, token: str) -> MemberInfo:
        return await self.call(self.application.authenticate, token)

    async def document(self, document_id: UUID) -> DocumentInfo:
        return await self.call(self.application.document, document_id)

    async def load(self, document_id: DocumentId, upto: int | None = None) -> StoredState:
        return await self.call(self._load, document_id, upto)

    def _load(self, document_id: DocumentId, upto: int | None) -> StoredState:
        app = self.application
        checkpoint = app.latest_checkpoint(document_id, upto)
        after = 0 if checkpoint is None else checkpoint.originator_version
        contributions = list(app.contributions(document_id, after=after, upto=upto))
        return StoredState(
            position=after + len(contributions),
            checkpoint=None if checkpoint is None else checkpoint.state,
            tail=[c.update for c in contributions],
            authors=[c.member_id for c in contributions],
        )

    async def tail(self, document_id: DocumentId, after: int) -> list[tuple[int, bytes]]:
        def read() -> list[tuple[int, bytes]]:
            return [
                (c.originator_version, c.update)
                for c in self.application.contributions(document_id, after=after)
            ]

        return await self.call(read)

    async def client_authors(
        self, document_id: DocumentId, clients: set[int], before: int, window: int
    ) -> dict[int, UUID]:
        """Who first wrote under each of ``clients`` among the ``window`` contributions up to
        position ``before`` (a bounded look back: the room's owner map after a restart)."""

        def read() -> dict[int, UUID]:
            found: dict[int, UUID] = {}
            start = max(0, before - window)
            for contribution in self.application.contributions(document_id, start, before):
                try:
                    written = check_update(contribution.update).clients
                except InvalidUpdate:
                    continue  # stored before the check existed: owns nothing
                for client in written & clients:
                    found.setdefault(client, contribution.member_id)
                if len(found) == len(clients):
                    break
            return found

        return await self.call(read)

    # Writes ----------------------------------------------------------------------------------

    async def append(
        self, document_id: DocumentId, expected: int, runs: Sequence[PendingRun]
    ) -> int:
        """Store each run as one contribution (its updates merged, in the worker), atomically
        after position ``expected``. Raises PositionConflict if another writer got there first."""

        def write() -> int:
            batch = [
                NewContribution(
                    run.member_id, run.session_id, replica.merge(run.updates), len(run.updates)
                )
                for run in runs
            ]
            try:
                with self._metrics.timed_flush():
                    position = self.application.append_contributions(document_id, expected, batch)
            except PositionConflict:
                self._metrics.position_conflicts.inc()
                raise
            self._metrics.stored(len(batch), sum(item.updates for item in batch))
            if self._on_appended is not None:
                self._on_appended(document_id, position)
            return position

        return await self.call(write)

    async def checkpoint(self, document_id: DocumentId, minimum_tail: int) -> int | None:
        """Store a checkpoint at the current end of the log if at least ``minimum_tail``
        contributions follow the last one. Computed from stored events only, so it is a pure
        function of the log. Returns the checkpointed position, if one was written."""
        return await self.call(self._checkpoint, document_id, minimum_tail)

    def _checkpoint(self, document_id: DocumentId, minimum_tail: int) -> int | None:
        state = self._load(document_id, None)
        if len(state.tail) < minimum_tail or not state.tail:
            return None
        self.application.store_checkpoint(
            document_id, state.position, replica.compact(state.updates())
        )
        if self._on_checkpoint is not None:
            self._on_checkpoint(document_id)
        return state.position
