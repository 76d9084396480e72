"""Caddy (Debian's ``caddy`` package) in front of Palabre processes, with the repository's own
``deploy/Caddyfile``: the configuration docker-compose.yml runs, exercised without Docker."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support.postgres import free_port
from tests.support.server import REPO

CADDYFILE = REPO / "deploy" / "Caddyfile"


@contextmanager
def caddy(upstreams: Sequence[str], home: Path, timeout: float = 30) -> Iterator[str]:
    """Run Caddy on a free loopback port in front of ``upstreams`` (base URLs); yield its
    base URL once it answers ``/readyz`` through an instance."""
    binary = shutil.which("caddy")
    if binary is None:
        raise RuntimeError("caddy is not installed (Debian: apt-get install caddy; .ci/run does)")
    base_url = f"http://127.0.0.1:{free_port()}"
    env = os.environ | {
        "PALABRE_SITE": base_url,
        "PALABRE_UPSTREAMS": " ".join(u.removeprefix("http://") for u in upstreams),
        "CADDY_OPTIONS": "auto_https off",
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
    }
    process = subprocess.Popen(
        [binary, "run", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_ready(base_url, process, timeout)
        yield base_url
    finally:
        process.kill()
        process.wait(10)
        if process.stderr is not None:
            process.stderr.close()


def _wait_ready(base_url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            assert process.stderr is not None
            raise RuntimeError("caddy exited:\n" + process.stderr.read().decode()[-3000:])
        try:
            if httpx.get(base_url + "/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("caddy did not become ready")
