"""What feeds the live channel: the stored events themselves. The relay follows Palabre's
notification log from where it stood when the server started and turns each committee,
membership, comment, interview, suggestion or amendment event into what live subscribers
must learn, whoever stored it (an HTTP handler, the command line, another instance on the
same database):

- an event on the document's channel (``hub``), with the same answer shapes as the HTTP API
  (``answers/``), read from the aggregate as it stood at that event; under a secret ballot a
  vote shows who voted, not how; an interview comes without its notes, whoever reads;
- live connections whose member lost their role on the document close with 4403, those whose
  role changed with 4205 (stock clients reconnect with the new one); event streams of a member
  who lost their role end;
- live connections and event streams opened with a credential that was revoked close (4401)
  and end: on every instance, since each follows the same log.

It wakes up when this process stores such an event (``Wakeup``, told by the application after
each save), when another instance on the same PostgreSQL database says it stored one
(``server/cluster/``), and polls every ``poll_seconds`` for what other processes stored. A
missed wake-up delays, never loses: the log is the source. Nothing is replayed to subscribers
that join later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic
from palabre.domain.application import MemberInfo, PalabreApplication
from palabre.domain.comment import Comment
from palabre.domain.committee import Ballot
from palabre.domain.document import Document
from palabre.domain.errors import NotFound
from palabre.domain.ids import DocumentId
from palabre.domain.interview import Interview
from palabre.domain.member import EVERY_DOCUMENT, Credential, Member
from palabre.domain.shapes import Json
from palabre.server.answers.comments import thread_answers
from palabre.server.answers.committee import (
    CommitteeView,
    meeting_summary,
    removed_json,
    secret,
)
from palabre.server.answers.interviews import interview_answers
from palabre.server.channel.hub import EventHub
from palabre.server.channel.suggestion_events import EVENT_CLASSES as SUGGESTION_EVENTS
from palabre.server.channel.suggestion_events import SuggestionEvents
from palabre.server.live.close_codes import CloseCode
from palabre.server.live.rooms import Rooms
from palabre.server.storage.store import Store
from palabre.server.suggestions import SuggestionDesk
from palabre.server.texts import DocumentTexts

log = logging.getLogger("palabre.relay")

POLL_SECONDS = 1.0
PAGE = 200
COMMITTEE = (
    Document.RuleSet,
    Document.OrganisationVotingSet,
    Document.MeetingOpened,
    Document.AttendanceRecorded,
    Document.MeetingClosed,
    Document.ProposalOpened,
    Document.VoteCast,
    Document.ProposalClosed,
)
MEMBERSHIP = (Member.RoleGranted, Member.RoleRevoked)
COMMENTS: dict[type, str] = {
    Comment.Created: "comment.created",
    Comment.Replied: "comment.replied",
    Comment.Edited: "comment.edited",
    Comment.Resolved: "comment.resolved",
    Comment.Reopened: "comment.reopened",
}
INTERVIEWS: dict[type, str] = {
    Interview.Recorded: "interview.recorded",
    Interview.Revised: "interview.revised",
    Interview.NotesWritten: "interview.notes",
    Interview.PassageLinked: "interview.linked",
    Interview.LinkRemoved: "interview.unlinked",
}
REVOCATION = Credential.Revoked
TOPICS = frozenset(
    get_topic(cls)
    for cls in (*COMMITTEE, *MEMBERSHIP, *COMMENTS, *INTERVIEWS, *SUGGESTION_EVENTS, REVOCATION)
)


class Wakeup:
    """A thread-safe nudge from the store's threads to the relay's task. Before the relay
    runs (the command line never runs one) a nudge does nothing."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None

    def saved(self, topics: Sequence[str]) -> None:
        """The application's ``on_saved``: wake the relay if it cares about these."""
        loop, event = self._loop, self._event
        if loop is not None and event is not None and not TOPICS.isdisjoint(topics):
            loop.call_soon_threadsafe(event.set)

    def wake(self) -> None:
        """Another instance stored such events (``server/cluster/``); from any thread."""
        loop, event = self._loop, self._event
        if loop is not None and event is not None:
            loop.call_soon_threadsafe(event.set)

    def attach(self) -> asyncio.Event:
        """Called by the relay in its own loop."""
        self._event = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        return self._event


@dataclass(frozen=True)
class Publication:
    document_id: DocumentId
    notification_id: int
    kind: str
    data: Json

    def to(self, hub: EventHub) -> None:
        hub.publish(self.document_id, self.notification_id, self.kind, self.data)


