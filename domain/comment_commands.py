"""Comment commands and reads, mixed into the application service (the only thing that saves).

Who may do what is checked here, from the acting member (``domain.actor``): coordinators,
editors and commenters comment and reply, observers only read; the author or a coordinator
resolves and reopens; only authors edit their own words. The operator at the command line (no
acting member) may resolve and reopen, but writes no comments: every remark has an author.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from palabre.domain.actor import acting_member
from palabre.domain.comment import Anchor, Comment, Reply, Thread
from palabre.domain.errors import ErrorCode, Forbidden, InvalidInput, NotFound
from palabre.domain.retry import retried
from palabre.domain.roles import Role
from palabre.domain.service_parts import ServiceParts

if TYPE_CHECKING:
    pass

COMMENTERS = (Role.COORDINATOR, Role.EDITOR, Role.COMMENTER)
STATUSES = ("open", "resolved")


def comments_catalogue(document_id: UUID) -> str:
    """The catalogue kind listing one document's comments, oldest first."""
    return f"comments:{document_id}"


class CommentCommands(ServiceParts):
    @retried
    def comment(
        self, document_id: UUID, body: str, anchor: Anchor, comment_id: UUID | None = None
    ) -> Thread:
        """A new thread. With ``comment_id`` (derived from the request's idempotency key) a
        thread already stored under it is the same request again: it is answered, and nothing
        is created twice, whichever process stored it and whenever."""
        author = self._commenter(document_id, "observers cannot comment")
        if (earlier := self._requested(Comment, comment_id, document_id, author)) is not None:
            return earlier.thread()
        comment = Comment.start(document_id, author, body, anchor, comment_id)
        self._save_listed(comments_catalogue(document_id), comment)
        return comment.thread()

    @retried
    def reply_to_comment(
        self, document_id: UUID, comment_id: UUID, body: str, reply_id: str | None = None
    ) -> Reply:
        """A new reply; with ``reply_id`` (from the request's idempotency key) a reply already
        stored under it is answered instead of being added twice."""
        author = self._commenter(document_id, "observers cannot reply")
        comment = self._comment(document_id, comment_id)
        reply = comment.reply(author, body, reply_id)
        self._commit(comment)
        return reply

    @retried
    def edit_comment(
        self, document_id: UUID, comment_id: UUID, body: str, reply_id: str | None = None
    ) -> Thread:
        author = self._commenter(document_id, "observers cannot edit comments")
        comment = self._comment(document_id, comment_id)
        comment.edit(author, body, reply_id)
        self._commit(comment)
        return comment.thread()

    @retried
    def resolve_comment(self, document_id: UUID, comment_id: UUID) -> Thread:
        comment = self._moderated(document_id, comment_id, "resolve")
        comment.resolve(acting_member.get())
        self._commit(comment)
        return comment.thread()

    @retried
    def reopen_comment(self, document_id: UUID, comment_id: UUID) -> Thread:
        comment = self._moderated(document_id, comment_id, "reopen")
        comment.reopen(acting_member.get())
        self._commit(comment)
        return comment.thread()

    # Reads -----------------------------------------------------------------------------------

    def comment_thread(self, document_id: UUID, comment_id: UUID) -> Thread:
        return self._comment(document_id, comment_id).thread()

    def comments(
        self, document_id: UUID, status: str | None = None, section: str | None = None
    ) -> list[Thread]:
        """The document's threads, oldest first; ``status`` keeps only open or resolved ones,
        ``section`` only those anchored under that heading."""
        if status is not None and status not in STATUSES:
            raise InvalidInput(f"unknown status {status!r}; expected open or resolved")
        self.document(document_id)
        listed = self._catalogue(comments_catalogue(document_id)).get()
        threads = (self._comment(document_id, entry.entity_id).thread() for entry in listed)
        return [
            t
            for t in threads
            if (status is None or t.status == status)
            and (section is None or t.anchor.section == section)
        ]

    # Helpers ---------------------------------------------------------------------------------

    def _comment(self, document_id: UUID, comment_id: UUID) -> Comment:
        comment: Comment = self._get(Comment, comment_id, "comment")
        if comment.document_id != document_id:  # never reach a comment through another document
            raise NotFound(
                f"no comment {comment_id} on this document", code=ErrorCode.COMMENT_NOT_FOUND
            )
        return comment

    def _commenter(
        self, document_id: UUID, refusal: str, written: str = "comments are written"
    ) -> UUID:
        """The acting member, if their role on the document lets them write comments (and
        suggestions: the same roles; ``written`` says what the operator may not write)."""
        self.document(document_id)
        member_id = acting_member.get()
        if member_id is None:
            raise Forbidden(f"{written} by members, not from the command line")
        role = self.member(member_id).role_on(document_id)
        if role not in COMMENTERS:
            if role is None:
                raise Forbidden("no role on this document", code=ErrorCode.NO_ROLE)
            raise Forbidden(refusal, code=ErrorCode.ROLE_NOT_ALLOWED)
        return member_id

    def _moderated(self, document_id: UUID, comment_id: UUID, action: str) -> Comment:
        """The comment, if the acting member wrote it or coordinates the document."""
        self.document(document_id)
        comment = self._comment(document_id, comment_id)
        member_id = acting_member.get()
        if member_id is None or member_id == comment.author_id:
            return comment
        if self.member(member_id).role_on(document_id) is not Role.COORDINATOR:
            raise Forbidden(
                f"only the comment's author or a coordinator may {action} it",
                code=ErrorCode.AUTHOR_ONLY,
            )
        return comment
