"""The network fuzz campaign: hostile websocket frames against one document of a real server
while members edit another, then every read of the attacked document and ``palabre verify``.

    python -m tests.campaigns.fuzz --frames 1000000      # the long run (see the README)
    python -m tests.campaigns.fuzz --seconds 60          # what the test suite runs

Pass criteria (each checked, the report printed as JSON): the server process never dies; no
uncaught traceback in its log; every connection the attacker loses is closed with a named
close code; the other document's editing latency (median, typed in one client and seen in
another) stays within twice its unattacked median (plus 10 ms, the timer's noise on a shared
machine); the server's memory stays under 300 MB; afterwards every read of the attacked
document answers 200 (text, history, authorship, the text at a position, exports) and
``palabre verify`` passes for both documents.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import orjson
import psutil  # type: ignore[import-untyped]
from palabre.client import LiveDocument
from palabre.domain.roles import Country, Role
from palabre.server.live.close_codes import CloseCode
from palabre.server.storage.database import Database, open_application

from tests.support.cli import palabre
from tests.support.server import REPO, ServerProcess

ATTACKERS = 4
MAX_RSS_MB = 300
NAMED = {int(code) for code in CloseCode}


@dataclass
class Cast:
    attacked: str
    quiet: str
    coordinator: str
    attackers: list[str]
    typists: tuple[str, str]


@dataclass
class Report:
    attack: dict[str, Any] = field(default_factory=dict)
    baseline_ms: float = 0.0
    attacked_ms: float = 0.0
    peak_rss_mb: float = 0.0
    reads: dict[str, int] = field(default_factory=dict)
    verify: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "attack": self.attack,
            "latency_median_ms": {"unattacked": self.baseline_ms, "attacked": self.attacked_ms},
            "peak_rss_mb": self.peak_rss_mb,
            "reads": self.reads,
            "verify": self.verify,
            "problems": self.problems,
        }


def cast(database_url: str) -> Cast:
    app = open_application(Database(database_url))
    try:
        attacked, quiet = app.create_document("Attaqué"), app.create_document("Tranquille")
        coordinator = app.add_member("Awa Koffi", "Coordination", Country.TG, Role.COORDINATOR)

        def editor(name: str, document: Any) -> str:
            return app.add_member(name, "Structure", Country.FR, Role.EDITOR, document.id).token

        return Cast(
            attacked=str(attacked.id),
            quiet=str(quiet.id),
            coordinator=coordinator.token,
            attackers=[editor(f"Attaquant {k}", attacked) for k in range(ATTACKERS)],
            typists=(editor("Yann", quiet), editor("Afi", quiet)),
        )
    finally:
        app.close()


async def latencies(base_url: str, cast_: Cast, over: Callable[[], bool]) -> list[float]:
    """Type a marker in one client and time until the other sees it, ten times a second,
    until ``over()``."""
    found: list[float] = []
    async with (
        LiveDocument(base_url, cast_.quiet, cast_.typists[0]) as writer,
        LiveDocument(base_url, cast_.quiet, cast_.typists[1]) as reader,
    ):
        while not over() or not found:
            marker = f"[{uuid4().hex[:6]}]"
            started = time.monotonic()
            writer.insert(len(writer.value), marker)
            while marker not in reader.value:
                await asyncio.sleep(0.001)
            found.append((time.monotonic() - started) * 1000)
            await asyncio.sleep(0.1)
    return found


async def watch_memory(pid: int, report: Report, stop: asyncio.Event) -> None:
    process = psutil.Process(pid)
    while not stop.is_set():
        with contextlib.suppress(psutil.Error):
            rss = process.memory_info().rss / 1e6
            report.peak_rss_mb = max(report.peak_rss_mb, round(rss, 1))
        await asyncio.sleep(0.2)


async def run(database_url: str, seconds: float, frames: int, seed: int = 1) -> Report:
    report = Report()
    actors = cast(database_url)
    server = ServerProcess(database_url).start()
    try:
        assert server.process is not None
        quiet_until = time.monotonic() + 5
        baseline = await latencies(server.base_url, actors, lambda: time.monotonic() > quiet_until)
        report.baseline_ms = round(statistics.median(baseline), 2)
        stop = asyncio.Event()
        memory = asyncio.ensure_future(watch_memory(server.process.pid, report, stop))
        urls = [f"{server.ws_url}/ws/{actors.attacked}?token={t}" for t in actors.attackers]
        attacker = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.campaigns.attacker",
            str(seconds),
            str(frames),
            str(seed),
            *urls,
            cwd=REPO,
            stdout=asyncio.subprocess.PIPE,
        )
        attacking = asyncio.ensure_future(attacker.communicate())
        during = await latencies(server.base_url, actors, attacking.done)
        report.attacked_ms = round(statistics.median(during), 2)
        output, _ = await attacking
        stop.set()
        await memory
        report.attack = orjson.loads(output.splitlines()[-1]) if output else {}
        report.problems += report.attack.get("problems", ["the attacker printed nothing"])
        await check_after(server, actors, report)
    finally:
        alive = server.process is not None and server.process.poll() is None
        server.kill()
    if not alive:
        report.problems.append("the server process died")
    for bad in ("Traceback", "Exception in ASGI application"):
        if bad in server.log():
            report.problems.append(f"{bad!r} in the server log")
    for document in (actors.attacked, actors.quiet):
        result = palabre(database_url, "verify", document)
        report.verify[document] = result.returncode
        if result.returncode != 0:
            report.problems.append(f"palabre verify {document}: {result.stdout[-500:]}")
    judge(report)
    return report


async def check_after(server: ServerProcess, actors: Cast, report: Report) -> None:
    base = f"{server.base_url}/api/documents/{actors.attacked}"
    headers = {"Authorization": f"Bearer {actors.coordinator}"}
    async with httpx.AsyncClient(headers=headers, timeout=60) as http:
        count = (await http.get(base)).json()["contributions"]
        for path in (
            "/text",
            "/history",
            "/authorship",
            f"/authorship?at={count // 2}",
            f"/history/at?position={count // 2}",
            "/export?format=md",
            "/export?format=json",
        ):
            status = (await http.get(base + path)).status_code
            report.reads[path] = status
            if status != 200:
                report.problems.append(f"GET {path} answered {status}")


def judge(report: Report) -> None:
    if report.attacked_ms > 2 * report.baseline_ms + 10:
        report.problems.append(
            f"latency {report.attacked_ms:.1f} ms under attack, {report.baseline_ms:.1f} before"
        )
    if report.peak_rss_mb > MAX_RSS_MB:
        report.problems.append(f"server memory peaked at {report.peak_rss_mb} MB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60, help="attack this long")
    parser.add_argument("--frames", type=int, help="or until this many frames are sent")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", help="a PostgreSQL URL (default: a new SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database or f"sqlite:///{Path(folder) / 'fuzz.sqlite3'}"
        frames = args.frames or sys.maxsize
        seconds = 10**9 if args.frames else args.seconds
        report = asyncio.run(run(url, seconds, frames, args.seed))
    print(orjson.dumps(report.as_json(), option=orjson.OPT_INDENT_2).decode())
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
