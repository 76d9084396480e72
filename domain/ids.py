"""Named identity shapes and the deterministic identities derived from them."""

from __future__ import annotations

from typing import NewType
from uuid import UUID, uuid5

from palabre.domain.errors import ErrorCode, InvalidInput

DocumentId = NewType("DocumentId", UUID)
MemberId = NewType("MemberId", UUID)
OrganisationId = NewType("OrganisationId", UUID)

# Fixed namespace: every identity derived below is stable across processes and years.
NAMESPACE = UUID("4f1b2f0e-8a5e-5d2c-9c61-70616c616272")


def contribution_log_id(document_id: DocumentId) -> UUID:
    """The stream holding one document's contributions, in order."""
    return uuid5(NAMESPACE, f"contributions:{document_id}")


def organisation_id_for(name: str) -> OrganisationId:
    """Organisations are identified by their name, compared without case or outer spaces."""
    return OrganisationId(uuid5(NAMESPACE, f"organisation:{' '.join(name.split()).casefold()}"))


def credential_id_for(token_hash: str) -> UUID:
    return uuid5(NAMESPACE, f"credential:{token_hash}")


def catalogue_id(kind: str) -> UUID:
    return uuid5(NAMESPACE, f"catalogue:{kind}")


def request_id(member_id: UUID, key: str, kind: str) -> UUID:
    """What one member's request under an idempotency key creates (``kind``: a comment, a
    reply...) or left as a receipt: the same key again names the same thing."""
    return uuid5(NAMESPACE, f"request:{kind}:{member_id}:{key}")


def parse_id(value: str, what: str = "id") -> UUID:
    try:
        return UUID(value)
    except (ValueError, TypeError, AttributeError):
        raise InvalidInput(f"malformed {what}: {value!r}", code=ErrorCode.MALFORMED_ID) from None
