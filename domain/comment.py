"""Comments: remarks anchored to a passage of a document, threaded, resolvable.

One ``Comment`` aggregate per thread, so people discussing different passages never contend
for the same record. The anchor keeps what the commenter saw (the quote and its section) and
the client's Yjs relative positions as opaque text: the domain knows nothing of the CRDT, and
the server decides from them, against the current text, whether the anchor is detached.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event
from palabre.domain.errors import Conflict, ErrorCode, Forbidden, InvalidInput, NotFound

MAX_BODY = 10_000  # characters: a long remark, not a second document
MAX_QUOTE = 2_000
MAX_SECTION = 300
MAX_POSITION_BYTES = 128  # a Yjs relative position is a few varints: ~20 bytes
ALLOWED_CONTROLS = frozenset("\n\t")


@dataclass(frozen=True)
class Anchor:
    """Where a comment points: the quoted passage, its section heading, and the client's Yjs
    relative positions of the passage's start and end (base64, or None when not given)."""

    quote: str
    section: str
    start: str | None = None
    end: str | None = None

    @classmethod
    def parse(cls, quote: object, section: object, positions: object = None) -> Anchor:
        start, end = _positions(positions)
        return cls(
            quote=_text(quote, "quote", MAX_QUOTE, strip=False),
            section=_text(section or "", "section", MAX_SECTION, required=False),
            start=start,
            end=end,
        )


@dataclass(frozen=True)
class Reply:
    id: str
    author_id: UUID
    body: str
    created_at: str
    edited_at: str | None = None


@dataclass(frozen=True)
class Thread:
    """A comment as plain data, for answers: what the application returns."""

    id: UUID
    document_id: UUID
    author_id: UUID
    body: str
    anchor: Anchor
    created_at: datetime
    edited_at: str | None
    resolved: bool
    resolved_by: UUID | None
    replies: tuple[Reply, ...]

    @property
    def status(self) -> str:
        return "resolved" if self.resolved else "open"


class Comment(Aggregate):
    """One thread; its id is a random uuid4, or derived from the idempotency key of the
    request that created it (``ids.request_id``)."""

    class Created(Aggregate.Created):
        document_id: UUID
        author_id: UUID
        body: str
        quote: str
        section: str
        start: str | None
        end: str | None

    class Replied(Aggregate.Event):
        reply_id: str
        author_id: UUID
        body: str
        at: str

    class Edited(Aggregate.Event):
        reply_id: str | None
        body: str
        at: str

    class Resolved(Aggregate.Event):
        by: UUID | None

    class Reopened(Aggregate.Event):
        by: UUID | None

    @classmethod
    def start(
        cls,
        document_id: UUID,
        author_id: UUID,
        body: str,
        anchor: Anchor,
        comment_id: UUID | None = None,
    ) -> Comment:
        """A new thread; ``comment_id`` names it (derived from a request's idempotency key,
        so that the same request twice finds it instead of starting another)."""
        return cls._create(
            cls.Created,
            id=comment_id or uuid.uuid4(),
            document_id=document_id,
            author_id=author_id,
            body=clean_body(body),
            quote=anchor.quote,
            section=anchor.section,
            start=anchor.start,
            end=anchor.end,
        )

    @event(Created)
    def __init__(
        self,
        document_id: UUID,
        author_id: UUID,
        body: str,
        quote: str,
        section: str,
        start: str | None,
        end: str | None,
    ) -> None:
        self.document_id = document_id
        self.author_id = author_id
        self.body = body
        self.anchor = Anchor(quote, section, start, end)
        self.edited_at: str | None = None
        self.resolved = False
        self.resolved_by: UUID | None = None
        self.replies: dict[str, Reply] = {}

    def reply(self, author_id: UUID, body: str, reply_id: str | None = None) -> Reply:
        """A new reply; ``reply_id`` names it (from a request's idempotency key): a reply of
        that id by the same author is the same request again, and nothing new is recorded."""
        reply_id = reply_id or str(uuid.uuid4())
        if (earlier := earlier_reply(self.replies, reply_id, author_id)) is not None:
            return earlier
        self._replied(reply_id=reply_id, author_id=author_id, body=clean_body(body), at=_now())
        return self.replies[reply_id]

    @event(Replied)
    def _replied(self, reply_id: str, author_id: UUID, body: str, at: str) -> None:
        self.replies[reply_id] = Reply(reply_id, author_id, body, at)

    def edit(self, editor_id: UUID, body: str, reply_id: str | None = None) -> None:
        """Only the author of a comment or reply may change its words: nobody may put words
        in someone else's mouth, not even a coordinator."""
        author = self.author_id if reply_id is None else self._reply(reply_id).author_id
        if author != editor_id:
            raise Forbidden(
                "only its author may edit a comment or a reply", code=ErrorCode.AUTHOR_ONLY
            )
        self._edited(reply_id=reply_id, body=clean_body(body), at=_now())

    @event(Edited)
    def _edited(self, reply_id: str | None, body: str, at: str) -> None:
        if reply_id is None:
            self.body, self.edited_at = body, at
        else:
            old = self.replies[reply_id]
            self.replies[reply_id] = Reply(old.id, old.author_id, body, old.created_at, at)

    def resolve(self, by: UUID | None) -> None:
        if self.resolved:
            raise Conflict(
                "this comment is already resolved", code=ErrorCode.COMMENT_ALREADY_RESOLVED
            )
        self._resolved(by=by)

    @event(Resolved)
    def _resolved(self, by: UUID | None) -> None:
        self.resolved, self.resolved_by = True, by

    def reopen(self, by: UUID | None) -> None:
        if not self.resolved:
            raise Conflict("this comment is open already", code=ErrorCode.COMMENT_ALREADY_OPEN)
        self._reopened(by=by)

    @event(Reopened)
    def _reopened(self, by: UUID | None) -> None:
        self.resolved, self.resolved_by = False, None

    def thread(self) -> Thread:
        return Thread(
            id=self.id,
            document_id=self.document_id,
            author_id=self.author_id,
            body=self.body,
            anchor=self.anchor,
            created_at=self.created_on,
            edited_at=self.edited_at,
            resolved=self.resolved,
            resolved_by=self.resolved_by,
            replies=tuple(self.replies.values()),
        )

    def _reply(self, reply_id: str) -> Reply:
        if reply_id not in self.replies:
            raise NotFound(f"no reply {reply_id} in this comment", code=ErrorCode.REPLY_NOT_FOUND)
        return self.replies[reply_id]


