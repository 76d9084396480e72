"""The people of a committee for in-process domain tests: a document and one member of each
role from five organisations (``People``, the ``people`` fixture in ``conftest.py``), and
``acting``, which makes a member (or the operator, None) the author of the commands run in it,
as a request or the command line does."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from uuid import UUID

from palabre.domain.actor import acting_member
from palabre.domain.application import PalabreApplication
from palabre.domain.ids import DocumentId
from palabre.domain.roles import Country, Role


@dataclass(frozen=True)
class People:
    document_id: DocumentId
    coordinator: UUID
    editor: UUID
    editor2: UUID
    commenter: UUID
    observer: UUID


def committee_of(application: PalabreApplication) -> People:
    """A new document; its coordinator's and editors' organisations vote."""
    document = application.create_document("Référentiel commun")

    def add(name: str, organisation: str, country: Country, role: Role) -> UUID:
        votes = role in (Role.COORDINATOR, Role.EDITOR)
        issued = application.add_member(name, organisation, country, role, document.id, votes)
        return issued.member.id

    return People(
        document_id=document.id,
        coordinator=add("Awa Koffi", "Coordination Lomé", Country.TG, Role.COORDINATOR),
        editor=add("Yann Le Gall", "Chambre régionale de l'ESS", Country.FR, Role.EDITOR),
        editor2=add("Afi Mensah", "Fédération des ONG du Togo", Country.TG, Role.EDITOR),
        commenter=add("Maëlle Tanguy", "Université", Country.FR, Role.COMMENTER),
        observer=add("Kodjo Amegah", "Association Akwaba", Country.TG, Role.OBSERVER),
    )


@contextmanager
def acting(member_id: UUID | None) -> Iterator[None]:
    token = acting_member.set(member_id)
    try:
        yield
    finally:
        acting_member.reset(token)
