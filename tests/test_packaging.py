"""The installed package holds every module: `pip install .` (the README's run command) copies
only the packages pyproject.toml lists, while the editable install the tests use finds any
folder, so a new subpackage left out of the list breaks the service and no other test sees it
(``palabre.server.cluster`` was left out so)."""

from __future__ import annotations

import tomllib

from tests.support.server import REPO


def test_every_package_with_an_init_is_listed_in_pyproject() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    folders = {folder: name for name, folder in config["package-dir"].items()}
    found = set()
    for folder, name in folders.items():
        for init in (REPO / folder).rglob("__init__.py"):
            parts = init.parent.relative_to(REPO / folder).parts
            found.add(".".join((name, *parts)))
    assert found - set(config["packages"]) == set()
