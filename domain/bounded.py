"""Bounded values from the network, checked once: printable texts of a known length, lists of
a known size, flags, calendar dates and SHA-256 digests. Every field of an interview goes
through here before it reaches an event (and, from there, exports and every reader); comments
and suggestions check their texts here too, under error codes of their own."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from palabre.domain.errors import ErrorCode, InvalidInput

ALLOWED_CONTROLS = frozenset("\n\t")
SHA256_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class TextCodes:
    """The error codes of a refused text: not text (or with control characters), empty, too
    long."""

    invalid: ErrorCode
    required: ErrorCode
    too_long: ErrorCode


GENERIC = TextCodes(ErrorCode.INVALID_INPUT, ErrorCode.INVALID_INPUT, ErrorCode.INVALID_INPUT)


def text(
    value: object,
    name: str,
    limit: int,
    *,
    required: bool = True,
    strip: bool = True,
    codes: TextCodes = GENERIC,
) -> str:
    """A printable text of at most ``limit`` characters, stripped of outer blanks unless
    ``strip`` is False (a quote keeps them; it must still hold more than blanks when
    ``required``)."""
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be a string", code=codes.invalid)
    cleaned = value.strip() if strip else value
    if required and not cleaned.strip():
        raise InvalidInput(f"{name} must not be empty", code=codes.required)
    if len(cleaned) > limit:
        raise InvalidInput(f"{name} is longer than {limit} characters", code=codes.too_long)
    if any(c < " " and c not in ALLOWED_CONTROLS for c in cleaned) or "\x7f" in cleaned:
        raise InvalidInput(f"{name} holds control characters", code=codes.invalid)
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
