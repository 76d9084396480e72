"""What an operator's tools ask of a running instance: ``GET /readyz`` (should a proxy send
it clients?) and ``GET /metrics`` (Prometheus). ``/healthz`` (is the process alive and its
store reachable?) stays with the documents.

``/readyz`` answers 503 while the store does not answer, while the pulled projections trail
the log's end by more than ``PALABRE_READY_MAX_LAG`` notifications, and once the process has
begun shutting down (so a proxy's health check moves new clients elsewhere). Neither needs a
token; neither tells anything about documents or members (counts only).
"""

from __future__ import annotations

import threading

from palabre.domain.shapes import Json
from palabre.server.http.plumbing import JSONResponse
from palabre.server.http.schema import INTEGER, Op, content, enum, json_answer, obj, paths_of
from palabre.server.live.rooms import Rooms
from palabre.server.metrics import CONTENT_TYPE, Figures, Metrics
from palabre.server.storage.projections import ProjectionsFollower
from palabre.server.storage.store import Store
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


class OperationsApi:
    def __init__(
        self,
        store: Store,
        rooms: Rooms,
        projections: ProjectionsFollower,
        metrics: Metrics,
        max_lag: int,
        draining: threading.Event,
    ) -> None:
        self._store = store
        self._rooms = rooms
        self._projections = projections
        self._metrics = metrics
        self._max_lag = max_lag
        self._draining = draining

    def routes(self) -> list[Route]:
        return [
            Route("/readyz", self.readyz, methods=["GET"]),
            Route("/metrics", self.metrics, methods=["GET"]),
        ]

    async def readyz(self, request: Request) -> Response:
        if self._draining.is_set():
            return _unavailable("shutting down")
        try:
            position, lag = await self._store.call(self._position_and_lag)
        except Exception as error:
            return _unavailable(f"the store does not answer: {type(error).__name__}")
        if max(lag.values(), default=0) > self._max_lag:
            return _unavailable(f"projections behind the log: {lag}")
        answer = {"status": "ready", "position": position, "lag": lag, "rooms": len(self._rooms)}
        return JSONResponse(answer)

    def _position_and_lag(self) -> tuple[int, dict[str, int]]:
        position = self._store.application.recorder.max_notification_id() or 0
        return position, self._projections.lag()

    async def metrics(self, request: Request) -> Response:
        rooms = self._rooms
        connections, loaded, pending = rooms.connection_count, len(rooms), rooms.pending_updates
        try:
            lag = await self._store.call(self._projections.lag)
        except Exception:
            lag = {}  # the store is down: palabre_store_errors says so

        text = self._metrics.render(Figures(connections, loaded, pending, lag))
        return Response(text, media_type=CONTENT_TYPE)


def _unavailable(reason: str) -> Response:
    return JSONResponse({"status": "unavailable", "error": reason}, 503)


READY = obj(
    {
        "status": enum("ready"),
        "position": INTEGER,
        "lag": obj({"versions": INTEGER, "audit": INTEGER}),
        "rooms": INTEGER,
    }
)
OPERATIONS = (
    Op(
        "GET",
        "/readyz",
        "Ready for clients: store reachable, projections caught up, not shutting down (503)",
        json_answer(READY, "Ready"),
        public=True,
        also=(503,),
    ),
    Op(
        "GET",
        "/metrics",
        "Prometheus metrics, text exposition format",
        content("Prometheus text exposition format", CONTENT_TYPE),
        public=True,
    ),
)


def openapi_paths() -> Json:
    """This resource's path items, for ``openapi.py`` to merge."""
    return paths_of(OPERATIONS)
