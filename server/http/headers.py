"""Security headers on every HTTP answer (the page, its assets, the API, errors, event
streams), set by one ASGI middleware in the app's stack, so that no route can forget them:

- ``Content-Security-Policy``: scripts, styles, images, workers and connections from the
  server's own origin only (plus websockets and inline styles, which CodeMirror sets), no
  plugins, no ``<base>``, no framing (``frame-ancestors 'none'``), forms post nowhere else;
- ``X-Content-Type-Options: nosniff``; ``Referrer-Policy: no-referrer`` (the page's address
  may carry an invitation secret in its fragment, and tokens travel in query strings of
  downloads and event streams); ``X-Frame-Options: DENY`` for browsers without CSP 2.

A header a route set itself is kept. Stateless: nothing to lose in a crash.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; connect-src 'self' ws: wss:; "
    "img-src 'self' data:; style-src 'self' 'unsafe-inline'; font-src 'self'; "
    "worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self._app(scope, receive, with_headers)
