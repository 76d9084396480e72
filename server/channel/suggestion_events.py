"""The live channel's suggestion and amendment events, for the relay (``relay.py``): each
stored event of a suggestion or of a vote on amendments becomes the channel's
``suggestion.*`` or ``amendments.*`` event, with the same answer as the HTTP API, read from
the aggregate as it stood at that event.

An accepted suggestion's replacement may have been stored without this process's live room
(none was loaded where it was accepted, or another process accepted it): when the acceptance
comes by, the room catches up at once rather than at its next write. A failure here is the
relay's to log and skip, like any other event's.
"""

from __future__ import annotations

from typing import TypeVar
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from palabre.domain.amendments import Amendments
from palabre.domain.application import PalabreApplication
from palabre.domain.ids import DocumentId
from palabre.domain.suggestion import Suggestion
from palabre.server.answers.suggestions import amendments_json, suggestion_answers
from palabre.server.channel.hub import EventHub
from palabre.server.live.rooms import Rooms
from palabre.server.storage.store import Store
from palabre.server.suggestions import SuggestionDesk

A = TypeVar("A")
SUGGESTIONS: dict[type, str] = {
    Suggestion.SuggestionMade: "suggestion.made",
    Suggestion.SuggestionRevised: "suggestion.revised",
    Suggestion.SuggestionReplied: "suggestion.replied",
    Suggestion.SuggestionAccepted: "suggestion.accepted",
    Suggestion.SuggestionRejected: "suggestion.rejected",
    Suggestion.SuggestionWithdrawn: "suggestion.withdrawn",
}
AMENDMENTS: dict[type, str] = {
    Amendments.AmendmentsOpened: "amendments.opened",
    Amendments.AmendmentVoteCast: "amendments.vote",
    Amendments.AmendmentsClosed: "amendments.closed",
}
EVENT_CLASSES = (*SUGGESTIONS, *AMENDMENTS)


class SuggestionEvents:
    def __init__(self, store: Store, desk: SuggestionDesk, hub: EventHub, rooms: Rooms) -> None:
        self._store = store
        self._desk = desk
        self._hub = hub
        self._rooms = rooms

    @property
    def _app(self) -> PalabreApplication:
        return self._store.application

    async def handle(self, event: DomainEventProtocol[UUID], notification_id: int) -> bool:
        """Publish ``event`` if it is a suggestion's or a vote on amendments'; False if not."""
        if (kind := SUGGESTIONS.get(type(event))) is not None:
            await self._suggestion(event, kind, notification_id)
        elif (kind := AMENDMENTS.get(type(event))) is not None:
            await self._amendments(event, kind, notification_id)
        else:
            return False
        return True

    async def _suggestion(
        self, event: DomainEventProtocol[UUID], kind: str, notification_id: int
    ) -> None:
        suggestion = await self._store.call(self._at, Suggestion, event)
        document_id = DocumentId(suggestion.document_id)
        if isinstance(event, Suggestion.SuggestionAccepted):
            room = self._rooms.get(document_id)
            if room is not None:
                await room.catch_up()
        if not self._hub.subscribed(document_id):
            return
        record = suggestion.record()
        answer = (await suggestion_answers(self._store, self._desk, document_id, [record]))[0]
        if isinstance(event, Suggestion.SuggestionReplied):
            answer["reply"] = next(r for r in answer["replies"] if r["id"] == event.reply_id)
        self._hub.publish(document_id, notification_id, kind, answer)

    async def _amendments(
        self, event: DomainEventProtocol[UUID], kind: str, notification_id: int
    ) -> None:
        vote = await self._store.call(self._at, Amendments, event)
        document_id = DocumentId(vote.document_id)
        if self._hub.subscribed(document_id):
            answer = await self._store.call(amendments_json, self._app, vote)
            self._hub.publish(document_id, notification_id, kind, answer)

    def _at(self, cls: type[A], event: DomainEventProtocol[UUID]) -> A:
        """The aggregate as it stood at ``event``."""
        found: object = self._app.repository.get(
            event.originator_id, version=event.originator_version
        )
        assert isinstance(found, cls)
        return found
