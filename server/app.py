"""The ASGI app: the routes of every HTTP resource and the live websocket, bound to the
services the composition root opened (``bootstrap.py``). The app owns none of them; its
lifespan runs their background work (``Services.running``)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from palabre.server.bootstrap import Services
from palabre.server.http.amendments import AmendmentsApi
from palabre.server.http.audit import AuditApi
from palabre.server.http.changes import ChangesApi
from palabre.server.http.comments import CommentsApi
from palabre.server.http.documents import DocumentsApi
from palabre.server.http.events import EventsEndpoint
from palabre.server.http.export import ExportApi
from palabre.server.http.headers import SecurityHeaders
from palabre.server.http.history import HistoryApi
from palabre.server.http.idempotency import Idempotent
from palabre.server.http.interviews import InterviewsApi
from palabre.server.http.invitations import InvitationsApi
from palabre.server.http.meetings import MeetingsApi
from palabre.server.http.members import MembersApi
from palabre.server.http.openapi import openapi_json
from palabre.server.http.operations import OperationsApi
from palabre.server.http.plumbing import Authenticated
from palabre.server.http.suggestions import SuggestionsApi
from palabre.server.http.versions import VersionsApi
from palabre.server.http.web import web_routes
from palabre.server.live.endpoint import LiveEndpoint
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Route, WebSocketRoute

log = logging.getLogger("palabre")


def create_app(services: Services) -> Starlette:
    endpoint = Authenticated(services.store, services.failures)
    store, texts = services.store, services.texts
    idempotent = Idempotent(store, services.answered)
    events = EventsEndpoint(store, services.hub)
    live = LiveEndpoint(
        store, services.rooms, services.settings, services.failures, services.metrics
    )
    operations = OperationsApi(
        store,
        services.rooms,
        services.projections,
        services.metrics,
        services.settings.ready_max_lag,
        services.draining,
    )
    routes: list[BaseRoute] = [
        Route("/openapi.json", openapi_json, methods=["GET"]),
        # For operators: readiness (for a proxy) and Prometheus metrics.
        *operations.routes(),
        *DocumentsApi(store, texts, services.rooms, services.database.engine).routes(endpoint),
        # The committee: organisations, members and voting rights; rule, meetings, votes.
        *MembersApi(store).routes(endpoint),
        *MeetingsApi(store, texts, services.audit, idempotent).routes(endpoint),
        Route(
            "/api/documents/{document_id}/events",
            endpoint(events.stream, query_token=True),
            methods=["GET"],
        ),
        # Approved versions, rebuilt from the events and checked against their pinned hash.
        *VersionsApi(store, services.versions).routes(endpoint),
        # What changed between two versions, as a note for readers.
        *ChangesApi(store, services.changes).routes(endpoint),
        # The audit trail: the document's events with their hash-chain links.
        *AuditApi(store, services.audit).routes(endpoint),
        # Comments anchored to passages.
        *CommentsApi(store, texts, idempotent).routes(endpoint),
        # Suggestions: proposed replacements, decided by authors, coordinators or the committee.
        *SuggestionsApi(store, services.suggestions, idempotent).routes(endpoint),
        *AmendmentsApi(store, services.suggestions, idempotent).routes(endpoint),
        # Interviews as sources: passages linked to them, coverage and balance by section.
        *InterviewsApi(store, texts).routes(endpoint),
        # History: the text at any point, diffs between points, authorship, editing sessions.
        *HistoryApi(store, texts, services.history).routes(endpoint),
        # Snapshot exports: the text now, at a version or a position, in six formats.
        *ExportApi(store, services.sources).routes(endpoint),
        # Invitation links, and the browser client that opens them.
        *InvitationsApi(store, services.settings.public_url).routes(endpoint),
        *web_routes(),
        WebSocketRoute("/ws/{document_id}", live.handle),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        log.info("palabre serving on %s", services.database.redacted)
        async with services.running():
            yield
        log.info("palabre stopped; every received update is stored")

    app = Starlette(routes=routes, lifespan=lifespan, middleware=[Middleware(SecurityHeaders)])
    app.state.services = services
    return app
