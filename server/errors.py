"""The server's own errors, beside the domain's (``palabre.domain.errors``): both are turned
into HTTP statuses, close codes and exit statuses only at the edges. Each carries its machine
code from the one registry, :class:`~palabre.domain.errors.ErrorCode`."""

from __future__ import annotations

from palabre.domain.errors import ErrorCode, InvalidInput, PalabreError


class PayloadTooLarge(InvalidInput):
    """A request body above the limit."""

    code = ErrorCode.PAYLOAD_TOO_LARGE


class StoreUnavailable(PalabreError):
    """The store did not answer in time: nothing was decided, the client may try again."""

    code = ErrorCode.UNAVAILABLE


class TooManyFailures(PalabreError):
    """Too many failed authentications from one address: try again later."""

    code = ErrorCode.TOO_MANY_REQUESTS


class CoolingDown(PalabreError):
    """A member (or token) whose connection was just closed for hostile input, reconnecting
    within its cool-down: try again later."""

    code = ErrorCode.TOO_MANY_REQUESTS
