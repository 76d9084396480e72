"""The browser client: its page, its built assets and its service worker, shipped inside the
package (``server/static/``, built from ``client/web/`` by ``make web``), so no Node is needed
to serve.

Assets carry a content hash in their names and are cached for a year as immutable; the page
itself is revalidated on every load (``no-cache``), so a new release is picked up at once.
The service worker (``/sw.js``, served from the root so that its scope covers ``/`` and
``/d/{id}``) keeps the page and the assets of its release for opening with no network; it is
revalidated on every load too, so a new release replaces it. Everything is gzip-compressed
once, in memory; the assets also come brotli-compressed from the build (``NAME.br`` beside
``NAME``, at a quality too slow for each start). A browser gets brotli when it accepts it,
else gzip when it accepts that, else the file as it is.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from pathlib import Path

from palabre.domain.shapes import Json
from palabre.server.http.plumbing import accepts_encoding
from palabre.server.http.schema import STRING, content, operation
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

STATIC = Path(__file__).resolve().parents[1] / "static"  # server/static, built by make web
ASSET_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,120}$")
IMMUTABLE = "public, max-age=31536000, immutable"
MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".svg": "image/svg+xml",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
}
# Security headers (CSP, nosniff, no-referrer, no framing) come from ``headers.py``, on every
# answer; a route's own Content-Security-Policy (the service worker's) is kept.
PAGE_HEADERS = {"Cache-Control": "no-cache"}
WORKER_HEADERS = {
    "Cache-Control": "no-cache",
    "Content-Security-Policy": "default-src 'self'",  # a worker's policy is its script's
}


BROTLI = ".br"  # an asset's brotli-compressed twin, written by the build


@dataclass(frozen=True)
class Asset:
    media_type: str
    raw: bytes
    compressed: bytes  # gzip
    brotli: bytes | None = None


def load_asset(path: Path) -> Asset:
    raw = path.read_bytes()
    media_type = MEDIA_TYPES.get(path.suffix, "application/octet-stream")
    twin = path.with_name(path.name + BROTLI)
    brotli = twin.read_bytes() if twin.is_file() else None
    return Asset(media_type, raw, gzip.compress(raw, compresslevel=9, mtime=0), brotli)


class WebClient:
    """Serves ``index.html`` for the page routes, ``sw.js`` and ``assets/NAME``."""

    def __init__(self, root: Path = STATIC) -> None:
        index, worker = root / "index.html", root / "sw.js"
        self.page = load_asset(index) if index.is_file() else None
        self.worker = load_asset(worker) if worker.is_file() else None
        assets = root / "assets"
        files = sorted(assets.iterdir()) if assets.is_dir() else []
        self.assets = {
            path.name: load_asset(path)
            for path in files
            if path.is_file() and path.suffix != BROTLI
        }

    async def index(self, request: Request) -> Response:
        if self.page is None:
            message = b"The web client is not built: run `make web`.\n"
            return Response(message, 503, media_type="text/plain; charset=utf-8")
        return _send(request, self.page, PAGE_HEADERS)

    async def service_worker(self, request: Request) -> Response:
        if self.worker is None:
            message = b"The web client is not built: run `make web`.\n"
            return Response(message, 404, media_type="text/plain; charset=utf-8")
        return _send(request, self.worker, WORKER_HEADERS)

    async def asset(self, request: Request) -> Response:
        name = request.path_params["name"]
        asset = self.assets.get(name) if ASSET_NAME.match(name) else None
        if asset is None:
            return Response(b"no such asset\n", 404, media_type="text/plain; charset=utf-8")
        headers = {"Cache-Control": IMMUTABLE}
        return _send(request, asset, headers)


def _send(request: Request, asset: Asset, headers: dict[str, str]) -> Response:
    headers = headers | {"Vary": "Accept-Encoding"}
    if asset.brotli is not None and accepts_encoding(request, "br"):
        headers["Content-Encoding"] = "br"
        return Response(asset.brotli, media_type=asset.media_type, headers=headers)
    if accepts_encoding(request, "gzip"):
        headers["Content-Encoding"] = "gzip"
        return Response(asset.compressed, media_type=asset.media_type, headers=headers)
    return Response(asset.raw, media_type=asset.media_type, headers=headers)


def web_routes(client: WebClient | None = None) -> list[Route]:
    client = client or WebClient()
    return [
        Route("/", client.index, methods=["GET"]),
        Route("/d/{document_id}", client.index, methods=["GET"]),
        Route("/assets/{name}", client.asset, methods=["GET"]),
        Route("/sw.js", client.service_worker, methods=["GET"]),
    ]


def openapi_paths() -> Json:
    """The page, its assets and its service worker, for ``openapi.py`` to merge."""
    page = operation(
        "The web client (French by default); no token needed",
        content("the web client's page", "text/html"),
    )
    page["responses"]["503"] = content("the web client was not built", "text/plain")
    opened = page | {
        "summary": "The web client opened on one document; an invitation link carries its "
        "token in the fragment (#invite=TOKEN)"
    }
    asset = operation(
        "A built asset of the web client, named by its content hash, cached as immutable",
        content("JavaScript, CSS or a font", "*/*"),
    )
    asset["responses"]["404"] = content("no such asset", "text/plain")
    worker = operation(
        "The web client's service worker (scope /): keeps this release's page and assets to "
        "open with no network; never API answers or tokens. Revalidated on every load "
        "(no-cache)",
        content("JavaScript", "text/javascript"),
    )
    worker["responses"]["404"] = content("the web client was not built", "text/plain")
    return {
        "/": {"get": page},
        "/d/{document_id}": {"parameters": [path_text("document_id")], "get": opened},
        "/assets/{name}": {"parameters": [path_text("name")], "get": asset},
        "/sw.js": {"get": worker},
    }


def path_text(name: str) -> Json:
    """A path parameter the page takes as it comes (the page itself checks it)."""
    return {"name": name, "in": "path", "required": True, "schema": STRING}
