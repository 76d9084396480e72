"""Translation of errors at the HTTP edge (the websocket edge uses close codes, the command
line exit statuses). The status comes from the error's class; the machine code from the error
itself (the domain names a precise one where a person may meet the error, else its class's
generic code). Every code is an :class:`~palabre.domain.errors.ErrorCode`: one registry,
listed in the README and translated by the web page."""

from __future__ import annotations

from palabre.domain.errors import (
    Conflict,
    ErrorCode,
    Forbidden,
    InvalidInput,
    NotFound,
    PalabreError,
    PositionConflict,
    Unauthenticated,
)
from palabre.projections.history_replay import UnreadableHistory
from palabre.server.errors import PayloadTooLarge, StoreUnavailable, TooManyFailures

HTTP_STATUS: dict[type[PalabreError], int] = {
    InvalidInput: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    PositionConflict: 409,
    PayloadTooLarge: 413,
    UnreadableHistory: 422,
    TooManyFailures: 429,
    StoreUnavailable: 503,
}


def http_status(error: PalabreError) -> tuple[int, str]:
    """The HTTP status and the machine code of an error answer."""
    for cls in type(error).__mro__:
        if cls in HTTP_STATUS:
            return HTTP_STATUS[cls], error.code.value
    return 500, ErrorCode.INTERNAL_ERROR.value
