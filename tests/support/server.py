"""A real Palabre server in its own process, on port 0, so tests can stop, restart or kill it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path

LISTENING = re.compile(r"palabre listening on (http://[\d.]+:\d+)")
REPO = Path(__file__).resolve().parents[2]


class ServerProcess:
    def __init__(
        self,
        database_url: str,
        env: Mapping[str, str] | None = None,
        python: str = sys.executable,
    ) -> None:
        self.database_url = database_url
        self.env = dict(env or {})
        self.python = python  # another virtualenv's, to run another checkout's server
        self.base_url = ""
        self.process: subprocess.Popen[str] | None = None
        self.output: list[str] = []
        self._port = 0
        self._pumper = threading.Thread()

    def start(self, timeout: float = 30) -> ServerProcess:
        env = os.environ | {"PALABRE_DATABASE": self.database_url} | self.env
        # Reuse the same port across restarts so reconnecting clients find the server again.
        self.process = subprocess.Popen(
            [self.python, "-m", "palabre.server.cli", "serve", "--port", str(self._port)],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        ready = threading.Event()
        self._pumper = threading.Thread(target=self._pump, args=(self.process, ready), daemon=True)
        self._pumper.start()
        if not ready.wait(timeout):
            self.kill()
            raise RuntimeError("server did not start:\n" + "".join(self.output[-50:]))
        return self

    def _pump(self, process: subprocess.Popen[str], ready: threading.Event) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.output.append(line)
            match = LISTENING.search(line)
            if match:
                self.base_url = match.group(1)
                self._port = int(self.base_url.rsplit(":", 1)[1])
                ready.set()

    @property
    def ws_url(self) -> str:
        return self.base_url.replace("http://", "ws://", 1)

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM and wait: the graceful path (pending batches are flushed)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout)
        self.kill()
        return code

    def kill(self) -> None:
        """SIGKILL: the crash path. Also releases the output pipe."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self._pumper.join(10)
        if self.process.stdout is not None:
            self.process.stdout.close()

    def restart(self) -> ServerProcess:
        return self.start()

    def log(self) -> str:
        return "".join(self.output)

    def wait_exit(self, timeout: float) -> int:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.process.wait(0.1)
