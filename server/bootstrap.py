"""The composition root: every resource of a Palabre process is opened here, from the
settings, and nowhere else; the server, every command of the command line and the tests use
it alike.

:func:`open_services` opens the event store, the stored views (approved versions, audit chain,
history index), the answers kept for idempotent requests, the store's thread pool, the update
check's worker processes, the live rooms registry, the document-text service, the suggestion
desk, what change notes and exports are gathered from, and the live channel, in one exit stack
(the seam for accepted amendments, ``answers/changes.py``, is filled with the committee's
accepted suggestions): leaving it closes them in reverse order, whatever happened. Nothing is
opened at import time, and nothing is wired by mutating an object after its construction: a
dependency that is only known later (the relay to wake after a save, the index to catch up
after a checkpoint) is passed as a callable at construction.

:meth:`Services.running` is the background work of a serving process, for the app's
lifespan: the history index catches every document up, the relay follows the log, the pulled
projections are kept near its end; at the end the event streams end and every room stores
what it holds before its connections close. The process's :class:`Metrics` is made here and
handed to what counts.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass

from palabre.domain.application import PalabreApplication
from palabre.projections.approved_versions import ApprovedVersions
from palabre.projections.audit_chain import AuditChain
from palabre.projections.history_index import HistoryIndex
from palabre.server.answers.changes import Changes
from palabre.server.answers.history import HistoryReports
from palabre.server.answers.suggestions import CommitteeAmendments
from palabre.server.channel.hub import EventHub
from palabre.server.channel.relay import Relay, Wakeup
from palabre.server.cluster.listener import Listener
from palabre.server.cluster.outbox import Outbox
from palabre.server.export.fonts import Fonts
from palabre.server.export.snapshot import Sources
from palabre.server.failures import AuthFailures
from palabre.server.live.checker import PooledChecker
from palabre.server.live.rooms import Rooms
from palabre.server.metrics import Metrics
from palabre.server.settings import Settings
from palabre.server.storage.answered import AnsweredRequests, open_answered
from palabre.server.storage.database import Database, open_application
from palabre.server.storage.projections import ProjectionsFollower
from palabre.server.storage.store import Store
from palabre.server.storage.views import open_audit, open_history_index, open_versions
from palabre.server.suggestions import SuggestionDesk
from palabre.server.texts import DocumentTexts


@dataclass(frozen=True)
class Services:
    settings: Settings
    database: Database
    application: PalabreApplication
    store: Store
    versions: ApprovedVersions
    audit: AuditChain
    history: HistoryIndex
    answered: AnsweredRequests
    rooms: Rooms
    checker: PooledChecker
    failures: AuthFailures
    texts: DocumentTexts
    suggestions: SuggestionDesk
    changes: Changes
    sources: Sources
    hub: EventHub
    relay: Relay
    metrics: Metrics
    projections: ProjectionsFollower
    draining: threading.Event  # set when shutdown begins: /readyz answers 503
    cluster: Cluster | None  # PostgreSQL: the other instances on the same database

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        self.history.schedule_all()  # index what arrived while no server ran
        loop = asyncio.get_running_loop()
        tasks = [await self.relay.start(), loop.create_task(self.projections.run())]
        if self.cluster is not None:
            tasks += [loop.create_task(self.cluster.outbox.run())]
            tasks += [loop.create_task(self.cluster.listener.run())]
        try:
            yield
        finally:
            self.draining.set()
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            self.hub.close()
            await self.rooms.close()


@dataclass(frozen=True)
class Cluster:
    """What crosses instances: the notifications this one sends and the ones it hears."""

    outbox: Outbox
    listener: Listener


@contextlib.contextmanager
def open_services(settings: Settings) -> Iterator[Services]:
    with contextlib.ExitStack() as stack:
        database = Database(settings.database)
        wakeup = Wakeup()
        instance = uuid.uuid4().hex
        outbox = Outbox(database.url, instance) if database.engine.startswith("postgres") else None

        def saved(topics: Sequence[str]) -> None:
            wakeup.saved(topics)
            if outbox is not None:
                outbox.saved(topics)

        application = open_application(database, on_saved=saved)
        stack.callback(application.close)
        history = open_history_index(database, application, settings.checkpoint_every)
        stack.callback(history.close)
        versions = open_versions(database, application)
        stack.callback(versions.close)
        audit = open_audit(database, application)
        stack.callback(audit.close)
        answered = open_answered(database)
        stack.callback(answered.close)
        metrics = Metrics()
        store = Store(
            application,
            settings.store_threads,
            on_checkpoint=history.schedule,
            metrics=metrics,
            on_appended=None if outbox is None else outbox.appended,
        )
        stack.callback(store.close)
        checker = PooledChecker(settings)
        stack.callback(checker.close)
        rooms = Rooms(
            store, settings, checker, on_presence=None if outbox is None else outbox.presence
        )
        texts = DocumentTexts(store, rooms, history)
        suggestions = SuggestionDesk(store, rooms, texts, history)
        fonts = Fonts.from_setting(settings.export_fonts)  # checked when a PDF is made
        reports = HistoryReports(application, history)
        changes = Changes(store, texts, versions, reports, CommitteeAmendments(application))
        sources = Sources(store, texts, versions, audit, history, fonts, changes)
        hub = EventHub()
        yield Services(
            settings=settings,
            database=database,
            application=application,
            store=store,
            versions=versions,
            audit=audit,
            history=history,
            answered=answered,
            rooms=rooms,
            checker=checker,
            failures=AuthFailures(settings.auth_failures_per_minute),
            texts=texts,
            suggestions=suggestions,
            changes=changes,
            sources=sources,
            hub=hub,
            relay=Relay(store, texts, suggestions, hub, rooms, wakeup, settings.poll_ms / 1000),
            metrics=metrics,
            projections=ProjectionsFollower(store, versions, audit),
            draining=threading.Event(),
            cluster=None
            if outbox is None
            else Cluster(
                outbox,
                Listener(
                    database.url, instance, rooms, wakeup.wake, metrics, settings.poll_ms / 1000
                ),
            ),
        )
