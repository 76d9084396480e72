"""The crash campaign: SIGKILL the server at random moments while many clients type, restart
it each time, and check that nothing acknowledged was lost.

    python -m tests.campaigns.crash --kills 20 --clients 50      # the documented run
    python -m tests.campaigns.crash --database postgresql://...  # on PostgreSQL

After each kill (the server dead): every token a client typed and the server acknowledged
durable (Palabre's message 100) is in the stored log. After each restart: every client
reconnects and resyncs, all converge on one text that the server stores whole, and
``palabre verify`` passes (the approved version made at the start still rebuilds to its
pinned hash, the audit chain holds). A JSON report is printed; exit status 1 on any problem.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
from palabre.client import LiveDocument
from palabre.domain.ids import DocumentId, parse_id
from palabre.domain.roles import Country, Role
from palabre.server.crdt.replica import rebuild
from palabre.server.storage.database import Database, open_application

from tests.support.cli import palabre
from tests.support.server import ServerProcess


@dataclass
class Typed:
    client: int
    token: str
    sent: int  # the update's number on its connection
    connection: int


@dataclass
class Report:
    kills: int = 0
    typed: int = 0
    acknowledged_checked: int = 0
    lost: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "kills": self.kills,
            "tokens_typed": self.typed,
            "acknowledged_tokens_checked": self.acknowledged_checked,
            "lost": self.lost[:20],
            "problems": self.problems[:20],
        }


@dataclass
class Cast:
    document_id: str
    admin: str
    tokens: list[str]


def cast(database_url: str, clients: int) -> Cast:
    app = open_application(Database(database_url))
    try:
        document = app.create_document("Campagne")
        admin = app.add_member("Awa Koffi", "Coordination", Country.TG, Role.COORDINATOR)
        tokens = [
            app.add_member(
                f"Membre {i}",
                f"Structure {i % 8}",
                Country.FR,
                Role.EDITOR,
                document.id,
                votes=i == 0,
            ).token
            for i in range(clients)
        ]
        return Cast(str(document.id), admin.token, tokens)
    finally:
        app.close()


def stored_text(database_url: str, document_id: str) -> str:
    app = open_application(Database(database_url))
    try:
        updates = [c.update for c in app.contributions(DocumentId(parse_id(document_id)))]
        return rebuild(updates).text
    finally:
        app.close()


async def approve_a_version(server: ServerProcess, actors: Cast) -> None:
    """One approved version at the start, for ``palabre verify`` to rebuild after each kill."""
    async with LiveDocument(server.base_url, actors.document_id, actors.tokens[0]) as live:
        live.insert(0, "# Référentiel\n\nTexte validé.\n")
        await live.wait_saved()
    document = f"{server.base_url}/api/documents/{actors.document_id}"
    admin = {"Authorization": f"Bearer {actors.admin}"}
    voter = {"Authorization": f"Bearer {actors.tokens[0]}"}
    async with httpx.AsyncClient(timeout=60) as http:
        meeting = {"title": "Séance", "date": "2026-12-01"}
        (await http.post(f"{document}/meetings", json=meeting, headers=admin)).raise_for_status()
        answer = await http.post(f"{document}/proposals", json={"label": "v1"}, headers=admin)
        proposal = answer.json()["id"]
        vote = {"vote": "approve"}
        (await http.post(f"{document}/proposals/{proposal}/votes", json=vote, headers=voter))
        closed = await http.post(f"{document}/proposals/{proposal}/close", headers=admin)
        assert closed.json()["decision"] == "accepted", closed.text


async def typist(
    index: int, live: LiveDocument, log: list[Typed], typing: asyncio.Event, rng: random.Random
) -> None:
    count = 0
    while True:
        await typing.wait()
        token = f"[{index}.{count}]"
        count += 1
        live.insert(len(live.value), token)
        log.append(Typed(index, token, live.sent, live.connections))
        await asyncio.sleep(rng.uniform(0.05, 0.4))


def acknowledged(log: list[Typed], lives: list[LiveDocument]) -> set[str]:
    """What the server said was durable on each client's current connection."""
    now = [(live.connections, live.saved) for live in lives]
    return {t.token for t in log if t.connection == now[t.client][0] and t.sent <= now[t.client][1]}


