"""What the application service (``application.py``) gives its command mixins: loading,
saving and listing aggregates, finding what an earlier attempt of a request made, and
reading documents and members. Declared here once, for the type checker only: at run time
the mixins find these methods on ``PalabreApplication``, which defines them. Nothing here
runs, so nothing here can fail."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

if TYPE_CHECKING:
    from eventsourcing.application import EventSourcedLog
    from palabre.domain.application import DocumentInfo, Listed, MemberInfo

A = TypeVar("A")


class ServiceParts:
    if TYPE_CHECKING:

        def _get(self, cls: type[Any], aggregate_id: UUID, what: str) -> Any: ...
        def _commit(self, *aggregates: Any) -> None: ...
        def _save_listed(self, kind: str, aggregate: Any, *others: Any) -> None: ...
        def _catalogue(self, kind: str) -> EventSourcedLog[Listed]: ...
        def _requested(
            self,
            cls: type[A],
            request_id: UUID | None,
            document_id: UUID,
            author_id: UUID | None = None,
        ) -> A | None: ...
        def document(self, document_id: UUID) -> DocumentInfo: ...
        def member(self, member_id: UUID) -> MemberInfo: ...
