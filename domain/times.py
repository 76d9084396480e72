"""Times as the committee gives them: ISO-8601 with an offset, always. Without one, "10:00"
could be Paris or Lomé time, an hour apart in winter."""

from __future__ import annotations

from datetime import datetime

from palabre.domain.errors import InvalidInput


def parse_time(raw: str, name: str) -> datetime:
    """An ISO-8601 time with its offset (``Z`` or ``+01:00``); InvalidInput naming ``name``
    otherwise."""
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"{name} is an ISO-8601 time, not {raw!r}") from None
    if parsed.tzinfo is None:
        raise InvalidInput(f"{name} needs a time zone offset (Z, +01:00...): {raw!r}")
    return parsed
