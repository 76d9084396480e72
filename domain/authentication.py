"""Authentication: the member a secret token identifies. Mixed into the application service.

Every HTTP request and every websocket handshake authenticates, and an attacker whose
connections are closed reconnects many times a second; replaying the credential's, the
member's and the organisation's events each time kept the store's threads (and with them the
interpreter lock) busy. So the application keeps what each token's last authentication
found (:class:`KnownTokens`), with the version of each of those three aggregates it was
built from, and each authentication asks the store whether any of them has an event past
that version (one indexed query each, nothing decoded or replayed). If one has (a
revocation, a removal, a role change, a rename), the entry is dropped and the member is read
from the events again. So the answer is always the stored one: a revocation or a removal
made by any instance takes effect at the next authentication on every instance, exactly as
without the cache; only the replaying of events that did not change is saved.

In memory only, bounded (``MAX_TOKENS``, the least recently used forgotten first), and never
stores a token (keys are their SHA-256 hashes) nor a refusal (an unknown or revoked token is
looked up every time; the failed-authentication limiter bounds those). A crash or a restart
forgets it: the next authentication of each token replays its events, as before.
"""

from __future__ import annotations

import hmac
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from palabre.domain.errors import ErrorCode, NotFound, Unauthenticated
from palabre.domain.ids import credential_id_for
from palabre.domain.member import TOKEN_PREFIX, Credential, Member, hash_token
from palabre.domain.organisation import Organisation
from palabre.domain.service_parts import ServiceParts

if TYPE_CHECKING:
    from palabre.domain.application import MemberInfo

MAX_TOKEN_LENGTH = 128
MAX_TOKENS = 4096
Stamp = tuple[UUID, int]  # an aggregate, and the version of it an answer was built from
Newer = Callable[[UUID, int], bool]  # whether the store holds an event of it past that version


@dataclass(frozen=True)
class _Known:
    member: MemberInfo
    stamps: tuple[Stamp, ...]


class KnownTokens:
    """Token hash -> the member and the stamps of what it was built from. Thread-safe: the
    store's threads authenticate at once."""

    def __init__(self, newer: Newer, size: int = MAX_TOKENS) -> None:
        self._newer = newer
        self._size = size
        self._known: OrderedDict[str, _Known] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, token_hash: str) -> MemberInfo | None:
        """The member, if nothing it was built from changed since; None otherwise."""
        with self._lock:
            known = self._known.get(token_hash)
        if known is None:
            return None
        if any(self._newer(aggregate_id, version) for aggregate_id, version in known.stamps):
            with self._lock:
                self._known.pop(token_hash, None)
            return None
        with self._lock:
            if token_hash in self._known:
                self._known.move_to_end(token_hash)
        return known.member

    def put(self, token_hash: str, member: MemberInfo, stamps: tuple[Stamp, ...]) -> None:
        with self._lock:
            self._known[token_hash] = _Known(member, stamps)
            self._known.move_to_end(token_hash)
            while len(self._known) > self._size:
                self._known.popitem(last=False)

    def __len__(self) -> int:
        return len(self._known)


class Authentication(ServiceParts):
    # Provided by the application service, besides ServiceParts.
    if TYPE_CHECKING:
        known_tokens: KnownTokens

        def _member_info(self, member: Member) -> MemberInfo: ...

    def authenticate(self, token: str) -> MemberInfo:
        """The member a token identifies; Unauthenticated for anything else."""
        if not token or len(token) > MAX_TOKEN_LENGTH or not token.startswith(TOKEN_PREFIX):
            raise Unauthenticated("missing or malformed token")
        token_hash = hash_token(token)
        known = self.known_tokens.get(token_hash)
        if known is not None:
            return known
        credential = self._credential(token_hash)
        member = self._get(Member, credential.member_id, "member")
        organisation = self._get(Organisation, member.organisation_id, "organisation")
        info = self._member_info(member)  # reads the organisation again: at least as new
        stamps = tuple((a.id, a.version) for a in (credential, member, organisation))
        self.known_tokens.put(token_hash, info, stamps)
        return info

    def _credential(self, token_hash: str) -> Credential:
        try:
            credential: Credential = self._get(
                Credential, credential_id_for(token_hash), "credential"
            )
        except NotFound:
            raise Unauthenticated("unknown token") from None
        # Found by the hash's id, so it matches; compared again in constant time, so that no
        # path ever compares a secret byte by byte.
        if not hmac.compare_digest(credential.token_hash, token_hash):
            raise Unauthenticated("unknown token")
        if credential.revoked:
            raise Unauthenticated("revoked token", code=ErrorCode.TOKEN_REVOKED)
        return credential
