"""What the command mixins (``*_commands.py``) use of the application service they are mixed
into (``application.py``), declared once for the type checker. At run time
:class:`ApplicationHost` is an empty base class: the application service provides all of it,
and :class:`~palabre.domain.committee_commands.CommitteeCommands` the checks of who may act.
Nothing here stores anything."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

if TYPE_CHECKING:
    from eventsourcing.application import EventSourcedLog
    from palabre.domain.application import DocumentInfo, Listed, MemberInfo
    from palabre.domain.document import Document
    from palabre.domain.roles import Role


class ApplicationHost:
    if TYPE_CHECKING:

        def _get(self, cls: type[Any], aggregate_id: UUID, what: str) -> Any: ...
        def _commit(self, *aggregates: Any) -> None: ...
        def _save_listed(self, kind: str, aggregate: Any, *others: Any) -> None: ...
        def _catalogue(self, kind: str) -> EventSourcedLog[Listed]: ...
        def document(self, document_id: UUID) -> DocumentInfo: ...
        def member(self, member_id: UUID) -> MemberInfo: ...

        # Who may act (CommitteeCommands).
        def _as(
            self, document_id: UUID, roles: tuple[Role, ...], refusal: str = ""
        ) -> Document: ...
        def _author(
            self, document_id: UUID, roles: tuple[Role, ...], refusal: str, operator_refusal: str
        ) -> UUID: ...
