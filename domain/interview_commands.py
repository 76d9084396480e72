"""Interview commands and reads, mixed into the application service (the only thing that
saves).

Who may do what, from the acting member (``domain.actor``):

- record an interview: coordinators, and editors or commenters who are among the members
  who led it; observers never write. The operator at the command line may record one too;
- edit it (details, notes): coordinators and its interviewers (``led_by`` as it stands before
  the change), observers excepted; the operator too;
- link a passage to it: coordinators, editors, and its interviewers (observers excepted);
  links have an author, so not from the command line;
- undo a link: its author, a coordinator, an interviewer; the operator too;
- read it: anyone with a role on the document (checked at the edges); its notes
  (:meth:`InterviewCommands.notes_for`): coordinators and its interviewers when the
  interview is confidential, anyone with a role otherwise; the operator always.

Notes are sealed into events and kept in the notes vault (``domain/notes.py``): the vault is
written first, then the event, so a crash in between loses nothing that was acknowledged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from uuid import UUID

from palabre.domain.actor import acting_member
from palabre.domain.comment import Anchor
from palabre.domain.errors import ErrorCode, Forbidden, InvalidInput, NotFound
from palabre.domain.interview import Interview, InterviewRecord, Link
from palabre.domain.interview_details import Details, clean_notes
from palabre.domain.notes import HIDDEN, NotesReading, NotesVault, SealedNotes
from palabre.domain.retry import retried
from palabre.domain.roles import Role

if TYPE_CHECKING:
    from eventsourcing.application import EventSourcedLog
    from palabre.domain.application import DocumentInfo, Listed, MemberInfo, OrganisationInfo

WRITERS = (Role.COORDINATOR, Role.EDITOR, Role.COMMENTER)
KEEP_NOTES = object()  # a revision that leaves the notes as they are


def interviews_catalogue(document_id: UUID) -> str:
    """The catalogue kind listing one document's interviews, oldest first."""
    return f"interviews:{document_id}"


