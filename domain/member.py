"""Members of the committee, their roles, and the credentials that identify them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event
from palabre.domain.actor import acting_member
from palabre.domain.ids import credential_id_for
from palabre.domain.organisation import clean_name
from palabre.domain.roles import Role

# Key for a role that holds on every document.
EVERY_DOCUMENT = "*"


class Member(Aggregate):
    @classmethod
    def register(cls, name: str, organisation_id: UUID) -> Member:
        return cls(
            name=clean_name(name, "a member"),
            organisation_id=organisation_id,
            registered_by=acting_member.get(),
        )

    @event("Registered")
    def __init__(self, name: str, organisation_id: UUID, registered_by: UUID | None) -> None:
        self.name = name
        self.organisation_id = organisation_id
        self.registered_by = registered_by
        self.roles: dict[str, Role] = {}

    def grant(self, role: Role, document_id: UUID | None) -> None:
        scope = EVERY_DOCUMENT if document_id is None else str(document_id)
        if self.roles.get(scope) is role:
            return
        self._role_granted(scope=scope, role=role.value, granted_by=acting_member.get())

    @event("RoleGranted")
    def _role_granted(self, scope: str, role: str, granted_by: UUID | None) -> None:
        self.roles[scope] = Role(role)

    def role_on(self, document_id: UUID) -> Role | None:
        """The role for this document: a document-specific grant wins over a global one."""
        return self.roles.get(str(document_id)) or self.roles.get(EVERY_DOCUMENT)


class Credential(Aggregate):
    """A secret token's hash, pointing at its member. Its id derives from the hash itself,
    so authenticating is one lookup by id and the token is never stored."""

    @staticmethod
    def create_id(token_hash: str, **_: Any) -> UUID:
        return credential_id_for(token_hash)

    @classmethod
    def issue(cls, token_hash: str, member_id: UUID) -> Credential:
        return cls(token_hash=token_hash, member_id=member_id, issued_by=acting_member.get())

    @event("Issued")
    def __init__(self, token_hash: str, member_id: UUID, issued_by: UUID | None) -> None:
        self.token_hash = token_hash
        self.member_id = member_id
        self.issued_by = issued_by
        self.revoked = False

    def revoke(self) -> None:
        if not self.revoked:
            self._revoked(revoked_by=acting_member.get())

    @event("Revoked")
    def _revoked(self, revoked_by: UUID | None) -> None:
        self.revoked = True
