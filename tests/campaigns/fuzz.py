"""The network fuzz campaign: hostile websocket frames against one document of a real server
while members edit another, then every read of the attacked document and ``palabre verify``.

    python -m tests.campaigns.fuzz --frames 1000000      # the long run (see the README)
    python -m tests.campaigns.fuzz --seconds 60          # what the test suite runs

The attacker (``attacker.py``) runs in a process of its own, at a lower CPU priority (nice
10): on a real deployment it is on another machine, and generating its frames is not the
server's work. The campaign stops it (SIGSTOP) for PAUSE seconds after every ATTACK seconds
of attack; meanwhile two members type in the other document, ten edits a second, and the
time from one's edit to the other having it is a sample of the attacked figure or, during
the pauses and the five seconds before the attack, of the unattacked one (samples within
SETTLE seconds of a switch are left out). Both figures are thus taken on the machine as it
is at the same moments, whatever else runs on it.

Pass criteria (each checked, the report printed as JSON): the server process never dies; no
uncaught traceback in its log; every connection the attacker loses is closed with a named
close code; the other document's median editing latency under attack is at most twice its
unattacked median; the server's memory stays under 300 MB; afterwards every read of the
attacked document answers 200 (text, history, authorship, the text at a position, exports)
and ``palabre verify`` passes for both documents.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
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
from palabre.client import LiveDocument, LiveError
from palabre.domain.roles import Country, Role
from palabre.server.live.close_codes import CloseCode
from palabre.server.storage.database import Database, open_application

from tests.support.cli import palabre
from tests.support.server import REPO, ServerProcess

ATTACKERS = 4  # connections at once
TOKENS = 48  # members each attacking connection takes turns with (see attacker.py)
MAX_RSS_MB = 300
NAMED = {int(code) for code in CloseCode}
BEFORE = 5.0  # seconds of editing before the attack starts
ATTACK = 8.0  # seconds of attack between two pauses
PAUSE = 2.0  # seconds the attacker is stopped
SETTLE = 0.3  # seconds after a switch whose samples count for neither figure
SLOWER = "the other document more than twice as slow under attack"


@dataclass
class Cast:
    attacked: str
    quiet: str
    coordinator: str
    attackers: list[str]
    typists: tuple[str, str]
    bystander: str  # an editor of the attacked document, there all along


@dataclass
class Report:
    attack: dict[str, Any] = field(default_factory=dict)
    baseline_ms: float = 0.0  # median, unattacked
    attacked_ms: float = 0.0  # median, under attack
    samples: dict[str, int] = field(default_factory=dict)
    p90_ms: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    peak_rss_mb: float = 0.0
    reads: dict[str, int] = field(default_factory=dict)
    verify: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "attack": self.attack,
            "latency_median_ms": {"unattacked": self.baseline_ms, "attacked": self.attacked_ms},
            "latency_p90_ms": self.p90_ms,
            "latency_samples": self.samples,
            "seconds": self.seconds,
            "peak_rss_mb": self.peak_rss_mb,
            "reads": self.reads,
            "verify": self.verify,
            "problems": self.problems,
        }


def cast(database_url: str, attackers: int = ATTACKERS * TOKENS) -> Cast:
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
            attackers=[editor(f"Attaquant {k}", attacked) for k in range(attackers)],
            typists=(editor("Yann", quiet), editor("Afi", quiet)),
            bystander=editor("Kodjo", attacked),
        )
    finally:
        app.close()


class Phase:
    """Whether the attack is on, and since when; what a latency sample counts for."""

    def __init__(self) -> None:
        self.attacked = False
        self.since = time.monotonic()

    def switch(self, attacked: bool) -> None:
        self.attacked, self.since = attacked, time.monotonic()

    def now(self) -> str | None:
        if time.monotonic() - self.since < SETTLE:
            return None
        return "attacked" if self.attacked else "unattacked"


async def latencies(
    base_url: str, cast_: Cast, phase: Phase, over: Callable[[], bool]
) -> dict[str, list[float]]:
    """Type a marker in one client and time until the other has it, ten times a second,
    until ``over()``; each sample goes to the phase it began and ended in ("lost": edits
    the other did not have within 30 s)."""
    found: dict[str, list[float]] = {"attacked": [], "unattacked": [], "lost": []}
    async with (
        LiveDocument(base_url, cast_.quiet, cast_.typists[0]) as writer,
        LiveDocument(base_url, cast_.quiet, cast_.typists[1]) as reader,
    ):
        await writer.wait_synced()
        await reader.wait_synced()
        while not over():
            marker = f"[{uuid4().hex[:6]}]"
            began = phase.now()
            started = time.monotonic()
            writer.insert(len(writer.value), marker)
            try:
                await reader.wait_for_text(writer.value, timeout=30)
            except LiveError:
                found["lost"].append(time.monotonic() - started)
                continue
            elapsed = (time.monotonic() - started) * 1000
            if began is not None and phase.now() == began:
                found[began].append(elapsed)
            await asyncio.sleep(0.1)
    return found


async def alternate(attacker: asyncio.subprocess.Process, phase: Phase) -> None:
    """Stop the attacker for PAUSE seconds every ATTACK seconds, until it ends (cancelled)."""
    try:
        while True:
            phase.switch(attacked=True)
            await asyncio.sleep(ATTACK)
            with contextlib.suppress(ProcessLookupError):
                attacker.send_signal(signal.SIGSTOP)
            phase.switch(attacked=False)
            await asyncio.sleep(PAUSE)
            with contextlib.suppress(ProcessLookupError):
                attacker.send_signal(signal.SIGCONT)
    finally:
        with contextlib.suppress(ProcessLookupError):
            attacker.send_signal(signal.SIGCONT)
        phase.switch(attacked=False)


async def bystander(base_url: str, cast_: Cast, report: Report, over: Callable[[], bool]) -> None:
    """A member in the attacked document while it is attacked, typing a word a second: the
    connection must last the whole attack, what they typed must be stored, and the text
    they see must become the stored text."""
    async with LiveDocument(base_url, cast_.attacked, cast_.bystander) as member:
        await member.wait_synced()
        typed = 0
        while not over():
            member.insert(len(member.value), f" mot{typed}")
            typed += 1
            await asyncio.sleep(1)
        await member.wait_saved(timeout=60)
        if member.connections != 1:
            report.problems.append(f"the bystander connected {member.connections} times")
        missing = [k for k in range(typed) if f" mot{k}" not in member.value]
        if missing:
            report.problems.append(f"the bystander's words {missing[:5]} are not in their text")
        if not await converges(base_url, cast_, member):
            report.problems.append("the bystander's text did not become the stored text")


async def converges(base_url: str, cast_: Cast, member: LiveDocument) -> bool:
    """Whether the member's text and the stored text are the same within 30 s."""
    url = f"{base_url}/api/documents/{cast_.attacked}/text"
    headers = {"Authorization": f"Bearer {cast_.coordinator}"}
    deadline = time.monotonic() + 30
    async with httpx.AsyncClient(headers=headers, timeout=30) as http:
        while time.monotonic() < deadline:
            if (await http.get(url)).text == member.value:
                return True
            await asyncio.sleep(0.5)
    return False


