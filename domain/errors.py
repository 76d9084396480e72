"""One error root for the domain; the server translates these at its edges, nowhere else.

Every error carries a stable machine ``code`` (an :class:`ErrorCode`): the HTTP answer sends
it as ``{"error": {"code": ...}}`` and the web page translates it, so the words people read do
not depend on the English ``message``. A raise site names a precise code when a person may
meet the error (``Conflict("...", code=ErrorCode.MEETING_ALREADY_OPEN)``); otherwise the
class's generic code holds (``invalid_input``, ``conflict``...).

:class:`ErrorCode` is the one registry of codes, the server's own edge codes included
(``payload_too_large``, ``unavailable``, ``internal_error``): the README lists each one and a
test checks that the page translates each one, in French and in English.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """Every code an error answer may carry. Values never change: clients depend on them."""

    # 400: the request breaks a rule
    INVALID_INPUT = "invalid_input"
    MALFORMED_ID = "malformed_id"
    TITLE_REQUIRED = "title_required"
    TITLE_TOO_LONG = "title_too_long"
    NAME_REQUIRED = "name_required"
    NAME_TOO_LONG = "name_too_long"
    INVALID_DATE = "invalid_date"
    INVALID_ROLE = "invalid_role"
    INVALID_COUNTRY = "invalid_country"
    INVALID_RULE = "invalid_rule"
    INVALID_VOTE = "invalid_vote"
    LABEL_REQUIRED = "label_required"
    LABEL_TOO_LONG = "label_too_long"
    REASON_REQUIRED = "reason_required"
    REASON_TOO_LONG = "reason_too_long"
    TEXT_REQUIRED = "text_required"
    TEXT_TOO_LONG = "text_too_long"
    TEXT_INVALID = "text_invalid"
    ANCHOR_INVALID = "anchor_invalid"
    ATTENDEE_WITHOUT_ROLE = "attendee_without_role"
    POSITION_BEYOND_LOG = "position_beyond_log"
    IDEMPOTENCY_KEY_INVALID = "idempotency_key_invalid"
    SUGGESTION_UNCHANGED = "suggestion_unchanged"
    # 401: who is asking is unknown
    UNAUTHENTICATED = "unauthenticated"
    TOKEN_REVOKED = "token_revoked"
    # 403: known, but not allowed
    FORBIDDEN = "forbidden"
    NO_ROLE = "no_role"
    ROLE_NOT_ALLOWED = "role_not_allowed"
    COORDINATOR_ONLY = "coordinator_only"
    NOT_A_VOTER = "not_a_voter"
    ORGANISATION_CANNOT_VOTE = "organisation_cannot_vote"
    DELEGATE_VOTES = "delegate_votes"
    AUTHOR_ONLY = "author_only"
    PASSAGE_AUTHORS_ONLY = "passage_authors_only"
    INTERVIEWERS_ONLY = "interviewers_only"
    # 404: no such thing
    NOT_FOUND = "not_found"
    DOCUMENT_NOT_FOUND = "document_not_found"
    MEMBER_NOT_FOUND = "member_not_found"
    ORGANISATION_NOT_FOUND = "organisation_not_found"
    MEETING_NOT_FOUND = "meeting_not_found"
    PROPOSAL_NOT_FOUND = "proposal_not_found"
    COMMENT_NOT_FOUND = "comment_not_found"
    REPLY_NOT_FOUND = "reply_not_found"
    VERSION_NOT_FOUND = "version_not_found"
    INVITATION_NOT_FOUND = "invitation_not_found"
    SUGGESTION_NOT_FOUND = "suggestion_not_found"
    AMENDMENTS_NOT_FOUND = "amendments_not_found"
    INTERVIEW_NOT_FOUND = "interview_not_found"
    LINK_NOT_FOUND = "link_not_found"
    # 409: contradicts what is stored
    CONFLICT = "conflict"
    MEETING_ALREADY_OPEN = "meeting_already_open"
    MEETING_CLOSED = "meeting_closed"
    MEETING_HAS_OPEN_PROPOSALS = "meeting_has_open_proposals"
    PROPOSAL_CLOSED = "proposal_closed"
    COMMENT_ALREADY_RESOLVED = "comment_already_resolved"
    COMMENT_ALREADY_OPEN = "comment_already_open"
    ORGANISATION_COUNTRY_CONFLICT = "organisation_country_conflict"
    MEETING_HAS_OPEN_AMENDMENTS = "meeting_has_open_amendments"
    MEETING_REQUIRED = "meeting_required"
    SUGGESTION_DECIDED = "suggestion_decided"
    SUGGESTION_CONFLICT = "suggestion_conflict"
    SUGGESTION_BEFORE_COMMITTEE = "suggestion_before_committee"
    AMENDMENTS_CLOSED = "amendments_closed"
    BUSY = "busy"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    # The server's edge (server/errors.py): body size, store outage, anything unexpected
    PAYLOAD_TOO_LARGE = "payload_too_large"
    HISTORY_UNREADABLE = "history_unreadable"
    TOO_MANY_REQUESTS = "too_many_requests"
    UNAVAILABLE = "unavailable"
    TEXT_NOT_STORED = "text_not_stored"
    INTERNAL_ERROR = "internal_error"


class PalabreError(Exception):
    """Root of every error the domain raises on purpose."""

    code: ErrorCode = ErrorCode.INTERNAL_ERROR

    def __init__(self, *args: object, code: ErrorCode | None = None) -> None:
        super().__init__(*args)
        if code is not None:
            self.code = code


class InvalidInput(PalabreError):
    """A command's arguments break a rule (empty title, unknown role, bad country...)."""

    code = ErrorCode.INVALID_INPUT


class NotFound(PalabreError):
    """The named document, member or organisation does not exist."""

    code = ErrorCode.NOT_FOUND


class Unauthenticated(PalabreError):
    """No credential, or one that matches no active member."""

    code = ErrorCode.UNAUTHENTICATED


class Forbidden(PalabreError):
    """The member is known but their role does not allow the action."""

    code = ErrorCode.FORBIDDEN


class Conflict(PalabreError):
    """The command contradicts stored state (an organisation re-registered in another country)."""

    code = ErrorCode.CONFLICT


class PositionConflict(PalabreError):
    """Another writer appended to a contribution log first; the caller must catch up and retry."""

    code = ErrorCode.CONFLICT

    def __init__(self, expected: int, actual: int) -> None:
        super().__init__(f"contribution log moved from {expected} to {actual}")
        self.expected = expected
        self.actual = actual
