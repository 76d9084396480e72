"""The composition root: every dependency is built here, from settings, and nowhere else."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from palabre.domain.application import PalabreApplication
from palabre.server.audit_http import audit_routes, open_audit
from palabre.server.comments_http import comment_routes
from palabre.server.committee_http import CommitteeApi
from palabre.server.events import EventHub, EventsEndpoint
from palabre.server.export.fonts import Fonts
from palabre.server.export.snapshot import Sources
from palabre.server.export_http import export_routes
from palabre.server.history_http import history_routes
from palabre.server.history_index import open_history_index
from palabre.server.http import Api
from palabre.server.invitations_http import invitation_routes
from palabre.server.live import LiveEndpoint
from palabre.server.openapi import openapi_json
from palabre.server.rooms import Rooms
from palabre.server.settings import Settings
from palabre.server.storage import Database, open_application
from palabre.server.store import Store
from palabre.server.versions import open_versions, version_routes
from palabre.server.web import web_routes
from starlette.applications import Starlette
from starlette.routing import Route, WebSocketRoute

log = logging.getLogger("palabre")


def create_app(settings: Settings, application: PalabreApplication | None = None) -> Starlette:
    """Build the ASGI app. ``application`` defaults to the store named by the settings."""
    database = Database(settings.database)
    store = Store(application or open_application(database), settings.store_threads)
    rooms = Rooms(store, settings)
    api = Api(store, rooms, database.engine)
    hub = EventHub()
    committee = CommitteeApi(store, rooms, hub)
    events = EventsEndpoint(store, hub)
    live = LiveEndpoint(store, rooms, settings)
    versions = open_versions(database, store.application)
    audit = open_audit(database, store.application)
    history = open_history_index(database, store.application, settings.checkpoint_every)
    fonts = Fonts.from_setting(settings.export_fonts)  # checked when a PDF is made
    store.checkpointed.append(history.schedule)
    store.application.chain_head = audit.head  # decisions record the stored chain's head

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        log.info("palabre serving on %s", database.redacted)
        history.schedule_all()  # index what arrived while no server ran
        try:
            yield
        finally:
            hub.close()
            await rooms.close()
            store.close()
            versions.close()
            audit.close()
            history.close()
            log.info("palabre stopped; every received update is stored")

    endpoint = api.endpoint  # authenticates, sets the acting member, translates errors
    document = "/api/documents/{document_id}"
    organisations = document + "/organisations"
    member = document + "/members/{member_id}"
    meeting = document + "/meetings/{meeting_id}"
    proposal = document + "/proposals/{proposal_id}"
    routes = [
        Route("/healthz", api.healthz, methods=["GET"]),
        Route("/openapi.json", openapi_json, methods=["GET"]),
        Route("/api/documents", endpoint(api.list_documents), methods=["GET"]),
        Route("/api/documents", endpoint(api.create_document), methods=["POST"]),
        Route(document, endpoint(api.get_document), methods=["GET"]),
        Route(document + "/text", endpoint(api.get_text), methods=["GET"]),
        # The committee: organisations, members, voting rights, rule.
        Route("/api/organisations", endpoint(committee.list_organisations), methods=["GET"]),
        Route("/api/organisations", endpoint(committee.create_organisation), methods=["POST"]),
        Route(organisations, endpoint(committee.document_organisations), methods=["GET"]),
        Route(
            organisations + "/{organisation_id}",
            endpoint(committee.set_organisation_voting),
            methods=["PUT"],
        ),
        Route(document + "/members", endpoint(committee.list_members), methods=["GET"]),
        Route(document + "/members", endpoint(committee.add_member), methods=["POST"]),
        Route(member, endpoint(committee.change_member), methods=["PATCH"]),
        Route(member, endpoint(committee.remove_member), methods=["DELETE"]),
        Route(document + "/rule", endpoint(committee.get_rule), methods=["GET"]),
        Route(document + "/rule", endpoint(committee.set_rule), methods=["PUT"]),
        # Meetings, proposals, votes, decisions, and their live channel.
        Route(document + "/meetings", endpoint(committee.list_meetings), methods=["GET"]),
        Route(document + "/meetings", endpoint(committee.open_meeting), methods=["POST"]),
        Route(meeting, endpoint(committee.get_meeting), methods=["GET"]),
        Route(meeting + "/attendance", endpoint(committee.record_attendance), methods=["PUT"]),
        Route(meeting + "/close", endpoint(committee.close_meeting), methods=["POST"]),
        Route(meeting + "/minutes", endpoint(committee.get_minutes), methods=["GET"]),
        Route(document + "/proposals", endpoint(committee.list_proposals), methods=["GET"]),
        Route(document + "/proposals", endpoint(committee.propose), methods=["POST"]),
        Route(proposal, endpoint(committee.get_proposal), methods=["GET"]),
        Route(proposal + "/votes", endpoint(committee.vote), methods=["POST"]),
        Route(proposal + "/close", endpoint(committee.close_proposal), methods=["POST"]),
        Route(document + "/events", endpoint(events.stream, query_token=True), methods=["GET"]),
        # Approved versions, rebuilt from the events and checked against their pinned hash.
        *version_routes(api, store, versions),
        # The audit trail: the document's events with their hash-chain links.
        *audit_routes(api, store, audit),
        # Comments anchored to passages; changes pushed on the same live channel.
        *comment_routes(api, store, rooms, hub),
        # History: the text at any point, diffs between points, authorship, editing sessions.
        *history_routes(api, store, history),
        # Snapshot exports: the text now, at a version or a position, in six formats.
        *export_routes(api, store, Sources(store, versions, audit, history, rooms, fonts)),
        # Invitation links, and the browser client that opens them.
        *invitation_routes(api, store, settings),
        *web_routes(),
        WebSocketRoute("/ws/{document_id}", live.handle),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.rooms = rooms
    app.state.store = store
    app.state.events = hub
    app.state.versions = versions
    app.state.audit = audit
    return app
