"""Idempotent requests: a POST that creates something (a vote, a comment, a reply, a meeting, a
proposal) may carry ``Idempotency-Key: KEY``, and the same member sending the same request
under the same key again gets the first answer again, with ``Idempotent-Replayed: true``,
and nothing is done twice. A page on a weak link retries a request whose answer it never got
(a cut, a stall, a timeout) under the key it chose before the first attempt.

The key is 8 to 128 characters among letters, digits and ``-_.:`` (a UUID fits); anything
else answers 400 ``idempotency_key_invalid``. The same key with another method, path or body
answers 409 ``idempotency_key_reused``. Only successful answers are kept: a refusal changed
nothing and is decided again. Answers are kept in the store (``storage/answered.py``), so the
rule holds across restarts and across instances sharing the store.

On a crash between the command and its receipt, or when recording the receipt fails, the
first answer is still given; a retry then runs the command again, which the domain makes
harmless (``request_key`` below names what the request creates, and an identical vote
records nothing). Two attempts racing each other both run; the domain stores one result.
"""

from __future__ import annotations

import hashlib
import logging
import re
from uuid import UUID

from palabre.domain.application import MemberInfo
from palabre.domain.errors import Conflict, ErrorCode, InvalidInput
from palabre.domain.ids import request_id
from palabre.server.http.plumbing import MemberHandler, read_body
from palabre.server.storage.answered import AnsweredRequests
from palabre.server.storage.store import Store
from starlette.requests import Request
from starlette.responses import Response

log = logging.getLogger("palabre.http")

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
KEY = re.compile(r"[A-Za-z0-9_.:-]{8,128}")


def request_key(request: Request) -> str | None:
    """The request's idempotency key, if it sent one; 400 if it is malformed."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not KEY.fullmatch(key):
        raise InvalidInput(
            f"{HEADER} must be 8 to 128 letters, digits or -_.: (a UUID fits)",
            code=ErrorCode.IDEMPOTENCY_KEY_INVALID,
        )
    return key


def requested_id(request: Request, member: MemberInfo, kind: str) -> UUID | None:
    """The id of what the request makes (``kind``: a comment, a suggestion...), derived from
    the member and its idempotency key, if it has one: a retry names the same thing."""
    key = request_key(request)
    return None if key is None else request_id(member.id, key, kind)


class Idempotent:
    """Wraps the handler of a POST that creates something (inside ``Authenticated``, which
    translates the errors raised here)."""

    def __init__(self, store: Store, answered: AnsweredRequests) -> None:
        self._store = store
        self._answered = answered

    def __call__(self, handler: MemberHandler) -> MemberHandler:
        async def wrapped(request: Request, member: MemberInfo) -> Response:
            key = request_key(request)
            if key is None:
                return await handler(request, member)
            fingerprint = await _fingerprint(request)
            first = await self._store.call(self._answered.get, member.id, key)
            if first is None:
                response = await handler(request, member)
                if 200 <= response.status_code < 300:
                    await self._keep(member, key, fingerprint, response)
                return response
            if first.fingerprint != fingerprint:
                raise Conflict(
                    f"this {HEADER} was used for another request",
                    code=ErrorCode.IDEMPOTENCY_KEY_REUSED,
                )
            return Response(
                first.body, first.status, headers={REPLAYED: "true"}, media_type=first.media_type
            )

        return wrapped

    async def _keep(self, member: MemberInfo, key: str, fingerprint: str, answer: Response) -> None:
        """Record the answer. If that fails the answer is still given (what it says was
        done); a retry then meets the domain's own protection."""
        media_type = answer.media_type or "application/json"
        try:
            await self._store.call(
                self._answered.record,
                member.id,
                key,
                fingerprint,
                answer.status_code,
                media_type,
                bytes(answer.body),
            )
        except Exception:
            log.warning("could not keep the answer to a request under its key", exc_info=True)


async def _fingerprint(request: Request) -> str:
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.url.path.encode(), await read_body(request)):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()
