"""A real Palabre server in its own process, on port 0, so tests can stop, restart or kill it,
and wait for what it logs. Killed (SIGKILL) by the fixtures at the end of each test."""

from __future__ import annotations

import asyncio
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
# For tests of what the server does with many updates, not of its rates (tests of those use
# the defaults): at the default 100 updates a second a replayed trace is read slowly.
UNTHROTTLED = {
    "PALABRE_UPDATES_PER_SECOND": "1000000",
    "PALABRE_MEMBER_UPDATES_PER_SECOND": "1000000",
}


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
    def address(self) -> tuple[str, int]:
        """Host and port, for a proxy in front of the server (``tests/support/link``)."""
        host, port = self.base_url.removeprefix("http://").rsplit(":", 1)
        return host, int(port)

    @property
    def ws_url(self) -> str:
        return self.base_url.replace("http://", "ws://", 1)

    def stop(self, timeout: float = 30, sig: signal.Signals = signal.SIGTERM) -> int:
        """SIGTERM (or Ctrl-C's SIGINT) and wait: the graceful path (pending batches are
        flushed). Returns the exit status; the whole output is in :meth:`log` by then."""
        assert self.process is not None
        self.process.send_signal(sig)
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
        """The output so far. A line reaches it through a pipe some time after the server
        wrote it: to look for a line a running server writes, use :meth:`wait_for_log`."""
        return "".join(self.output)

    async def wait_for_log(
        self, pattern: str | re.Pattern[str], timeout: float = 30
    ) -> re.Match[str]:
        """The first match in the output of ``pattern`` (a ``str`` is literal text), waiting
        for it up to ``timeout`` seconds; AssertionError with the end of the log if it does
        not come, or the process ended without writing it."""
        regex = re.compile(re.escape(pattern)) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        while True:
            ended = self.process is not None and self.process.poll() is not None
            ended = ended and not self._pumper.is_alive()  # and its output fully read
            match = regex.search(self.log())
            if match is not None:
                return match
            if ended or time.monotonic() > deadline:
                why = "the server ended" if ended else f"nothing after {timeout} s"
                raise AssertionError(
                    f"{regex.pattern!r} not in the server's log ({why}):\n{self.log()[-3000:]}"
                )
            await asyncio.sleep(0.05)

    def wait_exit(self, timeout: float) -> int:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.process.wait(0.1)
