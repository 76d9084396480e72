"""Roles a member holds on a document, and what each allows."""

from __future__ import annotations

from enum import StrEnum

from palabre.domain.errors import ErrorCode, InvalidInput


class Role(StrEnum):
    COORDINATOR = "coordinator"
    EDITOR = "editor"
    COMMENTER = "commenter"
    OBSERVER = "observer"

    @classmethod
    def parse(cls, value: str) -> Role:
        try:
            return cls(value)
        except ValueError:
            allowed = ", ".join(r.value for r in cls)
            raise InvalidInput(
                f"unknown role {value!r}; expected one of {allowed}", code=ErrorCode.INVALID_ROLE
            ) from None

    @property
    def can_edit(self) -> bool:
        return self in (Role.COORDINATOR, Role.EDITOR)

    @property
    def can_create_documents(self) -> bool:
        return self is Role.COORDINATOR


class Country(StrEnum):
    FR = "FR"
    TG = "TG"

    @classmethod
    def parse(cls, value: str) -> Country:
        try:
            return cls(value.upper())
        except ValueError:
            raise InvalidInput(
                f"unknown country {value!r}; expected FR or TG", code=ErrorCode.INVALID_COUNTRY
            ) from None
