"""The README is part of the interface: every setting, close code, route, command and make
target must be in it."""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import fields
from pathlib import Path

import pytest
from palabre.domain.errors import ErrorCode
from palabre.server.app import create_app
from palabre.server.bootstrap import open_services
from palabre.server.cli.main import build_parser
from palabre.server.live.close_codes import CloseCode
from palabre.server.settings import Settings, env_name
from starlette.routing import Route, WebSocketRoute

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", [env_name(f.name) for f in fields(Settings)])
def test_every_setting_is_documented(name: str) -> None:
    assert f"`{name}`" in README


@pytest.mark.parametrize("code", list(CloseCode))
def test_every_close_code_is_documented(code: CloseCode) -> None:
    assert re.search(rf"^\| {int(code)} \| ", README, re.MULTILINE), code.name


def test_every_route_is_documented(tmp_path: Path) -> None:
    with open_services(Settings(database=f"sqlite:///{tmp_path / 'docs.sqlite3'}")) as services:
        routes = create_app(services).routes
    for route in routes:
        assert isinstance(route, Route | WebSocketRoute)
        methods = sorted((route.methods or set()) - {"HEAD"}) if isinstance(route, Route) else []
        for method in methods:
            assert f"`{method} {route.path}" in README, f"{method} {route.path}"
        if isinstance(route, WebSocketRoute):
            assert "/ws/{document_id}?token=TOKEN" in README


def _commands(parser: argparse.ArgumentParser, prefix: str = "palabre") -> list[str]:
    found: list[str] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _commands(sub, f"{prefix} {name}") or [f"{prefix} {name}"]
    return found


@pytest.mark.parametrize("command", _commands(build_parser()))
def test_every_command_is_documented(command: str) -> None:
    assert f"`{command}" in README


def test_every_make_target_is_documented() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    described = re.findall(r'@echo "make ([\w-]+)', makefile)
    assert described
    for target in described:
        assert f"`make {target}`" in README


ERROR_MESSAGES = REPO / "client" / "web" / "src" / "error-messages.json"


@pytest.mark.parametrize("code", [code.value for code in ErrorCode])
def test_every_error_code_is_documented(code: str) -> None:
    assert re.search(rf"^\| `{code}` \| \d{{3}} \| ", README, re.MULTILINE), code


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_page_translates_every_error_code(lang: str) -> None:
    """The web page's words for each code (client/web/src/error-messages.json): one per code
    of the server's registry, none for a code the server does not have."""
    messages = json.loads(ERROR_MESSAGES.read_text(encoding="utf-8"))[lang]
    assert set(messages) == {code.value for code in ErrorCode}
    assert all(message.strip() for message in messages.values())
