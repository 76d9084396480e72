"""The composition root: every dependency is built here, from settings, and nowhere else."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from palabre.domain.application import PalabreApplication
from palabre.server.http import Api
from palabre.server.live import LiveEndpoint
from palabre.server.rooms import Rooms
from palabre.server.settings import Settings
from palabre.server.storage import Database, open_application
from palabre.server.store import Store
from starlette.applications import Starlette
from starlette.routing import Route, WebSocketRoute

log = logging.getLogger("palabre")


def create_app(settings: Settings, application: PalabreApplication | None = None) -> Starlette:
    """Build the ASGI app. ``application`` defaults to the store named by the settings."""
    database = Database(settings.database)
    store = Store(application or open_application(database), settings.store_threads)
    rooms = Rooms(store, settings)
    api = Api(store, rooms, database.engine)
    live = LiveEndpoint(store, rooms, settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        log.info("palabre serving on %s", database.redacted)
        try:
            yield
        finally:
            await rooms.close()
            store.close()
            log.info("palabre stopped; every received update is stored")

    routes = [
        Route("/healthz", api.healthz),
        Route("/api/documents", api.endpoint(api.list_documents), methods=["GET"]),
        Route("/api/documents", api.endpoint(api.create_document), methods=["POST"]),
        Route("/api/documents/{document_id}", api.endpoint(api.get_document)),
        Route("/api/documents/{document_id}/text", api.endpoint(api.get_text)),
        WebSocketRoute("/ws/{document_id}", live.handle),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.rooms = rooms
    app.state.store = store
    return app