class Relay:
    def __init__(
        self,
        store: Store,
        texts: DocumentTexts,
        desk: SuggestionDesk,
        hub: EventHub,
        rooms: Rooms,
        wakeup: Wakeup,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self._store = store
        self._texts = texts
        self._suggestions = SuggestionEvents(store, desk, hub, rooms)
        self._hub = hub
        self._rooms = rooms
        self._wakeup = wakeup
        self._poll_seconds = poll_seconds

    @property
    def _app(self) -> PalabreApplication:
        return self._store.application

    async def start(self) -> asyncio.Task[None]:
        """Read where the log ends now, then follow it from there in a task: whatever is
        stored once this returns is relayed. The caller cancels the task."""
        woken = self._wakeup.attach()
        position = await self._store.call(self._end)
        return asyncio.get_running_loop().create_task(self._run(woken, position))

    async def _run(self, woken: asyncio.Event, position: int) -> None:
        """Follow the log until cancelled. A failure on one event is logged and skipped (the
        channel is a convenience: clients re-read the state when they need it)."""
        while True:
            try:
                position = await self._follow(position)
            except Exception:
                log.exception("live channel: reading the log after %d failed", position)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), self._poll_seconds)
            woken.clear()

    def _end(self) -> int:
        return self._app.recorder.max_notification_id() or 0

    async def _follow(self, position: int) -> int:
        while True:
            page = await self._store.call(self._page, position)
            for notification in page:
                try:
                    await self._handle(notification)
                except Exception:
                    log.exception("live channel: notification %d", notification.id)
                position = notification.id
            if len(page) < PAGE:
                return position

    def _page(self, position: int) -> list[Notification]:
        return list(
            self._app.recorder.select_notifications(
                position, PAGE, topics=list(TOPICS), inclusive_of_start=False
            )
        )

    async def _handle(self, notification: Notification) -> None:
        event = self._app.mapper.to_domain_event(notification)
        if isinstance(event, COMMITTEE):
            published = await self._store.call(self._committee, event, notification.id)
            if published is not None:
                published.to(self._hub)
        elif isinstance(event, MEMBERSHIP):
            self._rooms.grants_changed()  # before anything is closed: see LiveEndpoint
            await self._membership(event, notification.id)
        elif isinstance(event, REVOCATION):
            self._rooms.grants_changed()
            self._revoked(event.originator_id)
        elif (kind := COMMENTS.get(type(event))) is not None:
            await self._comment(event, kind, notification.id)
        elif (kind := INTERVIEWS.get(type(event))) is not None:
            await self._interview(event, kind, notification.id)
        else:
            await self._suggestions.handle(event, notification.id)

    # Committee -------------------------------------------------------------------------------

    def _committee(
        self, event: DomainEventProtocol[UUID], notification_id: int
    ) -> Publication | None:
        document_id = DocumentId(event.originator_id)
        if not self._hub.subscribed(document_id):
            return None
        document = self._app.aggregate_at(Document, document_id, event.originator_version)
        view = CommitteeView(self._app, document_id, document)
        kind, data = _committee_answer(view, document, event)
        return Publication(document_id, notification_id, kind, data)

    # Membership ------------------------------------------------------------------------------

    async def _membership(
        self, event: Member.RoleGranted | Member.RoleRevoked, notification_id: int
    ) -> None:
        member = await self._store.call(self._app.member, event.originator_id)
        documents = (
            self._hub.documents() | self._rooms.documents()
            if event.scope == EVERY_DOCUMENT
            else {DocumentId(UUID(event.scope))}
        )
        for document_id in documents:
            self._enforce(member, document_id)
            if self._hub.subscribed(document_id):
                publication = await self._store.call(
                    self._member_change, event, document_id, notification_id
                )
                if publication is not None:
                    publication.to(self._hub)

    def _enforce(self, member: MemberInfo, document_id: DocumentId) -> None:
        """Connections hold the role they opened with: close those it no longer matches."""
        role = member.role_on(document_id)
        if role is None:
            reason = "removed from this document"
            self._rooms.disconnect(document_id, member.id, CloseCode.FORBIDDEN, reason)
            self._hub.disconnect(document_id, member.id, reason)
            return
        self._rooms.disconnect(
            document_id,
            member.id,
            CloseCode.RESET_CONNECTION,
            "role changed; reconnect",
            keep=lambda connection: connection.role is role,
        )

    def _revoked(self, credential_id: UUID) -> None:
        """A revoked token opens nothing any more: close what it opened, here."""
        reason = "token revoked"
        closed = self._rooms.disconnect_credential(credential_id, CloseCode.UNAUTHORIZED, reason)
        ended = self._hub.end_credential(credential_id, reason)
        if closed or ended:
            log.info("credential %s revoked: %d sockets, %d streams", credential_id, closed, ended)

    def _member_change(
        self,
        event: Member.RoleGranted | Member.RoleRevoked,
        document_id: DocumentId,
        notification_id: int,
    ) -> Publication | None:
        try:
            now = self._app.member(event.originator_id)
        except NotFound:
            return None
        if isinstance(event, Member.RoleRevoked):
            answer = removed_json(now, document_id)
            return Publication(document_id, notification_id, "member.removed", answer)
        before = self._app.aggregate_at(Member, event.originator_id, event.originator_version - 1)
        kind = "member.added" if before.role_on(document_id) is None else "member.changed"
        if now.role_on(document_id) is None:
            return None
        answer = CommitteeView(self._app, document_id).member(now)
        return Publication(document_id, notification_id, kind, answer)

    # Comments --------------------------------------------------------------------------------

    async def _comment(
        self, event: DomainEventProtocol[UUID], kind: str, notification_id: int
    ) -> None:
        comment = await self._store.call(
            self._app.aggregate_at, Comment, event.originator_id, event.originator_version
        )
        document_id = DocumentId(comment.document_id)
        if not self._hub.subscribed(document_id):
            return
        thread = comment.thread()
        answer = (await thread_answers(self._store, self._texts, document_id, [thread]))[0]
        if isinstance(event, Comment.Replied):
            answer["reply"] = next(r for r in answer["replies"] if r["id"] == event.reply_id)
        self._hub.publish(document_id, notification_id, kind, answer)

    # Interviews -------------------------------------------------------------------------------

    async def _interview(
        self, event: DomainEventProtocol[UUID], kind: str, notification_id: int
    ) -> None:
        """The interview as it stood at the event, without its notes: every subscriber gets
        the same frame, so nobody's right to read the notes can be honoured here (clients
        re-read the interview over HTTP, where it is)."""

        interview = await self._store.call(
            self._app.aggregate_at, Interview, event.originator_id, event.originator_version
        )
        document_id = DocumentId(interview.document_id)
        if not self._hub.subscribed(document_id):
            return
        record = interview.as_record()
        [answer] = await interview_answers(self._store, self._texts, document_id, [record])
        if isinstance(event, Interview.PassageLinked):
            answer["link"] = next(k for k in answer["links"] if k["id"] == event.link_id)
        elif isinstance(event, Interview.LinkRemoved):
            answer["link_id"] = event.link_id
        self._hub.publish(document_id, notification_id, kind, answer)


