"""The Node side of the benchmarks, driven from Python: stock ``y-websocket`` clients
(``tests/benchmarks/node/load.mjs``) and the Node reference server, ``@y/websocket-server``
run as its package ships it (its own ``src/server.js``, memory only).

Both need ``npm ci --prefix tests/benchmarks/node`` (``make install`` does it). Every wait
on a Node process is bounded; a phase that fails raises :class:`NodeFailed` with what the
process printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.server import REPO

NODE_DIR = REPO / "tests" / "benchmarks" / "node"
LOAD = NODE_DIR / "load.mjs"
REFERENCE = NODE_DIR / "node_modules" / "@y" / "websocket-server" / "src" / "server.js"
Json = dict[str, Any]


class NodeFailed(RuntimeError):
    """A Node process of the benchmark failed or did not answer in time."""


def node() -> str:
    found = shutil.which("node")
    if found is None:
        raise NodeFailed("Node.js is needed: `node` is not on PATH")
    if not REFERENCE.exists():
        raise NodeFailed("run `npm ci --prefix tests/benchmarks/node` (or `make install`)")
    return found


@dataclass(frozen=True)
class StockClient:
    """Where a stock provider connects: ``{server}/{room}?{params}``."""

    server: str
    room: str
    params: dict[str, str] = field(default_factory=dict)

    def json(self) -> Json:
        return {"server": self.server, "room": self.room, "params": self.params}


class Phase:
    """One ``node load.mjs MODE`` process: the configuration goes in as one JSON line; its
    events and its result come out as JSON lines."""

    def __init__(self, process: asyncio.subprocess.Process, mode: str) -> None:
        self.process = process
        self.mode = mode
        self.pid = process.pid
        self._stderr: list[str] = []
        self._drain = asyncio.get_running_loop().create_task(self._read_stderr())

    @classmethod
    async def start(cls, mode: str, config: Json) -> Phase:
        process = await asyncio.create_subprocess_exec(
            node(),
            str(LOAD),
            mode,
            cwd=NODE_DIR,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            limit=64 << 20,
        )
        phase = cls(process, mode)
        await phase.send(json.dumps(config))
        return phase

    async def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        while line := await self.process.stderr.readline():
            self._stderr.append(line.decode(errors="replace"))

    async def send(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line.encode() + b"\n")
        await self.process.stdin.drain()

    async def next(self, timeout: float) -> Json:
        """The next line it prints: an event, a result or an error."""
        assert self.process.stdout is not None
        try:
            line = await asyncio.wait_for(self.process.stdout.readline(), timeout)
        except TimeoutError:
            await self.kill()
            raise NodeFailed(f"node {self.mode}: nothing for {timeout:.0f} s") from None
        if not line:
            await self.kill()
            raise NodeFailed(f"node {self.mode} ended: {''.join(self._stderr)[-3000:]}")
        message: Json = json.loads(line)
        if "error" in message:
            await self.kill()
            raise NodeFailed(f"node {self.mode}: {message['error']}")
        return message

    async def result(self, timeout: float) -> Json:
        """Events are skipped; the final message (``result`` and ``handshakes``)."""
        while "result" not in (message := await self.next(timeout)):
            pass
        await self.kill()
        return message

    async def kill(self) -> None:
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.process.wait(), 10)
        self._drain.cancel()


async def run(mode: str, config: Json, timeout: float) -> Json:
    """A whole non-interactive phase; its result message."""
    phase = await Phase.start(mode, config)
    try:
        return await phase.result(timeout)
    finally:
        await phase.kill()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class NodeReference:
    """``@y/websocket-server`` as shipped (``HOST``/``PORT`` from the environment; documents
    in memory, kept while the process lives), on a free loopback port; restartable on it."""

    def __init__(self, logfile: Path) -> None:
        self.logfile = logfile
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, patience: float = 30) -> NodeReference:
        env = os.environ | {"HOST": "127.0.0.1", "PORT": str(self.port)}
        with self.logfile.open("ab") as log:
            self.process = subprocess.Popen(
                [node(), str(REFERENCE)], cwd=NODE_DIR, env=env, stdout=log, stderr=log
            )
        deadline = time.monotonic() + patience
        while f"on port {self.port}" not in self.log():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise NodeFailed("the reference server did not start:\n" + self.log()[-3000:])
            time.sleep(0.02)
        return self

    def log(self) -> str:
        return self.logfile.read_text(errors="replace") if self.logfile.exists() else ""

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)

    def restart(self) -> NodeReference:
        self.stop()
        self.logfile.write_bytes(b"")
        return self.start()
