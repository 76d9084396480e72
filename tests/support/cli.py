"""The ``palabre`` command line as an operator runs it: a process of this interpreter, started
from the repository, on the store at ``database_url`` (and any other settings in ``env``)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping

from tests.support.server import REPO


def palabre(
    database_url: str, *args: str, env: Mapping[str, str] = {}, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "palabre.server.cli", *args],
        cwd=REPO,
        env=os.environ | {"PALABRE_DATABASE": database_url} | dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def last_line(result: subprocess.CompletedProcess[str]) -> str:
    """What a command that succeeded printed last (its result)."""
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]
