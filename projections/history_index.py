"""The history index: authorship runs and editing sessions stored beside the engine checkpoints,
so that who-wrote-what at any point and the list of editing sessions are read from the nearest
stored state plus a short tail, not from a replay of the whole log on every request.

- Records are derived, never facts: each is a pure function of the contribution log. One set
  (``AuthorshipIndexed``, ``SessionsIndexed``, ``TextIndexed``, ``ChangesIndexed``) is stored
  per indexed position, in one transaction, in a view store of its own (not the event log,
  not the audit chain). The authorship record holds only authors and run lengths; the text
  record holds the text there; the changes record holds what each contribution since the
  previous record did to the text, as the engine computed it (``projections/text_deltas.py``).
  The engine checkpoint at the same position is written by the index itself when rooms have
  not.
- Reads at a position rebuild the attributed text from the text and authorship records at or
  before it plus the stored changes after it (or those the in-memory cursor holds since its
  last record): no engine work, milliseconds at 250,000 characters. Where those records are
  missing (an index written before they existed), the engine replays from the checkpoint.
- A background thread catches a document up after each checkpoint a room writes, and every
  document once at start-up. Reads that find the index far behind catch up first, under the
  same per-document lock, so the work is done once.
- On a crash, nothing is lost: the next catch-up resumes from the last stored pair. A record
  that does not fit its checkpoint (lengths that do not add up) is ignored and rebuilt.
- A stored contribution the index cannot model stops the index there, never skipped
  silently: the problem is kept with its position (:class:`UnreadableHistory`, logged once),
  later catch-ups return at once, authorship at or after that position and the session list
  raise it (the HTTP API answers 422 naming the position; positions before it still answer),
  and ``palabre verify`` reports it. The log is immutable, so a restart finds it again, once.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from uuid import UUID

from eventsourcing.domain import DomainEvent
from palabre.domain.application import PalabreApplication
from palabre.domain.contribution import Contributed
from palabre.domain.ids import DocumentId
from palabre.projections import text_deltas
from palabre.projections.authorship import Authorship
from palabre.projections.history import (
    PAUSE,
    Session,
    SessionTracker,
    session_from_record,
    session_record,
    started,
)
from palabre.projections.history_index_store import (
    AuthorshipIndexed,
    ChangesIndexed,
    HistoryIndexStore,
    SessionsIndexed,
    TextIndexed,
    index_log_id,
)
from palabre.projections.history_replay import DeltaReplica, Resume, UnreadableHistory, follow

log = logging.getLogger("palabre.history")
CURSORS = 8  # documents whose latest replayed state stays in memory


class HistoryIndex:
    def __init__(
        self,
        application: PalabreApplication,
        views: HistoryIndexStore,
        replica: Callable[[], DeltaReplica],
        every: int,
        pause: timedelta = PAUSE,
    ) -> None:
        """``every``: contributions between stored states; ``pause``: the silence that ends
        an editing session (stored sessions depend on it, so it is fixed per database);
        ``replica`` makes an engine replica that reports change deltas."""
        self._app = application
        self._replica = replica
        self._pause = pause
        self._views = views
        self._every = max(1, every)
        self._locks: dict[UUID, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._pending: set[UUID] = set()
        self._cursors: dict[UUID, Resume] = {}
        self._problems: dict[UUID, UnreadableHistory] = {}
        self._stopping = threading.Event()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="history-index")

    def close(self) -> None:
        """Stop a catch-up in progress at its next contribution (what it stored stays)."""
        self._stopping.set()
        self._worker.shutdown(wait=True, cancel_futures=True)
        self._views.close()

    # Background -------------------------------------------------------------------------------

    def schedule(self, document_id: UUID) -> None:
        """Catch ``document_id`` up in the background, unless that is already queued."""
        with self._locks_guard:
            if document_id in self._pending or self._stopping.is_set():
                return
            self._pending.add(document_id)
        with contextlib.suppress(RuntimeError):  # closed meanwhile
            self._worker.submit(self._background, document_id)

    def schedule_all(self) -> None:
        """Catch every document up, listing them in the background thread too: called from
        the event loop at start-up, which must not wait on the store."""
        with contextlib.suppress(RuntimeError):  # closed meanwhile
            self._worker.submit(self._schedule_each)

    def _schedule_each(self) -> None:
        for document in self._app.documents():
            self.schedule(document.id)

    def _background(self, document_id: UUID) -> None:
        with self._locks_guard:
            self._pending.discard(document_id)
        try:
            self.catch_up(DocumentId(document_id))
        except UnreadableHistory:
            pass  # logged once where it was found; reads answer it
        except Exception:  # the index is derived: a failure costs speed, never data
            log.exception("history index: catching up %s failed", document_id)

    # Reads ------------------------------------------------------------------------------------

    def authorship(self, document_id: DocumentId, upto: int) -> Authorship:
        """The attributed text after the first ``upto`` contributions: the document's cursor
        moved forward to ``upto`` when it is at or before it (storing records on the way),
        else the stored record at or before ``upto`` plus the tail."""
        self._refuse_beyond_problem(document_id, upto)
        with self._lock(document_id):
            cursor = self._cursor(document_id)
            if cursor.position <= upto:
                self._advance(document_id, cursor, upto)
                return Authorship.of_runs(cursor.text.byte_runs())
        found = self._from_changes(document_id, upto)
        if found is not None:
            return found
        resume = self._resume(document_id, upto)
        for _contribution, _edit in follow(self._app, document_id, resume, upto):
            pass
        return resume.text

    def text(self, document_id: DocumentId, position: int) -> str | None:
        """The text after the first ``position`` contributions, from the stored text and
        changes, without the engine; None where the index does not reach (yet)."""
        with self._lock(document_id):
            cursor = self._cursors.get(document_id)
            if cursor is not None and cursor.position == position:
                return cursor.text.text
        found = self._from_changes(document_id, position)
        return None if found is None else found.text

    def _from_changes(self, document_id: DocumentId, upto: int) -> Authorship | None:
        """The text record at or before ``upto`` with its authorship, plus the changes after
        it: stored, or held by the cursor since its last record. None if one is missing."""
        text = self._views.latest_text(document_id, upto)
        snapshot = text_deltas.Snapshot(0, b"", [], [])  # position 0: the empty text
        if text is not None:
            record = self._views.authorship_at(document_id, text.originator_version)
            if record is None:
                return None
            snapshot = text_deltas.Snapshot(
                text.originator_version, text.utf8, record.authors, record.runs
            )
        start = snapshot.position
        changes = self._changes(document_id, start, upto)
        if changes is None:
            return None
        try:
            return text_deltas.replay(snapshot, changes)
        except ValueError as error:
            log.warning("history index: records at %s unusable: %s", start, error)
            return None

    def _changes(
        self, document_id: DocumentId, start: int, upto: int
    ) -> list[tuple[str, text_deltas.Change]] | None:
        if upto == start:
            return []
        stored = self._views.changes_after(document_id, start)
        if stored is not None and stored.first == start and stored.originator_version >= upto:
            return [
                (stored.authors[stored.by[k]], text_deltas.unpack(stored.changes[k]))
                for k in range(upto - start)
            ]
        with self._lock(document_id):
            cursor = self._cursors.get(document_id)
            if cursor is None or cursor.written != start or cursor.position < upto:
                return None
            if len(cursor.changes) != cursor.position - start:
                return None
            return cursor.changes[: upto - start]

    def problem(self, document_id: UUID) -> UnreadableHistory | None:
        """The contribution the index stopped at, if it met one it cannot model."""
        return self._problems.get(document_id)

    def _refuse_beyond_problem(self, document_id: UUID, upto: int | None) -> None:
        problem = self._problems.get(document_id)
        if problem is not None and (upto is None or problem.position <= upto):
            raise problem

    def sessions(self, document_id: DocumentId) -> list[Session]:
        """Every editing session of the document, in the order they started."""
        self._refuse_beyond_problem(document_id, None)
        with self._lock(document_id):
            cursor = self._cursor(document_id)
            self._advance(document_id, cursor, self._app.contribution_count(document_id))
            unstored = [*cursor.tracker.closed, *cursor.tracker.open.values()]
            written = cursor.written
        closed = [
            session_from_record(record)
            for stored in self._views.sessions_records(document_id, written)
            for record in stored.closed
        ]
        return sorted([*closed, *unstored], key=started)

    def indexed_position(self, document_id: DocumentId) -> int:
        latest = self._views.latest_authorship(document_id, None)
        return 0 if latest is None else latest.originator_version

    # Writing ----------------------------------------------------------------------------------

    def catch_up(self, document_id: DocumentId) -> int:
        """Index the log up to its current end; returns the last indexed position. The lock
        is taken a stretch at a time, so reads get in between."""
        count = self._app.contribution_count(document_id)
        while not self._stopping.is_set():
            problem = self._problems.get(document_id)
            if problem is not None:
                return problem.position - 1
            with self._lock(document_id):
                cursor = self._cursor(document_id)
                if cursor.position >= count:
                    return cursor.written
                stretch = min(count, cursor.position + self._every)
                self._advance(document_id, cursor, stretch, stoppable=True)
        return self.indexed_position(document_id)

    def _cursor(self, document_id: DocumentId) -> Resume:
        """The document's most advanced state in memory (the caller holds its lock); loaded
        from the latest record the first time. A few documents are kept."""
        cursor = self._cursors.pop(document_id, None)
        if cursor is None:
            cursor = self._resume(document_id, None)
        self._cursors[document_id] = cursor  # most recently used last
        while len(self._cursors) > CURSORS:
            del self._cursors[next(iter(self._cursors))]
        return cursor

    def _advance(
        self, document_id: DocumentId, cursor: Resume, upto: int, stoppable: bool = False
    ) -> None:
        """Replay ``(cursor.position, upto]`` into the cursor, storing a record at each
        checkpoint at least half a stretch after the last record, and one with its own
        checkpoint when rooms wrote none for two stretches. A ``stoppable`` replay (the
        background's) ends early once the index is closing, the cursor where it got to."""
        if cursor.following <= cursor.position < upto:
            cursor.following = self._next_checkpoint(document_id, cursor.position)
        try:
            self._replay_into(document_id, cursor, upto, stoppable)
        except UnreadableHistory as problem:
            self._cursors.pop(document_id, None)  # half applied: never reused
            if document_id not in self._problems:
                self._problems[document_id] = problem
                log.error("history index: %s; reads from there on answer an error", problem)
            raise

    def _replay_into(
        self, document_id: DocumentId, cursor: Resume, upto: int, stoppable: bool
    ) -> None:
        for contribution, edit in follow(self._app, document_id, cursor, upto):
            cursor.tracker.add(edit)
            position = contribution.originator_version
            at_checkpoint = cursor.following == position
            if at_checkpoint or position - cursor.written >= 2 * self._every:
                if position - cursor.written >= self._every // 2:
                    self._store(document_id, contribution, cursor, at_checkpoint)
                    cursor.written = position
                if at_checkpoint:
                    cursor.following = self._next_checkpoint(document_id, position)
            if stoppable and self._stopping.is_set():
                return

    def _next_checkpoint(self, document_id: DocumentId, after: int) -> int:
        """The position of the first checkpoint after ``after``; 0 if there is none yet."""
        found = self._app.next_checkpoint(document_id, after)
        return 0 if found is None else found.originator_version

    def _store(
        self,
        document_id: DocumentId,
        contribution: Contributed,
        resume: Resume,
        has_checkpoint: bool,
    ) -> None:
        position = contribution.originator_version
        if not has_checkpoint:
            self._app.store_checkpoint(document_id, position, resume.replay.state())
        authors: dict[str, int] = {}
        runs: list[int] = []
        for data, author in resume.text.byte_runs():
            runs += [authors.setdefault(author, len(authors)), len(data)]
        tracker = resume.tracker
        more: list[DomainEvent] = []
        if len(resume.changes) == position - resume.written:
            more = [
                TextIndexed(
                    originator_id=index_log_id(document_id, "text"),
                    originator_version=position,
                    timestamp=contribution.timestamp,
                    document_id=document_id,
                    utf8=resume.text.utf8,
                ),
                _changes_record(document_id, contribution, resume.changes),
            ]
        resume.changes = []
        self._views.record(
            AuthorshipIndexed(
                originator_id=index_log_id(document_id, "authorship"),
                originator_version=position,
                timestamp=contribution.timestamp,
                document_id=document_id,
                authors=list(authors),
                runs=runs,
            ),
            SessionsIndexed(
                originator_id=index_log_id(document_id, "sessions"),
                originator_version=position,
                timestamp=contribution.timestamp,
                document_id=document_id,
                closed=[session_record(s) for s in tracker.take_closed()],
                open=[session_record(s) for s in tracker.open_sessions()],
            ),
            *more,
        )

    # Resuming ---------------------------------------------------------------------------------

    def _resume(self, document_id: DocumentId, upto: int | None) -> Resume:
        """The latest usable stored state at or before ``upto``, else the empty document."""
        record = self._views.latest_authorship(document_id, upto)
        while record is not None:
            resumed = self._load(document_id, record)
            if resumed is not None:
                return resumed
            record = self._views.authorship_before(document_id, record.originator_version)
        return Resume(0, self._replica(), Authorship(), SessionTracker(pause=self._pause))

    def _load(self, document_id: DocumentId, record: AuthorshipIndexed) -> Resume | None:
        position = record.originator_version
        checkpoint = self._app.latest_checkpoint(document_id, position)
        sessions = self._views.sessions_at(document_id, position)
        if checkpoint is None or checkpoint.originator_version != position:
            log.warning("history index: no checkpoint at %s for %s", position, document_id)
            return None
        if sessions is None:
            return None
        replay = self._replica()
        replay.apply(checkpoint.state)
        utf8 = replay.text.encode("utf-8")
        lengths = record.runs[1::2]
        if sum(lengths) != len(utf8) or len(record.runs) % 2:
            log.warning("history index: record at %s does not fit its checkpoint", position)
            return None
        runs, at = [], 0
        for author, length in zip(record.runs[0::2], lengths, strict=True):
            runs.append((utf8[at : at + length], record.authors[author]))
            at += length
        tracker = SessionTracker((session_from_record(s) for s in sessions.open), self._pause)
        return Resume(position, replay, Authorship.of_runs(runs), tracker, written=position)

    def _lock(self, document_id: UUID) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(document_id, threading.Lock())


def _changes_record(
    document_id: DocumentId,
    contribution: Contributed,
    changes: list[tuple[str, text_deltas.Change]],
) -> ChangesIndexed:
    authors: dict[str, int] = {}
    return ChangesIndexed(
        originator_id=index_log_id(document_id, "changes"),
        originator_version=contribution.originator_version,
        timestamp=contribution.timestamp,
        document_id=document_id,
        by=[authors.setdefault(author, len(authors)) for author, _ in changes],
        authors=list(authors),
        changes=[text_deltas.pack(change) for _, change in changes],
    )
