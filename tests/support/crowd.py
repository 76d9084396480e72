"""A meeting's worth of stock Yjs clients (tests/interop/crowd.mjs) driven from a synchronous
test: each member present in the video call is an unmodified y-websocket provider with its
presence, typing where the test says."""

from __future__ import annotations

import json
import queue
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

from tests.support.server import REPO, ServerProcess

SCRIPT = REPO / "tests" / "interop" / "crowd.mjs"


class Crowd:
    def __init__(self, server: ServerProcess, document_id: str) -> None:
        node = shutil.which("node")
        if node is None:
            raise RuntimeError("Node.js is needed for the stock clients (tests/interop)")
        self.process = subprocess.Popen(
            [node, str(SCRIPT), server.ws_url, document_id],
            cwd=Path(REPO),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.replies: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.replies.put(line)

    def request(self, command: dict[str, Any], timeout: float = 60) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        try:
            reply: dict[str, Any] = json.loads(self.replies.get(timeout=timeout))
        except queue.Empty:
            raise AssertionError(f"the stock clients did not answer {command['cmd']}") from None
        assert reply.get("ok"), f"{command['cmd']}: {reply.get('error')}"
        return reply

    def join(self, tokens: list[str]) -> None:
        self.request({"cmd": "join", "tokens": tokens})

    def type(self, client: int, after: str, text: str, *, background: bool = False) -> None:
        command = {"cmd": "type", "client": client, "after": after, "text": text}
        self.request(command | {"background": background})

    def insert(self, client: int, index: int, text: str) -> None:
        self.request({"cmd": "insert", "client": client, "index": index, "text": text})

    def cursor(self, client: int, after: str) -> None:
        self.request({"cmd": "cursor", "client": client, "after": after})

    def settle(self) -> None:
        self.request({"cmd": "settle"})

    def wait_text(self, contains: str) -> None:
        self.request({"cmd": "wait_text", "contains": contains})

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self.request({"cmd": "close"}, timeout=10)
                self.process.wait(timeout=10)
            except (AssertionError, subprocess.TimeoutExpired, BrokenPipeError):
                self.process.kill()
                self.process.wait()
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
