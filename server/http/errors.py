"""Translation of errors at the HTTP edge (the websocket edge uses close codes, the command
line exit statuses): each error class to its status and machine code."""

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
from palabre.projections.history_index import UnreadableHistory
from palabre.server.errors import PayloadTooLarge, StoreUnavailable, TooManyFailures

HTTP_STATUS: dict[type[PalabreError], tuple[int, str]] = {
    InvalidInput: (400, "invalid_input"),
    Unauthenticated: (401, "unauthenticated"),
    Forbidden: (403, "forbidden"),
    NotFound: (404, "not_found"),
    Conflict: (409, "conflict"),
    PositionConflict: (409, "conflict"),
    PayloadTooLarge: (413, "payload_too_large"),
    UnreadableHistory: (422, "history_unreadable"),
    TooManyFailures: (429, "too_many_requests"),
    StoreUnavailable: (503, "unavailable"),
}


def http_status(error: PalabreError) -> tuple[int, str]:
    for cls in type(error).__mro__:
        if cls in HTTP_STATUS:
            return HTTP_STATUS[cls]
    return 500, "internal_error"
