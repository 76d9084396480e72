"""The web page's first-load weight: what a browser downloads to show it the first time (the
page, the JavaScript and CSS it links, modulepreloaded chunks included, and the service worker
it registers; no fonts: the page uses the system's), compressed as the server sends it. The
worker's install takes the assets from the browser's HTTP cache (they are immutable), so they
are not counted twice. Chunks the page loads only when needed (the Markdown renderer) are
listed after the total, not in it. Budget: 400 KB. Prints one line per file and the total;
exit status 1 over budget.

    python -m tests.benchmarks.web_weight
"""

from __future__ import annotations

import re
import sys

from palabre.server.http.web import STATIC, Asset, WebClient

BUDGET = 400 * 1024


Row = tuple[str, int, int, int]  # name, raw, gzip and brotli bytes (gzip when no brotli)


def sizes(name: str, asset: Asset) -> Row:
    brotli = asset.brotli if asset.brotli is not None else asset.compressed
    return (name, len(asset.raw), len(asset.compressed), len(brotli))


def first_load(client: WebClient) -> list[Row]:
    """The page, every asset it links (modulepreloads included) and the service worker."""
    if client.page is None:
        raise SystemExit("server/static/index.html is missing: run `make web`")
    rows = [sizes("index.html", client.page)]
    html = client.page.raw.decode("utf-8")
    for name in re.findall(r'/assets/([^"\']+)', html):
        rows.append(sizes(name, client.assets[name]))
    if client.worker is not None:
        rows.append(sizes("sw.js", client.worker))
    return rows


def line(row: Row, note: str = "") -> str:
    name, raw, packed, brotli = row
    kb = [size / 1024 for size in (raw, packed, brotli)]
    return f"{name:28} {kb[0]:8.1f} KB raw {kb[1]:8.1f} KB gzip {kb[2]:8.1f} KB brotli{note}"


def main() -> int:
    client = WebClient(STATIC)
    rows = first_load(client)
    for row in rows:
        print(line(row))
    total = sum(packed for _, _, packed, _ in rows)
    brotli = sum(brotli for _, _, _, brotli in rows)
    print(
        f"first load: {total / 1024:.1f} KB gzip (budget {BUDGET // 1024} KB), "
        f"{brotli / 1024:.1f} KB to a browser that accepts brotli"
    )
    counted = {row[0] for row in rows}
    for name, asset in client.assets.items():
        if name not in counted:
            print(line(sizes(name, asset), ", loaded when needed"))
    return 0 if total <= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