async def watch_memory(pid: int, report: Report, stop: asyncio.Event) -> None:
    process = psutil.Process(pid)
    while not stop.is_set():
        with contextlib.suppress(psutil.Error):
            rss = process.memory_info().rss / 1e6
            report.peak_rss_mb = max(report.peak_rss_mb, round(rss, 1))
        await asyncio.sleep(0.2)


async def run(
    database_url: str, seconds: float, frames: int, seed: int = 1, attackers: int = ATTACKERS
) -> Report:
    report = Report()
    actors = cast(database_url, attackers * TOKENS)
    server = ServerProcess(database_url).start()
    try:
        assert server.process is not None
        stop = asyncio.Event()
        memory = asyncio.ensure_future(watch_memory(server.process.pid, report, stop))
        phase = Phase()
        attacking: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        typing = asyncio.ensure_future(
            latencies(server.base_url, actors, phase, lambda: attacking.done())
        )
        present = asyncio.ensure_future(
            bystander(server.base_url, actors, report, lambda: attacking.done())
        )
        await asyncio.sleep(BEFORE)
        started = time.monotonic()
        attacker = await start_attacker(server, actors, seconds, frames, seed, attackers)
        switching = asyncio.ensure_future(alternate(attacker, phase))
        output, _ = await attacker.communicate()
        switching.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await switching
        report.seconds = round(time.monotonic() - started, 1)
        attacking.set_result(None)
        measured = await typing
        await present
        stop.set()
        await memory
        record_latencies(report, measured)
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


async def start_attacker(
    server: ServerProcess, actors: Cast, seconds: float, frames: int, seed: int, tasks: int
) -> asyncio.subprocess.Process:
    urls = [f"{server.ws_url}/ws/{actors.attacked}?token={t}" for t in actors.attackers]
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.campaigns.attacker",
        str(seconds),
        str(frames),
        str(seed),
        str(tasks),
        *urls,
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
    )


def record_latencies(report: Report, measured: dict[str, list[float]]) -> None:
    if measured["lost"]:
        report.problems.append(f"{len(measured['lost'])} edits of the other document lost")
    for name, values in measured.items():
        report.samples[name] = len(values)
        if len(values) >= 2:
            report.p90_ms[name] = round(statistics.quantiles(values, n=10)[-1], 2)
    if not measured["attacked"] or not measured["unattacked"]:
        report.problems.append(f"too few latency samples: {report.samples}")
        return
    report.baseline_ms = round(statistics.median(measured["unattacked"]), 2)
    report.attacked_ms = round(statistics.median(measured["attacked"]), 2)


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
    if report.attacked_ms > 2 * report.baseline_ms:
        report.problems.append(
            f"{SLOWER}: median {report.attacked_ms:.1f} ms, {report.baseline_ms:.1f} unattacked"
        )
    if report.peak_rss_mb > MAX_RSS_MB:
        report.problems.append(f"server memory peaked at {report.peak_rss_mb} MB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60, help="attack this long")
    parser.add_argument("--frames", type=int, help="or until the server has read this many frames")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--attackers",
        type=int,
        default=ATTACKERS,
        help=f"attacking connections at once, each taking turns with {TOKENS} members' tokens",
    )
    parser.add_argument("--database", help="a PostgreSQL URL (default: a new SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database or f"sqlite:///{Path(folder) / 'fuzz.sqlite3'}"
        frames = args.frames or sys.maxsize
        seconds = 10**9 if args.frames else args.seconds
        report = asyncio.run(run(url, seconds, frames, args.seed, args.attackers))
    print(orjson.dumps(report.as_json(), option=orjson.OPT_INDENT_2).decode())
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
