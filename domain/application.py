"""The application service: the only thing that saves. Commands validate, record, and return
plain data; reads return plain data too."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, EventSourcedLog
from eventsourcing.domain import DomainEvent
from eventsourcing.persistence import Recording, Transcoder
from palabre.domain.amendment_commands import AmendmentCommands
from palabre.domain.authentication import Authentication, KnownTokens
from palabre.domain.comment_commands import CommentCommands
from palabre.domain.committee_commands import COORDINATORS, CommitteeCommands
from palabre.domain.contribution_log import ContributionLog
from palabre.domain.document import Document
from palabre.domain.errors import Conflict, ErrorCode, InvalidInput, NotFound
from palabre.domain.ids import (
    DocumentId,
    MemberId,
    catalogue_id,
    organisation_id_for,
)
from palabre.domain.interview_commands import InterviewCommands
from palabre.domain.invitation_commands import InvitationCommands
from palabre.domain.member import (
    Credential,
    Member,
    issue_credential,
)
from palabre.domain.notes import NotesVault
from palabre.domain.organisation import Organisation
from palabre.domain.retry import retried
from palabre.domain.roles import Country, Role
from palabre.domain.suggestion_commands import SuggestionCommands

A = TypeVar("A")


@dataclass(frozen=True)
class Listed(DomainEvent):
    """An entry in a catalogue log: lets lists be read without scanning the whole event log."""

    entity_id: UUID


@dataclass(frozen=True)
class DocumentInfo:
    id: DocumentId
    title: str
    created_at: datetime
    created_by: UUID | None
    contributions: int


@dataclass(frozen=True)
class OrganisationInfo:
    id: UUID
    name: str
    country: Country


@dataclass(frozen=True)
class MemberInfo:
    id: MemberId
    name: str
    organisation: OrganisationInfo
    roles: Mapping[str, Role]
    votes: Mapping[str, bool]
    active: bool = True  # False once every credential is revoked

    def role_on(self, document_id: UUID) -> Role | None:
        return self.roles.get(str(document_id)) or self.roles.get("*")

    def votes_on(self, document_id: UUID) -> bool:
        scope = str(document_id) if str(document_id) in self.roles else "*"
        return self.votes.get(scope, False)


@dataclass(frozen=True)
class IssuedMember:
    member: MemberInfo
    token: str  # shown once, never stored


SavedListener = Callable[[Sequence[str]], None]


class PalabreApplication(
    ContributionLog,
    CommitteeCommands,
    CommentCommands,
    SuggestionCommands,
    AmendmentCommands,
    InterviewCommands,
    InvitationCommands,
    Authentication,
    Application[UUID],
):
    name = "Palabre"

    def __init__(
        self,
        notes_vault: NotesVault,
        env: Mapping[str, str] | None = None,
        transcoder: Transcoder | None = None,
        on_saved: SavedListener | None = None,
    ) -> None:
        """``on_saved`` is told the topics of the events each save stored, in the saving
        thread, after the commit; it must not block (the live channel wakes up there).
        ``notes_vault`` keeps interview notes outside the log (``domain/notes.py``); the
        application owns it and closes it with itself."""
        self._transcoder = transcoder
        self._on_saved = on_saved
        self.notes_vault = notes_vault
        super().__init__(env=env)
        self.known_tokens = KnownTokens(self._newer_than)
        assert self.snapshots is not None, "the checkpoint store needs IS_SNAPSHOTTING_ENABLED"
        self.checkpoints = self.snapshots

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.notes_vault.close()

    def _notify(self, recordings: list[Recording[UUID]]) -> None:
        if self._on_saved is not None and recordings:
            self._on_saved([recording.notification.topic for recording in recordings])

    def construct_transcoder(self) -> Transcoder:
        if self._transcoder is not None:
            return self._transcoder
        return super().construct_transcoder()

    # Documents -------------------------------------------------------------------------------

    @retried
    def create_document(self, title: str) -> DocumentInfo:
        document = Document.start(title)
        self._save_listed("documents", document)
        return self._document_info(document)

    def document(self, document_id: UUID) -> DocumentInfo:
        return self._document_info(self._get(Document, document_id, "document"))

    def documents(self) -> list[DocumentInfo]:
        return [self.document(entry.entity_id) for entry in self._catalogue("documents").get()]

    def _document_info(self, document: Document) -> DocumentInfo:
        return DocumentInfo(
            id=DocumentId(document.id),
            title=document.title,
            created_at=document.created_on,
            created_by=document.created_by,
            contributions=self.contribution_count(DocumentId(document.id)),
        )

    # Organisations and members ---------------------------------------------------------------

    @retried
    def register_organisation(self, name: str, country: Country) -> OrganisationInfo:
        try:
            existing = self._get(Organisation, organisation_id_for(name), "organisation")
        except NotFound:
            organisation = Organisation.register(name, country)
            self._save_listed("organisations", organisation)
            return _organisation_info(organisation)
        if existing.country is not country:
            raise Conflict(
                f"organisation {existing.name!r} is registered in {existing.country.value}, "
                f"not {country.value}",
                code=ErrorCode.ORGANISATION_COUNTRY_CONFLICT,
            )
        return _organisation_info(existing)

    def organisation(self, organisation_id: UUID) -> OrganisationInfo:
        return _organisation_info(self._get(Organisation, organisation_id, "organisation"))

    @retried
    def add_member(
        self,
        name: str,
        organisation_name: str,
        country: Country,
        role: Role,
        document_id: UUID | None = None,
        votes: bool = False,
        delegate: bool = False,
    ) -> IssuedMember:
        """Add a member by organisation name (registering it if new): the CLI's way."""
        if document_id is not None:
            self.document(document_id)  # the document must exist
        organisation = self.register_organisation(organisation_name, country)
        return self._add_member(name, organisation.id, role, document_id, votes, delegate)

    @retried
    def add_member_to(
        self,
        document_id: UUID,
        name: str,
        organisation_id: UUID,
        role: Role,
        votes: bool = False,
        delegate: bool = False,
    ) -> IssuedMember:
        """Add a member to one document, in an organisation registered before."""
        self._as(document_id, COORDINATORS)
        self.organisation(organisation_id)
        return self._add_member(name, organisation_id, role, document_id, votes, delegate)

    def _add_member(
        self,
        name: str,
        organisation_id: UUID,
        role: Role,
        document_id: UUID | None,
        votes: bool,
        delegate: bool,
    ) -> IssuedMember:
        if (votes or delegate) and document_id is None:
            raise InvalidInput("voting rights and delegation are given per document")
        if delegate and not votes:
            raise InvalidInput("a delegate needs voting rights")
        member = Member.register(name, organisation_id)
        member.grant(role, document_id, votes)
        token, credential = issue_credential(member)
        others: list[Any] = [credential]
        if document_id is not None and (votes or delegate):
            document = self._get(Document, document_id, "document")
            if votes and str(organisation_id) not in document.voting:
                document.set_voting(organisation_id, True)  # first voter: the organisation votes
            if delegate:
                document.designate_delegate(organisation_id, member.id)
            others.append(document)
        self._save_listed("members", member, *others)
        return IssuedMember(self._member_info(member), token)

    def members(self, document_id: UUID) -> list[MemberInfo]:
        self.document(document_id)
        return [m for m in self.all_members() if m.role_on(document_id) is not None]

    def all_members(self) -> list[MemberInfo]:
        """Every member with a role somewhere, in the order they were added."""
        listed = (self.member(entry.entity_id) for entry in self._catalogue("members").get())
        return [m for m in listed if m.active]

    @retried
    def change_role(
        self, document_id: UUID, member_id: UUID, role: Role, votes: bool
    ) -> MemberInfo:
        self.document(document_id)
        member = self._get(Member, member_id, "member")
        if member.role_on(document_id) is None:
            raise NotFound(
                f"member {member_id} has no role on this document",
                code=ErrorCode.MEMBER_NOT_FOUND,
            )
        member.grant(role, document_id, votes)
        document = self._get(Document, document_id, "document")
        if votes and str(member.organisation_id) not in document.voting:
            document.set_voting(member.organisation_id, True)
        self.save(member, document)
        return self._member_info(member)

    @retried
    def remove_member(self, document_id: UUID, member_id: UUID) -> MemberInfo:
        """Take the member's role on this document away; once they have no role anywhere,
        their tokens are revoked too."""
        self._as(document_id, COORDINATORS)
        member = self._get(Member, member_id, "member")
        if str(document_id) not in member.roles:
            raise NotFound(
                f"member {member_id} has no role of their own on this document",
                code=ErrorCode.MEMBER_NOT_FOUND,
            )
        member.remove_from(document_id)
        revoked = []
        if not member.roles:
            for credential_id in member.credentials:
                credential = self._get(Credential, credential_id, "credential")
                credential.revoke()
                revoked.append(credential)
        self.save(member, *revoked)
        return self._member_info(member)

    def organisations(self) -> list[OrganisationInfo]:
        return [self.organisation(e.entity_id) for e in self._catalogue("organisations").get()]

    def member(self, member_id: UUID) -> MemberInfo:
        return self._member_info(self._get(Member, member_id, "member"))

    def _member_info(self, member: Member) -> MemberInfo:
        return MemberInfo(
            id=MemberId(member.id),
            name=member.name,
            organisation=self.organisation(member.organisation_id),
            roles=dict(member.roles),
            votes=dict(member.votes),
            active=bool(member.roles),
        )

    # Helpers ---------------------------------------------------------------------------------

    def _newer_than(self, aggregate_id: UUID, version: int) -> bool:
        return bool(self.recorder.select_events(aggregate_id, gt=version, limit=1))

    def _commit(self, *aggregates: Any) -> None:
        self.save(*aggregates)

    def _catalogue(self, kind: str) -> EventSourcedLog[Listed]:
        return EventSourcedLog(self.events, catalogue_id(kind), Listed)

    def _save_listed(self, kind: str, aggregate: Any, *others: Any) -> None:
        """Save a new aggregate with its catalogue entry, atomically. If another process
        listed something at the same moment, the IntegrityError reaches the command's
        ``@retried``, which runs the command again from scratch."""
        entry = self._catalogue(kind).trigger_event(entity_id=aggregate.id)
        self.save(aggregate, *others, entry)

    def aggregate_at(self, cls: type[A], aggregate_id: UUID, version: int) -> A:
        """The aggregate as its event ``version`` left it (for readers of the log)."""
        aggregate: object = self.repository.get(aggregate_id, version=version)
        assert isinstance(aggregate, cls)
        return aggregate

    def _requested(
        self,
        cls: type[A],
        request_id: UUID | None,
        document_id: UUID,
        author_id: UUID | None = None,
    ) -> A | None:
        """What an earlier attempt of the same request stored under ``request_id`` (derived
        from the member and the request's idempotency key, ``ids.request_id``), if anything:
        the command answers it instead of making another. 409 if that id names something of
        another document or author: the key was used for another request."""
        if request_id is None:
            return None
        try:
            found: Any = self._get(cls, request_id, "request")
        except NotFound:
            return None
        other_author = author_id is not None and found.author_id != author_id
        if found.document_id != document_id or other_author:
            raise Conflict(
                "this request key names something else", code=ErrorCode.IDEMPOTENCY_KEY_REUSED
            )
        return cast(A, found)

    def _get(self, cls: type[A], aggregate_id: UUID, what: str) -> A:
        try:
            aggregate: Any = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(f"no {what} {aggregate_id}", code=_missing(what)) from None
        if not isinstance(aggregate, cls):
            raise NotFound(f"no {what} {aggregate_id}", code=_missing(what))
        return aggregate


def _organisation_info(organisation: Organisation) -> OrganisationInfo:
    return OrganisationInfo(
        id=organisation.id, name=organisation.name, country=organisation.country
    )


MISSING = {
    "document": ErrorCode.DOCUMENT_NOT_FOUND,
    "member": ErrorCode.MEMBER_NOT_FOUND,
    "organisation": ErrorCode.ORGANISATION_NOT_FOUND,
    "comment": ErrorCode.COMMENT_NOT_FOUND,
    "suggestion": ErrorCode.SUGGESTION_NOT_FOUND,
    "vote on amendments": ErrorCode.AMENDMENTS_NOT_FOUND,
    "interview": ErrorCode.INTERVIEW_NOT_FOUND,
}


def _missing(what: str) -> ErrorCode:
    """The code of a missing aggregate, by the word its lookup names it with."""
    return MISSING.get(what, ErrorCode.NOT_FOUND)
