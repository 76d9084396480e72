"""What an interview [entretien] says about itself, notes apart: the organisations heard, the
date, the mode and place, who led it, the people met, the summary, the attachments (by name
and SHA-256, never the file), whether it may be quoted and whether its notes are
confidential. Parsed and bounded once from what the network sends (``Details.parse``), then
stored in events in a plain form (``fields``) that never changes meaning."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from uuid import UUID

from palabre.domain import bounded
from palabre.domain.errors import InvalidInput
from palabre.domain.ids import parse_id

MODES = ("on_site", "video", "phone")  # sur place, visio, téléphone
MAX_SUMMARY = 5_000  # characters: what every member reads
MAX_NOTES = 30_000  # characters: what the interviewers wrote down
MAX_LINE = 200  # a name, a place, a function, a file name
MAX_ORGANISATIONS = 20
MAX_LEADERS = 10
MAX_PEOPLE = 50
MAX_ATTACHMENTS = 20
FIELDS = (
    "organisation_ids",
    "date",
    "mode",
    "place",
    "led_by",
    "people",
    "summary",
    "attachments",
    "quotable",
    "confidential",
)
REQUIRED = ("organisation_ids", "date", "mode", "led_by")


@dataclass(frozen=True)
class Person:
    """Someone met: a name only if they agreed to be named, their function, their
    organisation (one of the interview's)."""

    name: str | None
    function: str | None
    organisation_id: UUID | None


@dataclass(frozen=True)
class Attachment:
    """A file kept elsewhere (a recording, a signed form), named and fingerprinted."""

    name: str
    sha256: str


@dataclass(frozen=True)
class Details:
    organisation_ids: tuple[UUID, ...]
    date: str  # YYYY-MM-DD
    mode: str  # on_site, video or phone
    place: str
    led_by: tuple[UUID, ...]  # the members who led it: they may edit it and read its notes
    people: tuple[Person, ...]
    summary: str  # Markdown, read by every member
    attachments: tuple[Attachment, ...]
    quotable: bool
    confidential: bool  # True: only coordinators and the interviewers read the notes

    @classmethod
    def parse(cls, body: Mapping[str, object]) -> Details:
        """A new interview's details; ``notes`` may come along (the caller takes them)."""
        _known(body, (*FIELDS, "notes"))
        missing = [name for name in REQUIRED if name not in body]
        if missing:
            raise InvalidInput(f"field {missing[0]!r} is required")
        blank = cls((), "", "", "", (), (), "", (), quotable=False, confidential=True)
        return blank.revised(body)

    def revised(self, body: Mapping[str, object]) -> Details:
        """These details with the fields present in ``body`` replaced (``notes`` ignored)."""
        _known(body, (*FIELDS, "notes"))
        changed: dict[str, Any] = {
            name: PARSERS[name](body[name]) for name in FIELDS if name in body
        }
        details = replace(self, **changed)
        details._check_people()
        return details

    def _check_people(self) -> None:
        for person in self.people:
            if person.organisation_id not in (None, *self.organisation_ids):
                raise InvalidInput("a person met belongs to one of the organisations heard")

    # Stored form -----------------------------------------------------------------------------

    def fields(self) -> dict[str, Any]:
        """Plain JSON values, as events store them."""
        return {
            "organisation_ids": [str(i) for i in self.organisation_ids],
            "date": self.date,
            "mode": self.mode,
            "place": self.place,
            "led_by": [str(i) for i in self.led_by],
            "people": [
                {
                    "name": p.name,
                    "function": p.function,
                    "organisation_id": None
                    if p.organisation_id is None
                    else str(p.organisation_id),
                }
                for p in self.people
            ],
            "summary": self.summary,
            "attachments": [{"name": a.name, "sha256": a.sha256} for a in self.attachments],
            "quotable": self.quotable,
            "confidential": self.confidential,
        }

    @classmethod
    def from_fields(cls, fields: Mapping[str, Any]) -> Details:
        return cls(
            organisation_ids=tuple(UUID(str(i)) for i in fields["organisation_ids"]),
            date=str(fields["date"]),
            mode=str(fields["mode"]),
            place=str(fields["place"]),
            led_by=tuple(UUID(str(i)) for i in fields["led_by"]),
            people=tuple(_stored_person(p) for p in fields["people"]),
            summary=str(fields["summary"]),
            attachments=tuple(
                Attachment(str(a["name"]), str(a["sha256"])) for a in fields["attachments"]
            ),
            quotable=bool(fields["quotable"]),
            confidential=bool(fields["confidential"]),
        )

    def changes_from(self, before: Details) -> dict[str, Any]:
        """The stored fields that differ from ``before``."""
        old, new = before.fields(), self.fields()
        return {name: new[name] for name in FIELDS if new[name] != old[name]}


def _known(body: Mapping[str, object], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise InvalidInput(f"unknown field {unknown[0]!r}; expected {', '.join(allowed)}")


def _ids(value: object, name: str, limit: int) -> tuple[UUID, ...]:
    listed = bounded.items(value, name, limit, required=True)
    ids = [parse_id(v if isinstance(v, str) else "", f"{name} item") for v in listed]
    if len(set(ids)) != len(ids):
        raise InvalidInput(f"{name} names the same one twice")
    return tuple(ids)


def _mode(value: object) -> str:
    if value not in MODES:
        raise InvalidInput(f"mode is one of {', '.join(MODES)}")
    return str(value)


def _person(value: object) -> Person:
    if not isinstance(value, Mapping) or set(value) - {"name", "function", "organisation_id"}:
        raise InvalidInput('each person met is {"name", "function", "organisation_id"}')
    organisation = value.get("organisation_id")
    return Person(
        name=bounded.optional_line(value.get("name"), "people.name", MAX_LINE),
        function=bounded.optional_line(value.get("function"), "people.function", MAX_LINE),
        organisation_id=None
        if organisation is None
        else parse_id(organisation if isinstance(organisation, str) else "", "organisation id"),
    )


def _attachment(value: object) -> Attachment:
    if not isinstance(value, Mapping) or set(value) != {"name", "sha256"}:
        raise InvalidInput('each attachment is {"name", "sha256"}: a file name and its SHA-256')
    return Attachment(
        bounded.line(value["name"], "attachments.name", MAX_LINE),
        bounded.sha256_hex(value["sha256"], "attachments.sha256"),
    )


def _stored_person(fields: Mapping[str, Any]) -> Person:
    organisation = fields.get("organisation_id")
    return Person(
        fields.get("name"),
        fields.get("function"),
        None if organisation is None else UUID(organisation),
    )


PARSERS: dict[str, Any] = {
    "organisation_ids": lambda v: _ids(v, "organisation_ids", MAX_ORGANISATIONS),
    "date": lambda v: bounded.calendar_date(v, "date"),
    "mode": _mode,
    "place": lambda v: "" if v is None else bounded.line(v, "place", MAX_LINE, required=False),
    "led_by": lambda v: _ids(v, "led_by", MAX_LEADERS),
    "people": lambda v: tuple(_person(p) for p in bounded.items(v, "people", MAX_PEOPLE)),
    "summary": lambda v: bounded.text(v, "summary", MAX_SUMMARY, required=False),
    "attachments": lambda v: tuple(
        _attachment(a) for a in bounded.items(v, "attachments", MAX_ATTACHMENTS)
    ),
    "quotable": lambda v: bounded.flag(v, "quotable"),
    "confidential": lambda v: bounded.flag(v, "confidential"),
}


def clean_notes(value: object) -> str:
    """Notes: Markdown, up to MAX_NOTES characters; empty means none."""
    if value is None:
        return ""
    return bounded.text(value, "notes", MAX_NOTES, required=False)
