"""Palabre on a weak link, measured (issue 13): 20 members on good links and 3 on ``lome-3g``
(each through a link simulator of their own, ``tests/support/link``) type at once.

- **Keystroke to screen**, both ways: stock y-websocket clients in Node
  (``tests/benchmarks/node/load.mjs fanout``, browser-like: permessage-deflate offered,
  awareness with a cursor moved at each keystroke, y-websocket's 30-second rule as shipped)
  each insert a letter at a random place ``--rate`` times a second for ``--seconds``; the time
  from one member's insert to another member's document holding it, per direction (weak to
  good, good to weak, good to good, weak to weak), p50/p95/p99, over ``--runs`` runs.
- **Nothing lost**: every insert reached every other member, every client ends with the same
  text, and the server stored exactly that text (SHA-256), in every run.
- **Bytes per keystroke on the wire**, on the ``lome-3g`` links: what a weak member sends per
  keystroke it types, and receives per keystroke the others type (deflated websocket frames,
  TCP payload; awareness included).
- **First load of the page** through ``lome-3g`` in Chromium: cold (a new browser profile,
  nothing cached) and warm (the same profile again: HTTP cache, service worker, IndexedDB),
  for the meeting's document and for a 100-page document (about 250,000 characters typed as
  450,000 keystrokes, ``tests/support/synthetic.py``): until the text shows, and until it is
  synced with the server.

Targets: p95 under 2 s while connected, cold first load under 10 s, warm under 2 s, nothing
lost. Run: ``python -m tests.benchmarks.weak [--runs 3] [--seconds 60] [--rate 2]``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import psutil  # type: ignore[import-untyped]
from palabre.domain.application import PalabreApplication
from palabre.domain.ids import DocumentId
from palabre.domain.roles import Country, Role
from palabre.server.storage.database import Database, open_application
from playwright.sync_api import BrowserContext, sync_playwright

from tests.benchmarks import stock
from tests.benchmarks.live import OtherLoad
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, invitation
from tests.support.link import PROFILES, Link, running_link
from tests.support.server import ServerProcess
from tests.support.synthetic import store_history

Json = dict[str, Any]
GOOD, WEAK = 20, 3
# The text is shown: in the editor, or in the reader a first visit shows before the live
# document has synced (client/web/src/early.js).
SHOWN = """n => {
  const page = window.palabre
  const reader = page && page.early.reader
  const shown = Math.max(page ? page.editor.view.state.doc.length : 0,
    reader ? reader.textContent.length : 0)
  return Boolean(page) && shown >= n
}"""
PAGES_100 = 450_000  # keystrokes of the 100-page document (about 250,000 characters)


# The committee --------------------------------------------------------------------------------


def committee(app: PalabreApplication, big: bool) -> tuple[Json, list[str]]:
    """Two documents (the meeting's, and a 100-page one if ``big``), a coordinator, and one
    editor per member who types."""
    meeting = app.create_document("Comité de pilotage")
    hundred = app.create_document("Référentiel de 100 pages")
    coordinator = app.add_member("Awa Koffi", "Coordination Lomé", Country.TG, Role.COORDINATOR)
    tokens = [
        app.add_member(
            f"Membre {n:02d}",
            f"Structure {n:02d}",
            Country.TG if n % 2 else Country.FR,
            Role.EDITOR,
        ).token
        for n in range(GOOD + WEAK)
    ]
    if big:
        store_history(app, DocumentId(UUID(str(hundred.id))), PAGES_100, seed=100)
    documents = {"meeting": str(meeting.id), "hundred": str(hundred.id)}
    return documents | {"coordinator": coordinator.token}, tokens


# Typing ---------------------------------------------------------------------------------------


async def typing(
    server: ServerProcess, document: str, tokens: list[str], args: Any, run: int
) -> Json:
    host, port = server.base_url.removeprefix("http://").split(":")
    links = [Link(PROFILES["lome-3g"], (host, int(port)), seed=f"{run}:{n}") for n in range(WEAK)]
    for link in links:
        await link.start()
    try:
        specs = [
            {
                "server": f"{server.ws_url}/ws",
                "room": document,
                "params": {"token": t},
                "group": "good",
            }
            for t in tokens[:GOOD]
        ] + [
            {
                "server": f"ws://{link.address[0]}:{link.address[1]}/ws",
                "room": document,
                "params": {"token": t},
                "group": "weak",
            }
            for link, t in zip(links, tokens[GOOD:], strict=True)
        ]
        config = {
            "clients": specs,
            "writers": len(specs),
            "rate": args.rate,
            "seconds": args.seconds,
            "cursor_moves": True,
            "timeout": 120,
        }
        phase = await stock.Phase.start("fanout", config)
        try:
            while (await phase.next(300)).get("event") != "connected":
                pass
            before = [dict(link.delivered) for link in links]  # the typing's bytes only
            assert server.process is not None
            ours = [server.process.pid, os.getpid(), phase.pid]
            with ServerCpu(ours[0]) as cpu, OtherLoad(ours) as other:
                message = await phase.result(args.seconds + 600)
        finally:
            await phase.kill()
        result: Json = message["result"]
        result["server_cpu"], result["other_cpu"] = cpu.cores, other.cores
        result["wire"] = [
            {way: link.delivered[way] - start[way] for way in ("up", "down")}
            for link, start in zip(links, before, strict=True)
        ]
    finally:
        for link in links:
            await link.close()
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        answer = await http.get(f"/api/documents/{document}/text", headers=_bearer(tokens[0]))
    result["stored_sha256"] = hashlib.sha256(answer.text.encode()).hexdigest()
    return result


class ServerCpu:
    """The cores the server process used while a block ran (its event loop is one thread:
    near 1.0, the server itself is what delays the deliveries)."""

    def __init__(self, pid: int) -> None:
        self._process = psutil.Process(pid)
        self._start = (0.0, 0.0)
        self.cores = 0.0

    def _sample(self) -> tuple[float, float]:
        return time.perf_counter(), sum(self._process.cpu_times()[:2])

    def __enter__(self) -> ServerCpu:
        self._start = self._sample()
        return self

    def __exit__(self, *exc: object) -> None:
        (wall, used), (wall0, used0) = self._sample(), self._start
        self.cores = (used - used0) / (wall - wall0) if wall > wall0 else 0.0


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def report_typing(results: list[Json], args: Any) -> None:
    print(f"\nkeystroke to screen ({len(results)} runs of {args.seconds} s, {args.rate}/s each)")
    columns = "".join(f"{name:>9}" for name in ("p50", "p95", "p99", "max"))
    print(f"{'direction (ms)':<16}{columns}{'lost':>8}  (median of runs)")
    for pair in ("weak->good", "good->weak", "good->good", "weak->weak"):
        rows = [r["groups"][pair] for r in results if pair in r["groups"]]
        cells = [
            statistics.median(row[key] for row in rows) for key in ("p50", "p95", "p99", "max")
        ]
        lost = sum(row["expected"] - row["delivered"] for row in rows)
        print(f"{pair:<16}" + "".join(f"{cell:>9.0f}" for cell in cells) + f"{lost:>8}")
    lost = sum(r["expected"] - r["delivered"] for r in results)
    same = all(r["converged"] and r["sha256"] == r["stored_sha256"] for r in results)
    drops = sum(r["reconnections"] for r in results)
    print(
        f"deliveries lost: {lost}; every client and the store hold the same text: {same}; "
        f"reconnections: {drops}"
    )
    loop = statistics.median(r["event_loop_p99_ms"] for r in results)
    cpu = statistics.median(r["load_cpu"] for r in results)
    served = statistics.median(r["server_cpu"] for r in results)
    others = statistics.median(r["other_cpu"] for r in results)
    print(
        f"CPU while typing, in cores of {os.cpu_count()}: the server {served:.2f}, the Node "
        f"clients {cpu:.2f} (event loop delay p99 {loop:.0f} ms), every other process on the "
        f"machine {others:.2f} (a busy machine delays every direction alike: compare with "
        "good->good)"
    )
    weak_typed = args.rate * args.seconds
    typed_by_others = (GOOD + WEAK - 1) * args.rate * args.seconds
    up = [w["up"] / weak_typed for r in results for w in r["wire"]]
    down = [w["down"] / typed_by_others for r in results for w in r["wire"]]
    print(
        f"bytes per keystroke on a lome-3g link: sent {statistics.median(up):.0f} per own "
        f"keystroke, received {statistics.median(down):.0f} per keystroke of the others "
        f"(median over {len(up)} links)"
    )


# Page loads -----------------------------------------------------------------------------------


def page_loads(server: ServerProcess, documents: Json, tokens: list[str], runs: int) -> None:
    host, port = server.base_url.removeprefix("http://").split(":")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for name, key in (("meeting document", "meeting"), ("100-page document", "hundred")):
                document = documents[key]
                length = len(_text(server, document, tokens[0]))
                cold, warm = [], []
                for run in range(runs):
                    with running_link(
                        PROFILES["lome-3g"], (host, int(port)), seed=f"load{run}"
                    ) as link:
                        link_url = invitation(
                            server, document, documents["coordinator"], tokens[run]
                        )
                        first = link_url.replace(server.base_url, link.url)
                        context = browser.new_context(viewport={"width": 1366, "height": 850})
                        context.set_default_timeout(180_000)
                        try:
                            cold.append(_load(context, first, length, settle=True))
                            warm.append(_load(context, f"{link.url}/d/{document}", length))
                        finally:
                            context.close()
                print(
                    f"\nfirst load through lome-3g, {name} ({length:,} characters, "
                    f"{_text_sent(server, document, tokens[0]):,} bytes as /text sends it), "
                    f"median of {runs} (s): text shown / synced"
                )
                for label, values in (("cold", cold), ("warm", warm)):
                    shown = statistics.median(v[0] for v in values)
                    synced = statistics.median(v[1] for v in values)
                    print(f"  {label}: {shown:.1f} / {synced:.1f}")
        finally:
            browser.close()


def _load(
    context: BrowserContext, url: str, length: int, *, settle: bool = False
) -> tuple[float, float]:
    """One load, timed; ``settle``: then wait until the service worker is active (its install
    has kept the release), so that the next load in the context is a warm one with it."""
    page = context.new_page()
    started = time.monotonic()
    answer = page.goto(url)
    page.wait_for_function(SHOWN, arg=length)
    shown = time.monotonic() - started
    page.locator(".status[data-state='saved']").wait_for()
    synced = time.monotonic() - started
    if settle:
        page.evaluate("async () => { await navigator.serviceWorker.ready }")
    page.close()
    worker = answer is not None and answer.from_service_worker
    print(f"  one load: {shown:.1f} / {synced:.1f} s, page from the service worker: {worker}")
    return shown, synced


def _text(server: ServerProcess, document: str, token: str) -> str:
    return httpx.get(
        f"{server.base_url}/api/documents/{document}/text", headers=_bearer(token)
    ).text


def _text_sent(server: ServerProcess, document: str, token: str) -> int:
    """What ``GET .../text`` puts on the wire for a browser (gzip-compressed)."""
    headers = _bearer(token) | {"Accept-Encoding": "gzip, deflate, br"}
    url = f"{server.base_url}/api/documents/{document}/text"
    with httpx.stream("GET", url, headers=headers) as answer:
        return sum(len(chunk) for chunk in answer.iter_raw())


# Running --------------------------------------------------------------------------------------


def timed(what: str, work: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    value = work()
    print(f"{what}: {time.perf_counter() - started:.0f} s")
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--rate", type=float, default=2.0, help="keystrokes per second each")
    parser.add_argument("--no-pages", action="store_true", help="skip the page loads")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{Path(directory) / 'weak.sqlite3'}"
        app = open_application(Database(url))
        try:
            documents, tokens = timed(
                "built the committee and a 100-page document",
                lambda: committee(app, not args.no_pages),
            )
        finally:
            app.close()
        server = ServerProcess(url).start()
        try:
            results = [
                asyncio.run(typing(server, documents["meeting"], tokens, args, run))
                for run in range(args.runs)
            ]
            report_typing(results, args)
            if not args.no_pages:
                page_loads(server, documents, tokens, args.runs)
        finally:
            server.kill()


if __name__ == "__main__":
    main()
