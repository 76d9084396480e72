"""The first step of the README's test command: tests/install-debian-packages, which installs
the Debian packages of tests/debian-packages.txt that are missing. Checked on this machine
(every listed package is present) and in a sandbox copy with a list of our own, where nothing
is ever installed."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.server import REPO

SCRIPT = REPO / "tests" / "install-debian-packages"
ABSENT = "palabre-no-such-package"  # a package whose test always fails


@pytest.fixture
def sandbox() -> Iterator[Path]:
    """A folder holding tests/install-debian-packages and a list of present packages and one
    absent one, readable by an unprivileged user."""
    with tempfile.TemporaryDirectory(prefix="palabre-packages-") as folder:
        root = Path(folder)
        (root / "tests").mkdir()
        shutil.copy(SCRIPT, root / "tests")
        (root / "tests" / "debian-packages.txt").write_text(
            "# a comment, then a blank line\n\n"
            f"bash  command -v bash\nzlib1g  library libz.so.1\n{ABSENT}  false\n"
        )
        for path in (root, root / "tests", *(root / "tests").iterdir()):
            path.chmod(0o755)
        yield root


def run(
    script: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(script), *args], capture_output=True, text=True, timeout=60, env=env, check=False
    )


def test_every_listed_package_is_present_here() -> None:
    """What `make test` installed (or found) passes every test of the list."""
    checked = run(SCRIPT, "--check")
    assert (checked.returncode, checked.stderr) == (0, "")


def test_check_names_only_what_is_missing(sandbox: Path) -> None:
    """Every time: a check must not depend on timing (``grep -q`` at the end of a pipe made
    the library check fail now and then, its writer killed by SIGPIPE under pipefail)."""
    for _ in range(20):
        checked = run(sandbox / "tests" / "install-debian-packages", "--check")
        assert checked.returncode == 1
        assert checked.stderr == f"Debian packages the tests need, missing here: {ABSENT}\n"


def test_without_root_it_names_the_command_and_stops(sandbox: Path) -> None:
    script = sandbox / "tests" / "install-debian-packages"
    if os.geteuid() == 0:
        stopped = subprocess.run(
            ["runuser", "-u", "nobody", "--", str(script)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    elif subprocess.run(["sudo", "-n", "true"], capture_output=True, check=False).returncode:
        stopped = run(script)
    else:
        pytest.skip("sudo works without a password here: the script would install")
    assert stopped.returncode == 1
    assert f"missing here: {ABSENT}" in stopped.stderr
    assert f"apt-get install --no-install-recommends {ABSENT}" in stopped.stderr


def test_off_debian_it_names_the_packages_and_stops(sandbox: Path, tmp_path: Path) -> None:
    tools = tmp_path / "bin"  # what the script runs, but no apt-get
    tools.mkdir()
    for tool in ("bash", "dirname", "id"):
        found = shutil.which(tool)
        assert found is not None
        (tools / tool).symlink_to(found)
    stopped = run(sandbox / "tests" / "install-debian-packages", env={"PATH": str(tools)})
    assert stopped.returncode == 1
    assert "this is not Debian" in stopped.stderr
    assert ABSENT in stopped.stderr
