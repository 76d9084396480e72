"""Shared fixtures. Every store and live test runs once per backend (SQLite, then PostgreSQL),
changing only the database URL. PostgreSQL is a private cluster started for the session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from palabre.domain.application import PalabreApplication
from palabre.domain.roles import Country, Role
from palabre.server.storage.database import Database, open_application

from tests.support.people import People, committee_of
from tests.support.postgres import fresh_database, private_cluster
from tests.support.server import ServerProcess

BACKENDS = [
    b.strip() for b in os.environ.get("PALABRE_TEST_BACKENDS", "sqlite,postgresql").split(",")
]


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    configured = os.environ.get("PALABRE_TEST_POSTGRES_URL")
    if configured:
        yield configured
        return
    with private_cluster() as cluster:
        yield cluster.url


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'palabre.sqlite3'}"
    if backend == "postgresql":
        return fresh_database(request.getfixturevalue("pg_admin_url"))
    raise ValueError(f"unknown backend {backend!r}")


@pytest.fixture
def application(database_url: str) -> Iterator[PalabreApplication]:
    app = open_application(Database(database_url))
    yield app
    app.close()


@dataclass(frozen=True)
class Seed:
    document_id: str
    coordinator: str
    editor: str
    editor2: str
    commenter: str
    observer: str


@pytest.fixture
def seed(application: PalabreApplication) -> Seed:
    document = application.create_document("Référentiel commun")

    def token(name: str, organisation: str, country: Country, role: Role) -> str:
        return application.add_member(name, organisation, country, role, document.id).token

    return Seed(
        document_id=str(document.id),
        coordinator=application.add_member(
            "Awa Koffi", "Coordination Lomé", Country.TG, Role.COORDINATOR
        ).token,
        editor=token("Yann Le Gall", "Chambre régionale de l'ESS", Country.FR, Role.EDITOR),
        editor2=token("Afi Mensah", "Fédération des ONG du Togo", Country.TG, Role.EDITOR),
        commenter=token("Maëlle Tanguy", "Université", Country.FR, Role.COMMENTER),
        observer=token("Kodjo Amegah", "Association Akwaba", Country.TG, Role.OBSERVER),
    )


@pytest.fixture
def people(application: PalabreApplication) -> People:
    """A document and one member of each role, for in-process domain tests."""
    return committee_of(application)


@pytest.fixture
def server(database_url: str) -> Iterator[ServerProcess]:
    process = ServerProcess(database_url).start()
    yield process
    process.kill()
