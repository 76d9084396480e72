"""A stock Yjs client in Node (``tests/interop/yclient.mjs``: the npm packages ``yjs`` and
``y-websocket``, unmodified) driven from Python over JSON lines, for the interoperability tests
and the weak-link tests. Every read from the Node process is bounded by a timeout; the process
is killed at the end of ``node_client``'s block whatever happens."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.server import ServerProcess

REPO = Path(__file__).resolve().parents[2]
INTEROP = REPO / "tests" / "interop"
SCRIPT = INTEROP / "yclient.mjs"
READ_TIMEOUT = 30.0  # seconds; every read from the Node process is bounded by a timeout
LINE_LIMIT = 64 << 20  # bytes of one reply line (a long text)


def _require_node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is required for the interoperability tests: `node` is not on PATH")
    if not (INTEROP / "node_modules" / "y-websocket").is_dir():
        pytest.fail(
            "tests/interop/node_modules is missing: run `npm ci --prefix tests/interop` "
            "to install the pinned yjs / y-websocket / ws packages"
        )
    return node


class NodeClient:
    """One ``yclient.mjs`` process: a stock ``y-websocket`` provider driven over JSON lines."""

    def __init__(self, process: asyncio.subprocess.Process, name: str) -> None:
        self.process = process
        self.name = name
        self.events: list[dict[str, Any]] = []  # unsolicited lines, in arrival order
        self.stderr = ""
        self._replies: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._event_seen = asyncio.Event()
        self._eof = False
        self._stdout_task = asyncio.get_running_loop().create_task(self._read_stdout())
        self._stderr_task = asyncio.get_running_loop().create_task(self._read_stderr())

    @classmethod
    async def start(cls, ws_url: str, document_id: str, token: str, name: str) -> NodeClient:
        node = _require_node()
        process = await asyncio.create_subprocess_exec(
            node,
            str(SCRIPT.relative_to(REPO)),
            ws_url,
            document_id,
            token,
            cwd=REPO,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            limit=LINE_LIMIT,
        )
        return cls(process, name)

    async def _read_stdout(self) -> None:
        assert self.process.stdout is not None
        while line := await self.process.stdout.readline():
            try:
                message = json.loads(line)
            except ValueError:  # not ours: keep it for the failure message
                message = {"event": "stdout", "line": line.decode(errors="replace")}
            if "event" in message:
                self.events.append(message)
                self._event_seen.set()
            else:
                await self._replies.put(message)
        self._eof = True
        self._event_seen.set()
        await self._replies.put(None)

    async def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        self.stderr = (await self.process.stderr.read()).decode(errors="replace")

    def _failure(self, what: str) -> str:
        return (
            f"node client {self.name} (pid {self.process.pid}): {what}; "
            f"events={self.events}; stderr={self.stderr!r}"
        )

    async def request(self, command: dict[str, Any], limit: float = READ_TIMEOUT) -> dict[str, Any]:
        """Send one command and return its reply; fails after ``limit`` seconds, on an exit of
        the process, or on ``ok: false``."""
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command).encode() + b"\n")
        await self.process.stdin.drain()
        try:
            reply = await asyncio.wait_for(self._replies.get(), limit)
        except TimeoutError:
            pytest.fail(self._failure(f"no reply to {command['cmd']} within {limit} s"))
        if reply is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.process.wait(), 5)
                await asyncio.wait_for(self._stderr_task, 5)
            pytest.fail(self._failure(f"exited (code {self.process.returncode}) during {command}"))
        if not reply.get("ok"):
            pytest.fail(self._failure(f"{command['cmd']} failed: {reply.get('error')}"))
        return reply

    async def wait_synced(self, timeout: float = 20) -> None:
        command = {"cmd": "wait_synced", "timeout_ms": int(timeout * 1000)}
        await self.request(command, limit=timeout + READ_TIMEOUT)

    async def stats(self) -> dict[str, int]:
        """Sockets opened and closed, the largest message received and how many were."""
        reply = await self.request({"cmd": "stats"})
        return {key: int(reply[key]) for key in ("connections", "closes", "largest", "messages")}

    async def insert(self, index: int, text: str) -> None:
        await self.request({"cmd": "insert", "index": index, "text": text})

    async def type(self, text: str, at: int | str, delay_ms: int) -> None:
        await self.request({"cmd": "type", "text": text, "at": at, "delay_ms": delay_ms}, limit=120)

    async def text(self) -> str:
        return str((await self.request({"cmd": "text"}))["text"])

    async def wait_text(self, text: str) -> None:
        await self.request({"cmd": "wait_text", "text": text, "timeout_ms": 20000})

    async def wait_event(self, name: str, limit: float = READ_TIMEOUT) -> dict[str, Any]:
        """The first event called ``name`` (already received or still to come)."""

        async def first() -> dict[str, Any]:
            while True:
                for event in self.events:
                    if event["event"] == name:
                        return event
                if self._eof:
                    pytest.fail(self._failure(f"exited before a {name!r} event"))
                self._event_seen.clear()
                await self._event_seen.wait()

        try:
            return await asyncio.wait_for(first(), limit)
        except TimeoutError:
            pytest.fail(self._failure(f"no {name!r} event within {limit} s"))

    async def close(self) -> None:
        """Destroy the provider; the script then exits 0."""
        await self.request({"cmd": "close"})
        assert await asyncio.wait_for(self.process.wait(), READ_TIMEOUT) == 0

    async def kill(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
        await asyncio.wait_for(self.process.wait(), READ_TIMEOUT)
        for task in (self._stdout_task, self._stderr_task):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, READ_TIMEOUT)


@contextlib.asynccontextmanager
async def node_client(
    server: ServerProcess, document_id: str, token: str, name: str
) -> AsyncIterator[NodeClient]:
    """A Node client for the whole block, always killed at the end."""
    client = await NodeClient.start(server.ws_url, document_id, token, name)
    try:
        yield client
    finally:
        await client.kill()
