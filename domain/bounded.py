"""Bounded values from the network, checked once: printable texts of a known length, lists of
a known size, flags, calendar dates and SHA-256 digests. Every field of an interview goes
through here before it reaches an event (and, from there, exports and every reader)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from palabre.domain.errors import InvalidInput

ALLOWED_CONTROLS = frozenset("\n\t")
SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def text(value: object, name: str, limit: int, *, required: bool = True) -> str:
    """A printable text of at most ``limit`` characters, stripped of outer blanks."""
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be a string")
    cleaned = value.strip()
    if required and not cleaned:
        raise InvalidInput(f"{name} must not be empty")
    if len(cleaned) > limit:
        raise InvalidInput(f"{name} is longer than {limit} characters")
    if any(c < " " and c not in ALLOWED_CONTROLS for c in cleaned) or "\x7f" in cleaned:
        raise InvalidInput(f"{name} holds control characters")
    return cleaned


def line(value: object, name: str, limit: int, *, required: bool = True) -> str:
    """A text on one line (a name, a place): inner runs of blanks become one space."""
    return " ".join(text(value, name, limit, required=required).split())


def optional_line(value: object, name: str, limit: int) -> str | None:
    if value is None:
        return None
    return line(value, name, limit, required=False) or None


def items(value: object, name: str, limit: int, *, required: bool = False) -> Sequence[object]:
    """A JSON array of at most ``limit`` items (at least one when ``required``)."""
    if not isinstance(value, list):
        raise InvalidInput(f"{name} must be a list")
    if required and not value:
        raise InvalidInput(f"{name} must not be empty")
    if len(value) > limit:
        raise InvalidInput(f"{name} holds more than {limit} items")
    return value


def flag(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"{name} must be true or false")
    return value


def calendar_date(value: object, name: str) -> str:
    """A calendar date, ``YYYY-MM-DD``."""
    if not isinstance(value, str) or len(value) != 10:
        raise InvalidInput(f"{name} is a date, YYYY-MM-DD")
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise InvalidInput(f"{name} is a date, YYYY-MM-DD, not {value!r}") from None


def sha256_hex(value: object, name: str) -> str:
    """A SHA-256 digest as 64 lowercase hexadecimal digits."""
    if not isinstance(value, str) or not SHA256_HEX.fullmatch(value.lower()):
        raise InvalidInput(f"{name} is a SHA-256 digest: 64 hexadecimal digits")
    return value.lower()
