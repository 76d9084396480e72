"""The dependency rules of DESIGN.md, checked over the import graph of every module (an AST
walk: nothing is imported to check it), so they stay true as the code grows:

- ``domain`` imports only the standard library and eventsourcing;
- ``projections`` never imports ``server``;
- ``client`` imports neither ``server``, ``domain`` nor ``projections``;
- the CRDT engine (pycrdt) is imported only in ``server/crdt/`` and ``client``;
- no module outside ``server/http/`` imports an HTTP handler module, but the app's route
  table (``server/app.py``), which is what mounts them.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("domain", "projections", "server", "client")
HTTP = "palabre.server.http"
HTTP_PLUMBING = {f"{HTTP}.plumbing", f"{HTTP}.schema", f"{HTTP}.errors", HTTP}
ROUTE_TABLE = "palabre.server.app"


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, e.g. palabre.server.live.room
    target: str  # what it imports, e.g. palabre.server.crdt.replica
    line: int

    def __str__(self) -> str:
        return f"{self.module}:{self.line} imports {self.target}"


def module_name(path: Path) -> str:
    relative = path.relative_to(REPO).with_suffix("")
    parts = [part for part in relative.parts if part != "__init__"]
    return "palabre." + ".".join(parts)


def imports() -> Iterator[Import]:
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            if "node_modules" in path.parts:
                continue
            module = module_name(path)
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    for alias in node.names:
                        yield Import(module, alias.name, node.lineno)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    yield Import(module, node.module, node.lineno)
                    for alias in node.names:  # ``from palabre.server import crdt``
                        yield Import(module, f"{node.module}.{alias.name}", node.lineno)


ALL = list(imports())


def root(name: str) -> str:
    return name.split(".")[0]


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def is_module(name: str) -> bool:
    """Whether ``name`` is one of the project's modules or packages (not an attribute)."""
    if not within(name, "palabre"):
        return True
    relative = Path(*name.split(".")[1:])
    return (REPO / relative).with_suffix(".py").is_file() or (REPO / relative).is_dir()


def broken(rule: str) -> list[str]:
    return [str(found) for found in ALL if RULES[rule](found)]


def domain_reaches_out(found: Import) -> bool:
    if not within(found.module, "palabre.domain"):
        return False
    top = root(found.target)
    if top == "palabre":
        return not within(found.target, "palabre.domain")
    return top not in sys.stdlib_module_names and top != "eventsourcing"


def projection_reads_server(found: Import) -> bool:
    return within(found.module, "palabre.projections") and within(found.target, "palabre.server")


def client_reaches_in(found: Import) -> bool:
    inner = ("palabre.server", "palabre.domain", "palabre.projections")
    reaches = any(within(found.target, package) for package in inner)
    return within(found.module, "palabre.client") and reaches


def engine_outside_its_room(found: Import) -> bool:
    allowed = within(found.module, "palabre.server.crdt") or within(found.module, "palabre.client")
    return root(found.target) == "pycrdt" and not allowed


def handler_imported_from_outside(found: Import) -> bool:
    handler = within(found.target, HTTP) and found.target not in HTTP_PLUMBING
    outside = not within(found.module, HTTP) and found.module != ROUTE_TABLE
    return handler and is_module(found.target) and outside


RULES = {
    "domain imports only the standard library and eventsourcing": domain_reaches_out,
    "projections never import the server": projection_reads_server,
    "the client imports neither server, domain nor projections": client_reaches_in,
    "pycrdt is imported only in server/crdt/ and client/": engine_outside_its_room,
    "only server/http/ imports HTTP handler modules": handler_imported_from_outside,
}


@pytest.mark.parametrize("rule", list(RULES))
def test_the_import_graph_keeps_the_rule(rule: str) -> None:
    assert broken(rule) == []


def test_the_walk_sees_the_imports_it_judges() -> None:
    """The rules above judge something: the walk finds the modules and imports they name (a
    walk that found nothing would pass every rule)."""
    modules = {found.module for found in ALL}
    assert {"palabre.domain.document", "palabre.server.crdt.replica"} <= modules
    assert any(f.module == "palabre.server.crdt.replica" and f.target == "pycrdt" for f in ALL)
    assert any(f.module == "palabre.server.app" and within(f.target, HTTP) for f in ALL)


@pytest.mark.parametrize(
    ("rule", "found"),
    [
        ("domain imports only the standard library and eventsourcing", ("domain.x", "orjson")),
        ("projections never import the server", ("projections.x", "palabre.server.texts")),
        (
            "the client imports neither server, domain nor projections",
            ("client.x", "palabre.domain"),
        ),
        ("pycrdt is imported only in server/crdt/ and client/", ("server.live.room", "pycrdt")),
        (
            "only server/http/ imports HTTP handler modules",
            ("server.cli.main", "palabre.server.http.comments"),
        ),
    ],
)
def test_each_rule_catches_what_it_forbids(rule: str, found: tuple[str, str]) -> None:
    module, target = found
    assert RULES[rule](Import(f"palabre.{module}", target, 1))
