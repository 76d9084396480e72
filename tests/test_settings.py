"""Settings and database URLs: defaults, parsing, and clear refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from palabre.domain.errors import InvalidInput
from palabre.server.settings import DEFAULT_DATABASE, Settings
from palabre.server.storage.database import Database


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.database == DEFAULT_DATABASE == "sqlite:///./palabre.sqlite3"
    assert settings.batch_window_ms == 50


def test_values_are_read_from_the_environment() -> None:
    settings = Settings.from_env(
        {"PALABRE_BATCH_WINDOW_MS": "20", "PALABRE_DATABASE": "postgresql://u:p@h/db"}
    )
    assert settings.batch_window_ms == 20
    assert settings.database == "postgresql://u:p@h/db"


@pytest.mark.parametrize(
    "environ",
    [
        {"PALABRE_BATCH_WINDOW_MS": "soon"},
        {"PALABRE_CHECKPOINT_EVERY": "0"},
        {"PALABRE_LOG_LEVEL": "loud"},
        {"PALABRE_LOG_FORMAT": "xml"},
        {"PALABRE_READY_MAX_LAG": "0"},
        {"PALABRE_POLL_MS": "often"},
        {"PALABRE_UPDATE_CHECK": "no"},
        {"PALABRE_COMPRESSION": "gzip"},
        {"PALABRE_COMPRESS_MIN_BYTES": "0"},
    ],
)
def test_bad_values_are_refused_with_the_variable_named(environ: dict[str, str]) -> None:
    with pytest.raises(InvalidInput, match="PALABRE_"):
        Settings.from_env(environ)


def test_sqlite_url_resolves_relative_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    env = Database("sqlite:///./palabre.sqlite3").env()
    assert env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite"
    assert env["SQLITE_DBNAME"] == str(tmp_path / "palabre.sqlite3")


def test_postgresql_url_maps_every_part() -> None:
    env = Database("postgresql://palabre:s%40cret@db.example:6543/refs").env()
    assert env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"
    assert (env["POSTGRES_USER"], env["POSTGRES_PASSWORD"]) == ("palabre", "s@cret")
    assert (env["POSTGRES_HOST"], env["POSTGRES_PORT"], env["POSTGRES_DBNAME"]) == (
        "db.example",
        "6543",
        "refs",
    )
    assert Database("postgresql://palabre:s%40cret@db.example:6543/refs").redacted == (
        "postgresql://palabre:***@db.example:6543/refs"
    )


@pytest.mark.parametrize("url", ["mysql://x/y", "sqlite://", "postgresql://host/"])
def test_unsupported_urls_are_refused(url: str) -> None:
    with pytest.raises(InvalidInput, match="PALABRE_DATABASE"):
        Database(url).env()
