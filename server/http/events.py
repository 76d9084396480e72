"""``GET /api/documents/{document_id}/events``: a document's live channel as server-sent events.

What it carries: meetings opened and closed, attendance, proposals opened, votes cast (under a
secret ballot, who voted but not how), decisions, rule and membership changes, comments. The
events come from the stored events (``channel/relay.py``), so a change made from the command
line or on another instance is pushed too. A ``ready`` event opens every stream (the
subscription exists from then on) and an ``end`` event, when the server has time to send it,
says why a stream stops. A comment line is sent every ``keep_alive`` seconds so that proxies
and clients can tell a quiet channel from a dead one.
"""

from __future__ import annotations

from typing import Final
from uuid import UUID

import anyio
from palabre.domain.application import MemberInfo
from palabre.domain.ids import DocumentId, credential_id_for
from palabre.domain.member import hash_token
from palabre.domain.shapes import Json
from palabre.server.channel.hub import EventHub, Subscription, encode
from palabre.server.http.plumbing import readable_document, request_token
from palabre.server.http.schema import (
    QUERY_TOKEN_SECURITY,
    STRING,
    Op,
    content,
    paths_of,
    token_query,
)
from palabre.server.storage.store import Store
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

PATH = "/api/documents/{document_id}/events"
KEEP_ALIVE_SECONDS = 15.0
END_GRACE_SECONDS = 5.0  # how long an ended stream may take to say goodbye before it is cut
RETRY_MS = 3000  # EventSource's reconnection delay
KEEP_ALIVE: Final = b": keep-alive\n\n"


class EventStream(Response):
    """The streaming response of one subscription. Three things run side by side: the writer,
    a watch for the client leaving, and a watch that cuts an ended stream whose goodbye cannot
    be written (a stalled socket) after ``END_GRACE_SECONDS``."""

    media_type = "text/event-stream"

    def __init__(
        self,
        hub: EventHub,
        document_id: DocumentId,
        member_id: UUID,
        since: int,
        keep_alive: float,
        credential_id: UUID | None = None,
    ) -> None:
        # Like StreamingResponse: no body attribute, so no Content-Length header.
        self.status_code = 200
        self.background = None
        self.init_headers({"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        self._hub = hub
        self._document_id = document_id
        self._member_id = member_id
        self._credential_id = credential_id
        self._since = since
        self._keep_alive = keep_alive

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        subscribe = self._hub.subscribe(
            self._document_id, self._member_id, self._since, self._credential_id
        )
        with subscribe as subscription:
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(self._until_disconnect, receive, tasks.cancel_scope)
                tasks.start_soon(self._until_stalled_end, subscription, tasks.cancel_scope)
                await self._write(subscription, send)
                tasks.cancel_scope.cancel()

    async def _write(self, subscription: Subscription, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        ready = {"document_id": str(self._document_id), "keep_alive": self._keep_alive}
        await _body(send, f"retry: {RETRY_MS}\n".encode() + encode("ready", ready))
        while True:
            try:
                frame = await subscription.next(self._keep_alive)
            except EOFError:
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            await _body(send, KEEP_ALIVE if frame is None else frame)

    @staticmethod
    async def _until_disconnect(receive: Receive, scope: anyio.CancelScope) -> None:
        message: Message = {}
        while message.get("type") != "http.disconnect":
            message = await receive()
        scope.cancel()

    @staticmethod
    async def _until_stalled_end(subscription: Subscription, scope: anyio.CancelScope) -> None:
        await subscription.ended_event.wait()
        await anyio.sleep(END_GRACE_SECONDS)
        scope.cancel()


async def _body(send: Send, chunk: bytes) -> None:
    await send({"type": "http.response.body", "body": chunk, "more_body": True})


class EventsEndpoint:
    """``GET /api/documents/{document_id}/events``, for any member with a role on it."""

    def __init__(self, store: Store, hub: EventHub, keep_alive: float = KEEP_ALIVE_SECONDS):
        self._store = store
        self._hub = hub
        self._keep_alive = keep_alive

    async def stream(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        if request.method == "HEAD":  # a stream that never ends has no head to give
            return Response(media_type=EventStream.media_type)
        recorder = self._store.application.recorder
        since = await self._store.call(recorder.max_notification_id) or 0
        credential_id = credential_id_for(hash_token(request_token(request)))
        return EventStream(
            self._hub, document_id, member.id, since, self._keep_alive, credential_id
        )


EVENTS = content(
    "Server-sent events, one JSON object per `data:` line. `ready` opens the stream; then "
    "`meeting.opened`, `meeting.closed` (MeetingSummary), `attendance.recorded` "
    "({meeting_id, present, attendance}), `proposal.opened`, `proposal.closed` (Proposal), "
    "`vote.cast` (CastVote; without vote and reason under a secret ballot), `rule.set` (Rule), "
    "`organisation.voting` (DocOrg), `member.added`, `member.changed` (Member), "
    "`member.removed` (RemovedMember), `comment.created`, `comment.replied`, "
    "`comment.edited`, `comment.resolved`, `comment.reopened` (the thread); `end` ({reason}) "
    "when the server ends the stream. A `: keep-alive` comment comes every 15 s. A stream "
    "carries every change stored after it opened, made over HTTP, from the command line or "
    "on another instance; nothing is replayed.",
    "text/event-stream",
    STRING,
)


def openapi_paths() -> Json:
    """The live channel's path item, for ``openapi.py`` to merge."""
    paths = paths_of([Op("GET", PATH, "The document's committee events, live", EVENTS)])
    token = token_query("clients that cannot send headers (EventSource)")
    paths[PATH]["get"] |= {"parameters": [token], "security": QUERY_TOKEN_SECURITY}
    return paths
