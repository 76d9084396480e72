"""Where events live: one URL selects SQLite (a file, WAL) or PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from palabre.domain.application import PalabreApplication, SavedListener
from palabre.domain.errors import InvalidInput
from palabre.server.storage.notes_vault import NotesVaultStore
from palabre.server.storage.transcoder import CompactTranscoder


@dataclass(frozen=True)
class Database:
    url: str

    @property
    def engine(self) -> str:
        return urlsplit(self.url).scheme.split("+")[0]

    def env(self) -> dict[str, str]:
        """The eventsourcing settings for this URL."""
        parts = urlsplit(self.url)
        common = {"IS_SNAPSHOTTING_ENABLED": "y", "CREATE_TABLE": "y"}
        if parts.scheme == "sqlite":
            # sqlite:///relative/path, sqlite:////absolute/path, or sqlite:///:memory:
            path = (
                unquote(self.url[len("sqlite:///") :]) if self.url.startswith("sqlite:///") else ""
            )
            if not path:
                raise InvalidInput(f"PALABRE_DATABASE: no file in {self.url!r}")
            if path != ":memory:":
                path = str(Path(path).expanduser().resolve())
            return common | {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": path if path != ":memory:" else "file::memory:?cache=shared",
                "SQLITE_LOCK_TIMEOUT": "10",
            }
        if parts.scheme in ("postgresql", "postgres"):
            dbname = unquote(parts.path.lstrip("/"))
            if not dbname:
                raise InvalidInput(f"PALABRE_DATABASE: no database name in {self.redacted!r}")
            return common | {
                "PERSISTENCE_MODULE": "eventsourcing.postgres",
                "POSTGRES_DBNAME": dbname,
                "POSTGRES_HOST": parts.hostname or "localhost",
                "POSTGRES_PORT": str(parts.port or 5432),
                "POSTGRES_USER": unquote(parts.username or ""),
                "POSTGRES_PASSWORD": unquote(parts.password or ""),
                "POSTGRES_POOL_SIZE": "5",
                "POSTGRES_MAX_OVERFLOW": "10",
                "POSTGRES_CONNECT_TIMEOUT": "3",
                "POSTGRES_PRE_PING": "y",
                "POSTGRES_LOCK_TIMEOUT": "10",
            }
        raise InvalidInput(
            f"PALABRE_DATABASE: unsupported {parts.scheme!r}; use sqlite:///FILE or postgresql://..."
        )

    @property
    def redacted(self) -> str:
        parts = urlsplit(self.url)
        if parts.password is None:
            return self.url
        return self.url.replace(f":{parts.password}@", ":***@", 1)


def open_application(
    database: Database, on_saved: SavedListener | None = None
) -> PalabreApplication:
    """Palabre's application on this database, with the project's transcoder and its notes
    vault (which the application closes with itself); the caller closes it."""
    vault = NotesVaultStore(env=database.env(), transcoder=CompactTranscoder())
    try:
        return PalabreApplication(
            vault, env=database.env(), transcoder=CompactTranscoder(), on_saved=on_saved
        )
    except BaseException:
        vault.close()
        raise
