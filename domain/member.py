"""Members of the committee, their roles, and the credentials that identify them."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event
from palabre.domain.actor import acting_member
from palabre.domain.ids import credential_id_for
from palabre.domain.organisation import clean_name
from palabre.domain.roles import Role

# Key for a role that holds on every document.
EVERY_DOCUMENT = "*"
TOKEN_PREFIX = "plb_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_credential(member: Member) -> tuple[str, Credential]:
    """A new secret token for ``member`` and its credential, recorded on the member. Only the
    token's hash is stored: the caller hands the token over once."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    credential = Credential.issue(hash_token(token), member.id)
    member.record_credential(credential.id)
    return token, credential


class Member(Aggregate):
    class Registered(Aggregate.Created):
        name: str
        organisation_id: UUID
        registered_by: UUID | None

    class RoleGranted(Aggregate.Event):
        scope: str
        role: str
        votes: bool
        granted_by: UUID | None

    class RoleRevoked(Aggregate.Event):
        scope: str
        revoked_by: UUID | None

    class CredentialRecorded(Aggregate.Event):
        credential_id: UUID

    @classmethod
    def register(cls, name: str, organisation_id: UUID) -> Member:
        return cls(
            name=clean_name(name, "a member"),
            organisation_id=organisation_id,
            registered_by=acting_member.get(),
        )

    @event(Registered)
    def __init__(self, name: str, organisation_id: UUID, registered_by: UUID | None) -> None:
        self.name = name
        self.organisation_id = organisation_id
        self.registered_by = registered_by
        self.roles: dict[str, Role] = {}
        self.votes: dict[str, bool] = {}  # scope -> has voting rights there
        self.credentials: list[UUID] = []

    def grant(self, role: Role, document_id: UUID | None, votes: bool = False) -> None:
        scope = _scope(document_id)
        if self.roles.get(scope) is role and self.votes.get(scope, False) is votes:
            return
        self._role_granted(
            scope=scope, role=role.value, votes=votes, granted_by=acting_member.get()
        )

    @event(RoleGranted)
    def _role_granted(self, scope: str, role: str, votes: bool, granted_by: UUID | None) -> None:
        self.roles[scope] = Role(role)
        self.votes[scope] = votes

    def remove_from(self, document_id: UUID | None) -> None:
        scope = _scope(document_id)
        if scope in self.roles:
            self._role_revoked(scope=scope, revoked_by=acting_member.get())

    @event(RoleRevoked)
    def _role_revoked(self, scope: str, revoked_by: UUID | None) -> None:
        self.roles.pop(scope, None)
        self.votes.pop(scope, None)

    def record_credential(self, credential_id: UUID) -> None:
        self._credential_recorded(credential_id=credential_id)

    @event(CredentialRecorded)
    def _credential_recorded(self, credential_id: UUID) -> None:
        self.credentials.append(credential_id)

    def role_on(self, document_id: UUID) -> Role | None:
        """The role for this document: a document-specific grant wins over a global one."""
        return self.roles.get(str(document_id)) or self.roles.get(EVERY_DOCUMENT)


def _scope(document_id: UUID | None) -> str:
    return EVERY_DOCUMENT if document_id is None else str(document_id)


class Credential(Aggregate):
    """A secret token's hash, pointing at its member. Its id derives from the hash itself,
    so authenticating is one lookup by id and the token is never stored."""

    class Issued(Aggregate.Created):
        token_hash: str
        member_id: UUID
        issued_by: UUID | None

    class Revoked(Aggregate.Event):
        revoked_by: UUID | None

    @staticmethod
    def create_id(token_hash: str, **_: Any) -> UUID:
        return credential_id_for(token_hash)

    @classmethod
    def issue(cls, token_hash: str, member_id: UUID) -> Credential:
        return cls(token_hash=token_hash, member_id=member_id, issued_by=acting_member.get())

    @event(Issued)
    def __init__(self, token_hash: str, member_id: UUID, issued_by: UUID | None) -> None:
        self.token_hash = token_hash
        self.member_id = member_id
        self.issued_by = issued_by
        self.revoked = False

    def revoke(self) -> None:
        if not self.revoked:
            self._revoked(revoked_by=acting_member.get())

    @event(Revoked)
    def _revoked(self, revoked_by: UUID | None) -> None:
        self.revoked = True
