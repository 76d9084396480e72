"""Invitation links: the credentials a coordinator issued for one member on one document,
so that they can be revoked together without touching the member's other tokens."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event
from palabre.domain.actor import acting_member
from palabre.domain.ids import NAMESPACE


def invitation_id_for(document_id: UUID, member_id: UUID) -> UUID:
    """One invitation record per member and document, found again without a lookup table."""
    return uuid5(NAMESPACE, f"invitation:{document_id}:{member_id}")


class Invitation(Aggregate):
    @staticmethod
    def create_id(document_id: UUID, member_id: UUID, **_: Any) -> UUID:
        return invitation_id_for(document_id, member_id)

    @classmethod
    def start(cls, document_id: UUID, member_id: UUID) -> Invitation:
        return cls(document_id=document_id, member_id=member_id)

    @event("Started")
    def __init__(self, document_id: UUID, member_id: UUID) -> None:
        self.document_id = document_id
        self.member_id = member_id
        self.credentials: list[UUID] = []  # every link issued, newest last
        self.live: list[UUID] = []  # those not revoked yet

    def issue(self, credential_id: UUID) -> None:
        self._issued(credential_id=credential_id, issued_by=acting_member.get())

    @event("LinkIssued")
    def _issued(self, credential_id: UUID, issued_by: UUID | None) -> None:
        self.credentials.append(credential_id)
        self.live.append(credential_id)

    def revoke(self) -> None:
        if self.live:
            self._revoked(credential_ids=list(self.live), revoked_by=acting_member.get())

    @event("LinksRevoked")
    def _revoked(self, credential_ids: list[UUID], revoked_by: UUID | None) -> None:
        self.live = [c for c in self.live if c not in credential_ids]