def clean_body(body: object) -> str:
    return _text(body, "body", MAX_BODY)


def earlier_reply(replies: Mapping[str, Reply], reply_id: str, author_id: UUID) -> Reply | None:
    """The reply an earlier attempt of the same request made under ``reply_id`` (from its
    idempotency key), if any: the thread's and a suggestion's replies are found again this way
    instead of being added twice. 409 if that id names another member's reply."""
    earlier = replies.get(reply_id)
    if earlier is not None and earlier.author_id != author_id:
        raise Conflict(
            "this request key names another reply", code=ErrorCode.IDEMPOTENCY_KEY_REUSED
        )
    return earlier


def bounded_text(
    value: object, name: str, limit: int, *, required: bool = True, strip: bool = True
) -> str:
    """A bounded, printable text, under the rules of comments (suggestions share them)."""
    return _text(value, name, limit, required=required, strip=strip)


def parse_positions(positions: object) -> tuple[str | None, str | None]:
    """An anchor's ``{"start", "end"}`` Yjs relative positions, checked as comments do."""
    return _positions(positions)


def _text(
    value: object, name: str, limit: int, *, required: bool = True, strip: bool = True
) -> str:
    """A bounded, printable text: bodies come from the network and end up in exports."""
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be a string", code=ErrorCode.TEXT_INVALID)
    text = value.strip() if strip else value
    if required and not text.strip():
        raise InvalidInput(f"{name} must not be empty", code=ErrorCode.TEXT_REQUIRED)
    if len(text) > limit:
        raise InvalidInput(
            f"{name} is longer than {limit} characters", code=ErrorCode.TEXT_TOO_LONG
        )
    if any(c < " " and c not in ALLOWED_CONTROLS for c in text) or "\x7f" in text:
        raise InvalidInput(f"{name} holds control characters", code=ErrorCode.TEXT_INVALID)
    return text


def _positions(positions: object) -> tuple[str | None, str | None]:
    """The anchor's ``{"start", "end"}``: both base64 Yjs relative positions, or neither."""
    if positions is None:
        return None, None
    if not isinstance(positions, Mapping) or set(positions) - {"start", "end"}:
        raise InvalidInput(
            'anchor must be an object {"start", "end"} of base64 strings',
            code=ErrorCode.ANCHOR_INVALID,
        )
    start, end = positions.get("start"), positions.get("end")
    if start is None and end is None:
        return None, None
    return _position(start, "anchor.start"), _position(end, "anchor.end")


def _position(value: object, name: str) -> str:
    if not isinstance(value, str) or len(value) > 4 * MAX_POSITION_BYTES // 3 + 4:
        raise InvalidInput(
            f"{name} must be a base64 string of at most {MAX_POSITION_BYTES} bytes",
            code=ErrorCode.ANCHOR_INVALID,
        )
    try:
        decoded = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(f"{name} is not valid base64", code=ErrorCode.ANCHOR_INVALID) from None
    if not decoded:
        raise InvalidInput(f"{name} is empty", code=ErrorCode.ANCHOR_INVALID)
    return value


def _now() -> str:
    return datetime.now(UTC).isoformat()