async def settle(lives: list[LiveDocument], server: ServerProcess, actors: Cast) -> str:
    """Every client resynced and saved, all on one text, which the server holds."""
    for live in lives:
        await live.wait_synced(timeout=120)
    for live in lives:
        await live.wait_saved(timeout=120)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 120
    while len({live.value for live in lives}) > 1:
        if loop.time() > deadline:
            odd = [
                f"client {i}: connected={live.connected} close={live.close_code} "
                f"{live.close_reason!r} unsaved={live.unsaved} length={len(live.value)}"
                for i, live in enumerate(lives)
                if live.value != max((x.value for x in lives), key=len)
            ]
            refusals = [line for line in server.output if "closing" in line][-5:]
            raise AssertionError(f"clients did not converge: {odd[:5]} {refusals}")
        await asyncio.sleep(0.05)
    headers = {"Authorization": f"Bearer {actors.admin}"}
    async with httpx.AsyncClient(timeout=60) as http:
        url = f"{server.base_url}/api/documents/{actors.document_id}/text"
        text = (await http.get(url, headers=headers)).text
    if text != lives[0].value:
        raise AssertionError("the server's text differs from the clients'")
    return text


async def run(database_url: str, kills: int, clients: int, seed: int = 1) -> Report:
    report = Report()
    rng = random.Random(seed)
    actors = cast(database_url, clients)
    server = ServerProcess(database_url).start()
    log: list[Typed] = []
    try:
        await approve_a_version(server, actors)
        async with contextlib.AsyncExitStack() as stack:
            lives = [
                await stack.enter_async_context(
                    LiveDocument(server.base_url, actors.document_id, token)
                )
                for token in actors.tokens
            ]
            typing = asyncio.Event()
            typing.set()
            tasks = [
                asyncio.ensure_future(typist(i, live, log, typing, rng))
                for i, live in enumerate(lives)
            ]
            try:
                for _ in range(kills):
                    await asyncio.sleep(rng.uniform(0.5, 4))
                    await kill_and_check(server, database_url, actors, lives, log, report)
                    typing.clear()
                    await settle(lives, server, actors)
                    verify(database_url, actors, report)
                    typing.set()
                typing.clear()
                final = await settle(lives, server, actors)
                missing = [t.token for t in log if t.token not in final]
                report.lost += [f"typed but missing at the end: {m}" for m in missing]
            finally:
                for task in tasks:
                    task.cancel()
    except AssertionError as error:
        report.problems.append(str(error))
    finally:
        server.kill()
    report.typed = len(log)
    if "Traceback" in server.log():
        report.problems.append("a traceback in the server log")
    return report


async def kill_and_check(
    server: ServerProcess,
    database_url: str,
    actors: Cast,
    lives: list[LiveDocument],
    log: list[Typed],
    report: Report,
) -> None:
    server.kill()
    report.kills += 1
    durable = acknowledged(log, lives)
    stored = stored_text(database_url, actors.document_id)
    report.acknowledged_checked += len(durable)
    report.lost += sorted(f"kill {report.kills}: {t}" for t in durable if t not in stored)
    server.restart()


def verify(database_url: str, actors: Cast, report: Report) -> None:
    result = palabre(database_url, "verify", actors.document_id)
    if result.returncode != 0:
        report.problems.append(f"palabre verify after kill {report.kills}: {result.stdout}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", help="a PostgreSQL URL (default: a new SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database or f"sqlite:///{Path(folder) / 'crash.sqlite3'}"
        report = asyncio.run(run(url, args.kills, args.clients, args.seed))
    print(orjson.dumps(report.as_json(), option=orjson.OPT_INDENT_2).decode())
    return 1 if report.lost or report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
