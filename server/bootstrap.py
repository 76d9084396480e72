"""The composition root: every resource of a Palabre process is opened here, from the
settings, and nowhere else; the server, every command of the command line and the tests use
it alike.

:func:`open_services` opens the event store, the stored views (approved versions, audit chain,
history index), the store's thread pool, the update check's worker processes, the live rooms
registry, the document-text service, what change notes and exports are gathered from, and the
live channel, in one exit stack (the seam for accepted amendments, ``answers/changes.py``, is
filled here once suggestions exist): leaving it closes them in reverse order, whatever
happened. Nothing is opened at import time, and nothing is wired by mutating an object after
its construction: a dependency that is only known later (the relay to wake after a save, the
index to catch up after a checkpoint) is passed as a callable at construction.

:meth:`Services.running` is the background work of a serving process, for the app's
lifespan: the history index catches every document up, the relay follows the log; at the end
the event streams end and every room stores what it holds before its connections close.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

from palabre.domain.application import PalabreApplication
from palabre.projections.approved_versions import ApprovedVersions
from palabre.projections.audit_chain import AuditChain
from palabre.projections.history_index import HistoryIndex
from palabre.server.answers.changes import Changes
from palabre.server.answers.history import HistoryReports
from palabre.server.channel.hub import EventHub
from palabre.server.channel.relay import Relay, Wakeup
from palabre.server.export.fonts import Fonts
from palabre.server.export.snapshot import Sources
from palabre.server.failures import AuthFailures
from palabre.server.live.checker import PooledChecker
from palabre.server.live.rooms import Rooms
from palabre.server.settings import Settings
from palabre.server.storage.database import Database, open_application
from palabre.server.storage.store import Store
from palabre.server.storage.views import open_audit, open_history_index, open_versions
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
    rooms: Rooms
    checker: PooledChecker
    failures: AuthFailures
    texts: DocumentTexts
    changes: Changes
    sources: Sources
    hub: EventHub
    relay: Relay

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        self.history.schedule_all()  # index what arrived while no server ran
        relay = await self.relay.start()
        try:
            yield
        finally:
            relay.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await relay
            self.hub.close()
            await self.rooms.close()


@contextlib.contextmanager
def open_services(settings: Settings) -> Iterator[Services]:
    with contextlib.ExitStack() as stack:
        database = Database(settings.database)
        wakeup = Wakeup()
        application = open_application(database, on_saved=wakeup.saved)
        stack.callback(application.close)
        history = open_history_index(database, application, settings.checkpoint_every)
        stack.callback(history.close)
        versions = open_versions(database, application)
        stack.callback(versions.close)
        audit = open_audit(database, application)
        stack.callback(audit.close)
        store = Store(application, settings.store_threads, on_checkpoint=history.schedule)
        stack.callback(store.close)
        checker = PooledChecker(settings)
        stack.callback(checker.close)
        rooms = Rooms(store, settings, checker)
        texts = DocumentTexts(store, rooms)
        fonts = Fonts.from_setting(settings.export_fonts)  # checked when a PDF is made
        changes = Changes(store, texts, versions, HistoryReports(application, history))
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
            rooms=rooms,
            checker=checker,
            failures=AuthFailures(settings.auth_failures_per_minute),
            texts=texts,
            changes=changes,
            sources=sources,
            hub=hub,
            relay=Relay(store, texts, hub, rooms, wakeup),
        )
