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

from palabre.server.http.web import STATIC, WebClient

BUDGET = 400 * 1024


def first_load() -> list[tuple[str, int, int]]:
    """(name, raw bytes, compressed bytes) for the page and every asset it links."""
    client = WebClient(STATIC)
    if client.page is None:
        raise SystemExit("server/static/index.html is missing: run `make web`")
    rows = [("index.html", len(client.page.raw), len(client.page.compressed))]
    html = client.page.raw.decode("utf-8")
    for name in re.findall(r'/assets/([^"\']+)', html):
        asset = client.assets[name]
        rows.append((name, len(asset.raw), len(asset.compressed)))
    if client.worker is not None:
        rows.append(("sw.js", len(client.worker.raw), len(client.worker.compressed)))
    return rows


def main() -> int:
    rows = first_load()
    for name, raw, compressed in rows:
        print(f"{name:28} {raw / 1024:8.1f} KB raw {compressed / 1024:8.1f} KB gzip")
    total = sum(compressed for _, _, compressed in rows)
    print(f"first load: {total / 1024:.1f} KB compressed (budget {BUDGET // 1024} KB)")
    client, counted = WebClient(STATIC), {name for name, _, _ in rows}
    for name, asset in client.assets.items():
        if name not in counted:
            raw, packed = len(asset.raw) / 1024, len(asset.compressed) / 1024
            print(f"{name:28} {raw:8.1f} KB raw {packed:8.1f} KB gzip, loaded when needed")
    return 0 if total <= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