class InterviewCommands:
    # Provided by the application service.
    if TYPE_CHECKING:
        notes_vault: NotesVault

        def _get(self, cls: type[Any], aggregate_id: UUID, what: str) -> Any: ...
        def _commit(self, *aggregates: Any) -> None: ...
        def _save_listed(self, kind: str, aggregate: Any, *others: Any) -> None: ...
        def _catalogue(self, kind: str) -> EventSourcedLog[Listed]: ...
        def document(self, document_id: UUID) -> DocumentInfo: ...
        def member(self, member_id: UUID) -> MemberInfo: ...
        def organisation(self, organisation_id: UUID) -> OrganisationInfo: ...

    def record_interview(
        self, document_id: UUID, details: Details, notes: object = None
    ) -> InterviewRecord:
        """Record an interview with its notes (sealed once, so a retried save keeps them)."""
        return self._store_interview(document_id, details, _sealed(clean_notes(notes)))

    @retried
    def _store_interview(
        self, document_id: UUID, details: Details, sealed: SealedNotes | None
    ) -> InterviewRecord:
        self.document(document_id)
        actor = acting_member.get()
        if actor is not None:
            self._interview_writer(document_id, actor, details.led_by, "record interviews")
        self._check_details(document_id, details)
        self._keep_notes(sealed, document_id)
        interview = Interview.record(document_id, details, _seal(sealed), actor)
        self._save_listed(interviews_catalogue(document_id), interview)
        return interview.as_record()

    def revise_interview(
        self, document_id: UUID, interview_id: UUID, body: Mapping[str, object]
    ) -> InterviewRecord:
        """Change the fields present in ``body``; ``notes`` replaces the notes."""
        notes: object = _sealed(clean_notes(body["notes"])) if "notes" in body else KEEP_NOTES
        return self._store_revision(document_id, interview_id, body, notes)

    @retried
    def _store_revision(
        self, document_id: UUID, interview_id: UUID, body: Mapping[str, object], notes: object
    ) -> InterviewRecord:
        interview = self._interview(document_id, interview_id)
        actor = acting_member.get()
        if actor is not None:
            self._interview_writer(
                document_id, actor, interview.details.led_by, "edit this interview"
            )
        details = interview.details.revised(body)
        self._check_details(document_id, details, interview.details)
        interview.revise(details, actor)
        if notes is not KEEP_NOTES:
            sealed = notes if isinstance(notes, SealedNotes) else None
            self._keep_notes(sealed, document_id)
            interview.write_notes(_seal(sealed), actor)
        self._commit(interview)
        return interview.as_record()

    @retried
    def link_passage(
        self, document_id: UUID, interview_id: UUID, anchor: Anchor
    ) -> tuple[InterviewRecord, Link]:
        interview = self._interview(document_id, interview_id)
        actor = acting_member.get()
        if actor is None:
            raise Forbidden(
                "passages are linked by members, not from the command line",
                code=ErrorCode.ROLE_NOT_ALLOWED,
            )
        role = self._role_on(document_id, actor)
        interviewer = actor in interview.details.led_by and role in WRITERS
        if role is None:
            raise Forbidden("no role on this document", code=ErrorCode.NO_ROLE)
        if role not in (Role.COORDINATOR, Role.EDITOR) and not interviewer:
            raise Forbidden(
                "only coordinators, editors and its interviewers link passages to it",
                code=ErrorCode.INTERVIEWERS_ONLY,
            )
        link = interview.link(anchor, actor)
        self._commit(interview)
        return interview.as_record(), link

    @retried
    def unlink_passage(
        self, document_id: UUID, interview_id: UUID, link_id: str
    ) -> InterviewRecord:
        interview = self._interview(document_id, interview_id)
        link = interview.found_link(link_id)
        actor = acting_member.get()
        if actor is not None and actor != link.by:
            self._interview_writer(document_id, actor, interview.details.led_by, "undo this link")
        interview.unlink(link_id, actor)
        self._commit(interview)
        return interview.as_record()

    # Reads -----------------------------------------------------------------------------------

    def interview(self, document_id: UUID, interview_id: UUID) -> InterviewRecord:
        return self._interview(document_id, interview_id).as_record()

    def interviews(self, document_id: UUID) -> list[InterviewRecord]:
        """The document's interviews, oldest first."""
        self.document(document_id)
        listed = self._catalogue(interviews_catalogue(document_id)).get()
        return [self.interview(document_id, entry.entity_id) for entry in listed]

    def may_read_notes(self, document_id: UUID, record: InterviewRecord) -> bool:
        actor = acting_member.get()
        if actor is None:
            return True  # the operator, who holds the database anyway
        role = self.member(actor).role_on(document_id)
        if role is None:
            return False
        return (
            not record.details.confidential
            or role is Role.COORDINATOR
            or (actor in record.details.led_by)
        )

    def notes_for(
        self, document_id: UUID, records: Iterable[InterviewRecord]
    ) -> dict[UUID, NotesReading]:
        """Each interview's notes as the acting member may see them."""
        return {record.id: self._notes_reading(document_id, record) for record in records}

    def readable_interviews(self, document_id: UUID) -> set[UUID]:
        """The interviews of the document whose notes the acting member may read now."""
        return {r.id for r in self.interviews(document_id) if self.may_read_notes(document_id, r)}

    def kept_notes(self, seal: str) -> SealedNotes | None:
        """The notes kept under ``seal``, if they still match it. No right is checked here:
        the caller decided first (``readable_interviews``), for the interview that holds it."""
        kept = self.notes_vault.find(seal)
        return kept if kept is not None and kept.intact and kept.seal == seal else None

    # Helpers ---------------------------------------------------------------------------------

    def _notes_reading(self, document_id: UUID, record: InterviewRecord) -> NotesReading:
        if not self.may_read_notes(document_id, record):
            return HIDDEN
        if record.notes_seal is None:
            return NotesReading(visible=True, text=None)
        if self.notes_vault.find(record.notes_seal) is None:
            return NotesReading(visible=True, text=None, problem="missing")
        kept = self.kept_notes(record.notes_seal)
        if kept is None:
            return NotesReading(visible=True, text=None, problem="altered")
        return NotesReading(visible=True, text=kept.text)

    def _keep_notes(self, sealed: SealedNotes | None, document_id: UUID) -> None:
        if sealed is not None:
            self.notes_vault.keep(sealed, document_id)

    def _interview(self, document_id: UUID, interview_id: UUID) -> Interview:
        self.document(document_id)
        interview: Interview = self._get(Interview, interview_id, "interview")
        if interview.document_id != document_id:  # never reach one through another document
            raise NotFound(
                f"no interview {interview_id} on this document", code=ErrorCode.INTERVIEW_NOT_FOUND
            )
        return interview

    def _role_on(self, document_id: UUID, member_id: UUID) -> Role | None:
        return self.member(member_id).role_on(document_id)

    def _interview_writer(
        self, document_id: UUID, actor: UUID, led_by: tuple[UUID, ...], action: str
    ) -> None:
        """Coordinators, and the interviewers if they are not observers."""
        role = self._role_on(document_id, actor)
        if role is None:
            raise Forbidden("no role on this document", code=ErrorCode.NO_ROLE)
        if role is Role.COORDINATOR or (role in WRITERS and actor in led_by):
            return
        if role is Role.OBSERVER:
            raise Forbidden(f"observers cannot {action}", code=ErrorCode.ROLE_NOT_ALLOWED)
        raise Forbidden(
            f"only coordinators and the members who led it may {action}",
            code=ErrorCode.INTERVIEWERS_ONLY,
        )

    def _check_details(
        self, document_id: UUID, details: Details, before: Details | None = None
    ) -> None:
        """The organisations heard exist; the interviewers named now have a role on the
        document (one who has left since stays named: the interview is a record)."""
        for organisation_id in details.organisation_ids:
            try:
                self.organisation(organisation_id)
            except NotFound:
                raise InvalidInput(f"no organisation {organisation_id}") from None
        for member_id in set(details.led_by) - set(() if before is None else before.led_by):
            try:
                role = self._role_on(document_id, member_id)
            except NotFound:
                role = None
            if role is None:
                raise InvalidInput(f"member {member_id} has no role on this document")


def _sealed(notes: str) -> SealedNotes | None:
    return SealedNotes.of(notes) if notes else None


def _seal(sealed: SealedNotes | None) -> str | None:
    return None if sealed is None else sealed.seal
