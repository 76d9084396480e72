"""The history index: authorship runs and editing sessions stored beside the engine checkpoints,
so that who-wrote-what at any point and the list of editing sessions are read from the nearest
stored state plus a short tail, not from a replay of the whole log on every request.

- Records are derived, never facts: each is a pure function of the contribution log. One pair
  (``AuthorshipIndexed``, ``SessionsIndexed``) is stored per indexed position, in one
  transaction, in a view store of its own (not the event log, not the audit chain). The
  authorship record holds only authors and run lengths; the text comes from the engine
  checkpoint at the same position, which the index writes itself when rooms have not.
- A background thread catches a document up after each checkpoint a room writes, and every
  document once at start-up. Reads that find the index far behind catch up first, under the
  same per-document lock, so the work is done once.
- On a crash, nothing is lost: the next catch-up resumes from the last stored pair. A record
  that does not fit its checkpoint (lengths that do not add up) is ignored and rebuilt.
- A stored contribution the index cannot model (the engine refuses it, or its change reaches
  beyond the text) stops the index there, never skipped silently: the problem is kept with
  its position (:class:`UnreadableHistory`, logged once), later catch-ups return at once,
  authorship at or after that position and the session list raise it (the HTTP API answers
  422 naming the position; positions before it still answer), and ``palabre verify``
  reports it. The log is immutable, so a restart finds the same problem again, once.

Over 400 lines on purpose: reading, writing and resuming share one per-document lock and one
cursor cache, which would have to be exposed to split them.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import DomainEvent
from eventsourcing.persistence import IntegrityError
from palabre.domain.application import PalabreApplication
from palabre.domain.contribution import Contributed
from palabre.domain.errors import ErrorCode, PalabreError
from palabre.domain.ids import DocumentId
from palabre.domain.shapes import Json
from palabre.projections.authorship import Authorship, DeltaOp
from palabre.projections.headings import renamed
from palabre.projections.history import (
    PAUSE,
    Edit,
    Session,
    SessionTracker,
    session_from_record,
    session_record,
    started,
)
from palabre.projections.view_store import ViewStore

log = logging.getLogger("palabre.history")
CURSORS = 8  # documents whose latest replayed state stays in memory


class UnreadableHistory(PalabreError):
    """A stored contribution that the history index cannot model, at ``position``."""

    code = ErrorCode.HISTORY_UNREADABLE

    def __init__(self, document_id: UUID, position: int, reason: str) -> None:
        super().__init__(
            f"the history of document {document_id} cannot be read from contribution "
            f"{position} on: {reason}"
        )
        self.document_id = document_id
        self.position = position
        self.reason = reason


@dataclass(frozen=True)
class AuthorshipIndexed(DomainEvent):
    """Who wrote the text at position ``originator_version``: ``runs`` alternates an index
    into ``authors`` and a length in UTF-8 bytes, in text order."""

    document_id: UUID
    authors: list[str]
    runs: list[int]


@dataclass(frozen=True)
class SessionsIndexed(DomainEvent):
    """Sessions closed since the previous record, and those still open, at
    ``originator_version``."""

    document_id: UUID
    closed: list[Json]
    open: list[Json]


def index_log_id(document_id: UUID, kind: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"palabre:history-index:{kind}:{document_id}")


class HistoryIndexStore(ViewStore):
    def record(self, authorship: AuthorshipIndexed, sessions: SessionsIndexed) -> None:
        """Both records in one transaction; a pair another thread or process stored first is
        the same pair (same log, same position), so that is not an error."""
        with contextlib.suppress(IntegrityError):
            self.events.put([authorship, sessions])

    def latest_authorship(self, document_id: UUID, upto: int | None) -> AuthorshipIndexed | None:
        found = list(
            self.events.get(index_log_id(document_id, "authorship"), lte=upto, desc=True, limit=1)
        )
        return found[0] if found and isinstance(found[0], AuthorshipIndexed) else None

    def authorship_before(self, document_id: UUID, position: int) -> AuthorshipIndexed | None:
        return self.latest_authorship(document_id, position - 1) if position > 0 else None

    def sessions_at(self, document_id: UUID, position: int) -> SessionsIndexed | None:
        found = list(
            self.events.get(
                index_log_id(document_id, "sessions"), gt=position - 1, lte=position, limit=1
            )
        )
        return found[0] if found and isinstance(found[0], SessionsIndexed) else None

    def sessions_records(self, document_id: UUID, upto: int) -> Iterator[SessionsIndexed]:
        """Oldest first, in pages."""
        after = 0
        while True:
            page = list(
                self.events.get(
                    index_log_id(document_id, "sessions"), gt=after, lte=upto, limit=100
                )
            )
            for record in page:
                assert isinstance(record, SessionsIndexed)
                yield record
            if len(page) < 100:
                return
            after = page[-1].originator_version


class DeltaReplica(Protocol):
    """A CRDT replica fed stored updates in order, reporting what each changed in the text
    (``server/crdt/replay.py`` provides it: the projections never import the engine)."""

    def apply(self, update: bytes) -> list[list[DeltaOp]]:
        """The deltas of one update, one list per transaction; ValueError if the engine
        refuses it or it holds more than plain text."""

    @property
    def text(self) -> str: ...

    def state(self) -> bytes:
        """Everything applied so far as one update (what a checkpoint stores)."""


@dataclass
class Resume:
    """A replay in progress: the engine replica, the attributed text and open sessions;
    ``written`` is the position of the last record it stored or started from, ``following``
    that of the next checkpoint (0: none known)."""

    position: int
    replay: DeltaReplica
    text: Authorship
    tracker: SessionTracker
    written: int = 0
    following: int = 0


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
        resume = self._resume(document_id, upto)
        for _contribution, _edit in follow(self._app, document_id, resume, upto):
            pass
        return resume.text

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
                self._advance(document_id, cursor, min(count, cursor.position + self._every))
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

    def _advance(self, document_id: DocumentId, cursor: Resume, upto: int) -> None:
        """Replay ``(cursor.position, upto]`` into the cursor, storing a record at each
        checkpoint at least half a stretch after the last record, and one with its own
        checkpoint when rooms wrote none for two stretches."""
        if cursor.following <= cursor.position < upto:
            cursor.following = self._next_checkpoint(document_id, cursor.position)
        try:
            self._replay_into(document_id, cursor, upto)
        except UnreadableHistory as problem:
            self._cursors.pop(document_id, None)  # half applied: never reused
            if document_id not in self._problems:
                self._problems[document_id] = problem
                log.error("history index: %s; reads from there on answer an error", problem)
            raise

    def _replay_into(self, document_id: DocumentId, cursor: Resume, upto: int) -> None:
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


def follow(
    application: PalabreApplication, document_id: DocumentId, resume: Resume, upto: int
) -> Iterator[tuple[Contributed, Edit]]:
    """Apply the contributions in ``(resume.position, upto]`` to the replay and the attributed
    text, saying what each did: characters added and removed, and the sections it touched."""
    contributions = application.contributions(document_id, after=resume.position, upto=upto)
    for contribution in contributions:
        try:
            edit = edit_of(resume, contribution)
        except ValueError as error:  # the engine's refusal, or a delta beyond the text
            position = contribution.originator_version
            raise UnreadableHistory(document_id, position, str(error)[:200]) from None
        resume.position = contribution.originator_version
        yield contribution, edit


def edit_of(resume: Resume, contribution: Contributed) -> Edit:
    """Apply one contribution; the sections are read right after each delta, while its byte
    offsets still hold, and the headings compared when a delta touched a heading line."""
    author = str(contribution.member_id)
    added = removed = 0
    sections: list[str] = []
    renames: list[tuple[str, str]] = []
    for delta in resume.replay.apply(contribution.update):
        titles = resume.text.titles
        change = resume.text.apply(delta, author)
        added, removed = added + change.added, removed + change.removed
        sections += [resume.text.section_at(place) for place in change.places]
        if resume.text.titles is not titles:
            renames += renamed(titles, resume.text.titles)
    return Edit(
        position=contribution.originator_version,
        member=author,
        at=contribution.timestamp,
        added=added,
        removed=removed,
        sections=tuple(sections),
        renames=tuple(renames),
    )
