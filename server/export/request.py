"""What a reader asks for, from the query string or the command line, checked once: every
bad parameter is an InvalidInput (400) that names it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from palabre.domain.errors import InvalidInput
from palabre.domain.times import parse_time
from palabre.server.export.formats import FORMATS
from palabre.server.export.labels import LABELS
from palabre.server.export.model import ExportOptions

WHOLE_NUMBER = re.compile(r"[0-9]{1,12}")
ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){0,2}")
COMMENTS = ("open", "all")
SUGGESTIONS = COMMENTS
FLAGS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}
PARAMETERS = (
    "format",
    "version",
    "at",
    "lang",
    "tz",
    "comments",
    "suggestions",
    "contributors",
    "sources",
    "changes",
    "generated_at",
)


@dataclass(frozen=True)
class ExportRequest:
    """Which text (a version, a position, or the current text when both are None), and how."""

    version: int | None
    at: int | None
    options: ExportOptions


def parse_request(query: Mapping[str, str]) -> ExportRequest:
    unknown = sorted(set(query) - set(PARAMETERS) - {"token"})
    if unknown:
        raise InvalidInput(f"unknown parameter {unknown[0]!r}; expected {', '.join(PARAMETERS)}")
    fmt = query.get("format", "")
    if fmt not in FORMATS:
        raise InvalidInput(f"format is one of {', '.join(FORMATS)}, not {fmt!r}")
    if "version" in query and "at" in query:
        raise InvalidInput("give version=N or at=POSITION, not both")
    lang = query.get("lang", "fr")
    if lang not in LABELS:
        raise InvalidInput(f"lang is fr or en, not {lang!r}")
    comments = query.get("comments")
    if comments is not None and comments not in COMMENTS:
        raise InvalidInput(f"comments is open or all, not {comments!r}")
    suggestions = query.get("suggestions")
    if suggestions is not None and suggestions not in SUGGESTIONS:
        raise InvalidInput(f"suggestions is open or all, not {suggestions!r}")
    contributors = _flag(query, "contributors")
    changes = _number(query["changes"], "changes") if "changes" in query else None
    if changes is not None and ("at" in query or changes < 1):
        raise InvalidInput("changes=N (a version) goes with version=M or the current text")
    options = ExportOptions(
        format=fmt,
        lang=lang,
        zone=zone(query.get("tz", "UTC")),
        comments=comments,
        contributors=contributors,
        sources=_flag(query, "sources"),
        changes=changes,
        suggestions=suggestions,
        generated_at=parse_time(query["generated_at"], "generated_at")
        if "generated_at" in query
        else None,
    )
    version = _number(query["version"], "version") if "version" in query else None
    at = _number(query["at"], "at") if "at" in query else None
    if version is not None and version < 1:
        raise InvalidInput("versions are numbered from 1")
    if version is not None and changes is not None and changes >= version:
        raise InvalidInput(f"changes={changes} must name a version before v{version}")
    return ExportRequest(version, at, options)


def _flag(query: Mapping[str, str], name: str) -> bool:
    value = query.get(name, "false").lower()
    if value not in FLAGS:
        raise InvalidInput(f"{name} is true or false, not {value!r}")
    return FLAGS[value]


def zone(name: str) -> ZoneInfo:
    """An IANA time zone (``Africa/Lome``, ``Europe/Paris``, ``UTC``)."""
    if len(name) > 64 or not ZONE_NAME.fullmatch(name):
        raise InvalidInput(f"tz is an IANA time zone such as Africa/Lome, not {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"unknown time zone {name!r}") from None


def _number(raw: str, name: str) -> int:
    if not WHOLE_NUMBER.fullmatch(raw):
        raise InvalidInput(f"{name} is a whole number, not {raw!r}")
    return int(raw)
