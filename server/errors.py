"""The server's own errors, beside the domain's (``palabre.domain.errors``): both are turned
into HTTP statuses, close codes and exit statuses only at the edges."""

from __future__ import annotations

from palabre.domain.errors import InvalidInput, PalabreError


class PayloadTooLarge(InvalidInput):
    """A request body above the limit."""


class StoreUnavailable(PalabreError):
    """The store did not answer in time: nothing was decided, the client may try again."""


class TooManyFailures(PalabreError):
    """Too many failed authentications from one address: try again later."""
