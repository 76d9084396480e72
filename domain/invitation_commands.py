"""Inviting a member by link, and revoking the links. Mixed into the application service.

A link carries a new secret token for the member: a credential like the one ``add_member``
issues (so authentication needs nothing new), recorded on the member (removing the member
revokes it with the others) and on the member's invitation record for the document (so the
coordinator can revoke every link of that member at once)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from palabre.domain.committee_commands import COORDINATORS
from palabre.domain.errors import ErrorCode, NotFound
from palabre.domain.invitation import Invitation, invitation_id_for
from palabre.domain.member import Credential, Member, issue_credential
from palabre.domain.retry import retried

if TYPE_CHECKING:
    from palabre.domain.document import Document
    from palabre.domain.roles import Role


class InvitationCommands:
    # Provided by the application service.
    if TYPE_CHECKING:

        def _get(self, cls: type[Any], aggregate_id: UUID, what: str) -> Any: ...
        def _commit(self, *aggregates: Any) -> None: ...
        def _as(
            self, document_id: UUID, roles: tuple[Role, ...], refusal: str = ""
        ) -> Document: ...

    @retried
    def invite(self, document_id: UUID, member_id: UUID) -> str:
        """A new secret token for the member's invitation link (coordinators only)."""
        self._as(document_id, COORDINATORS, "only a coordinator may invite members")
        member = self._invited_member(document_id, member_id)
        token, credential = issue_credential(member)
        invitation = self._invitation(document_id, member_id)
        if invitation is None:
            invitation = Invitation.start(document_id, member_id)
        invitation.issue(credential.id)
        self._commit(member, credential, invitation)
        return token

    @retried
    def revoke_invitations(self, document_id: UUID, member_id: UUID) -> int:
        """Revoke every link issued to the member for this document; the number revoked."""
        self._as(document_id, COORDINATORS, "only a coordinator may revoke invitations")
        self._invited_member(document_id, member_id)
        invitation = self._invitation(document_id, member_id)
        if invitation is None:
            raise NotFound(
                f"member {member_id} was never invited to this document",
                code=ErrorCode.INVITATION_NOT_FOUND,
            )
        credentials = [self._get(Credential, c, "credential") for c in invitation.live]
        revoked = [c for c in credentials if not c.revoked]
        for credential in revoked:
            credential.revoke()
        invitation.revoke()
        self._commit(invitation, *revoked)
        return len(revoked)

    def _invited_member(self, document_id: UUID, member_id: UUID) -> Member:
        member: Member = self._get(Member, member_id, "member")
        if member.role_on(document_id) is None:
            raise NotFound(
                f"member {member_id} has no role on this document",
                code=ErrorCode.MEMBER_NOT_FOUND,
            )
        return member

    def _invitation(self, document_id: UUID, member_id: UUID) -> Invitation | None:
        try:
            found: Invitation = self._get(
                Invitation, invitation_id_for(document_id, member_id), "invitation"
            )
        except NotFound:
            return None
        return found
