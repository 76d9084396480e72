"""Partner organisations [structures], each in one country."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event
from palabre.domain.actor import acting_member
from palabre.domain.errors import ErrorCode, InvalidInput
from palabre.domain.ids import organisation_id_for
from palabre.domain.roles import Country

MAX_NAME_LENGTH = 200


def clean_name(name: str, what: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise InvalidInput(f"{what} needs a name", code=ErrorCode.NAME_REQUIRED)
    if len(cleaned) > MAX_NAME_LENGTH:
        raise InvalidInput(
            f"{what} name has at most {MAX_NAME_LENGTH} characters", code=ErrorCode.NAME_TOO_LONG
        )
    return cleaned


class Organisation(Aggregate):
    @staticmethod
    def create_id(name: str, **_: Any) -> UUID:
        return organisation_id_for(name)

    @classmethod
    def register(cls, name: str, country: Country) -> Organisation:
        return cls(
            name=clean_name(name, "an organisation"),
            country=country.value,
            registered_by=acting_member.get(),
        )

    @event("Registered")
    def __init__(self, name: str, country: str, registered_by: UUID | None) -> None:
        self.name = name
        self.country = Country(country)
        self.registered_by = registered_by
