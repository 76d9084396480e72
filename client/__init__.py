"""Talking to a Palabre server from outside, through its public HTTP and websocket interfaces.

Never imports the server, domain or projections packages."""

from palabre.client.http import PalabreClient, PalabreHTTPError
from palabre.client.live import LiveDocument, LiveError

__all__ = ["LiveDocument", "LiveError", "PalabreClient", "PalabreHTTPError"]