def _committee_answer(
    view: CommitteeView, document: Document, event: DomainEventProtocol[UUID]
) -> tuple[str, Json]:
    """The channel's event for one committee event, from the document at that event."""
    if isinstance(event, Document.RuleSet):
        return "rule.set", document.rule.as_dict()
    if isinstance(event, Document.OrganisationVotingSet):
        return "organisation.voting", view.document_organisation(UUID(event.organisation_id))
    if isinstance(event, Document.MeetingOpened | Document.MeetingClosed):
        kind = "meeting.opened" if isinstance(event, Document.MeetingOpened) else "meeting.closed"
        return kind, meeting_summary(document.meetings[event.meeting_id])
    if isinstance(event, Document.AttendanceRecorded):
        meeting = document.meetings[event.meeting_id]
        return "attendance.recorded", {
            "meeting_id": meeting.id,
            "present": list(meeting.present),
            "attendance": view.attendance(meeting.present),
        }
    if isinstance(event, Document.VoteCast):
        proposal = document.proposals[event.proposal_id]
        cast = view.vote(proposal, UUID(event.organisation_id))
        hidden = proposal.is_open and proposal.rule.ballot is Ballot.SECRET
        return "vote.cast", (secret(cast) if hidden else cast) | {"voted": len(proposal.votes)}
    assert isinstance(event, Document.ProposalOpened | Document.ProposalClosed)
    kind = "proposal.opened" if isinstance(event, Document.ProposalOpened) else "proposal.closed"
    return kind, view.proposal(document.proposals[event.proposal_id])
