"""Translation of domain errors at the HTTP edge (the websocket edge uses close codes)."""

from __future__ import annotations

from palabre.domain.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PalabreError,
    PositionConflict,
    Unauthenticated,
)

HTTP_STATUS: dict[type[PalabreError], tuple[int, str]] = {
    InvalidInput: (400, "invalid_input"),
    Unauthenticated: (401, "unauthenticated"),
    Forbidden: (403, "forbidden"),
    NotFound: (404, "not_found"),
    Conflict: (409, "conflict"),
    PositionConflict: (409, "conflict"),
}


def http_status(error: PalabreError) -> tuple[int, str]:
    for cls in type(error).__mro__:
        if cls in HTTP_STATUS:
            return HTTP_STATUS[cls]
    return 500, "internal_error"


class PayloadTooLarge(InvalidInput):
    """A request body above the limit."""


HTTP_STATUS[PayloadTooLarge] = (413, "payload_too_large")


class StoreUnavailable(PalabreError):
    """The store did not answer in time: nothing was decided, the client may try again."""


HTTP_STATUS[StoreUnavailable] = (503, "unavailable")
