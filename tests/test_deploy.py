"""The deployment files are part of the interface: docker-compose.yml validates (with Debian's
docker-compose, which needs no Docker engine for ``config``) against the .env.example it
documents, refuses to start without its secrets, and the image installs the PDF fonts."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _compose(env_file: Path) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("docker-compose")
    if binary is None:
        if os.environ.get("CI") or os.environ.get("PALABRE_REQUIRE_ALL"):
            raise AssertionError("docker-compose is missing: tests/run-all installs it")
        pytest.skip("docker-compose is not installed (Debian: apt-get install docker-compose)")
    return subprocess.run(
        [binary, "--env-file", str(env_file), "-f", str(REPO / "docker-compose.yml"), "config"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_compose_validates_with_the_example_settings() -> None:
    result = _compose(REPO / ".env.example")
    assert result.returncode == 0, result.stderr
    config = result.stdout
    for service in ("postgres:", "palabre-1:", "palabre-2:", "caddy:"):
        assert service in config
    assert "healthcheck:" in config
    assert "postgresql://palabre:change-me" in config  # the secret came from the env file
    assert "published: 443" in config or "443:443" in config


def test_compose_refuses_to_run_without_its_secrets(tmp_path: Path) -> None:
    empty = tmp_path / "empty.env"
    empty.write_text("")
    result = _compose(empty)
    assert result.returncode != 0
    assert "set it in .env" in result.stderr


def test_the_image_installs_the_fonts_pdf_exports_need() -> None:
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    assert "fonts-dejavu-core" in dockerfile
    assert "fonts-dejavu-extra" in dockerfile
