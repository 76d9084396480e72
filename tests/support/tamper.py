"""Tampering with a stored event log the way an attacker with database access would: SQL on
Palabre's events table, behind the application's back (SQLite or PostgreSQL), for the tests
that the audit chain catches it."""

from __future__ import annotations

import contextlib
import sqlite3
from typing import Any
from uuid import uuid4

import psycopg


class Tamper:
    """SQL on Palabre's events table, behind the application's back. SQLite's notification
    id is the table's rowid; PostgreSQL's is the ``notification_id`` column."""

    def __init__(self, database_url: str) -> None:
        self.sqlite = database_url.startswith("sqlite:///")
        self.url = database_url
        self.table = "stored_events" if self.sqlite else "palabre_events"
        self.id = "rowid" if self.sqlite else "notification_id"

    def run(self, *statements: tuple[str, tuple[Any, ...]]) -> None:
        placeholder = "?" if self.sqlite else "%s"
        sql = [(s.format(t=self.table, id=self.id, p=placeholder), a) for s, a in statements]
        if self.sqlite:
            path = self.url[len("sqlite:///") :]
            with contextlib.closing(sqlite3.connect(path)) as connection, connection:
                for statement, arguments in sql:
                    connection.execute(statement, arguments)
            return
        with psycopg.connect(self.url) as pg:
            for statement, arguments in sql:
                pg.execute(statement, arguments)

    def move(self, old: int, new: int) -> tuple[str, tuple[Any, ...]]:
        return ("UPDATE {t} SET {id}={p} WHERE {id}={p}", (new, old))

    def state(self, at: int) -> bytes:
        statement = f"SELECT state FROM {self.table} WHERE {self.id}=" + (
            "?" if self.sqlite else "%s"
        )
        if self.sqlite:
            path = self.url[len("sqlite:///") :]
            with contextlib.closing(sqlite3.connect(path)) as connection:
                return bytes(connection.execute(statement, (at,)).fetchone()[0])
        with psycopg.connect(self.url) as pg:
            found = pg.execute(statement, (at,)).fetchone()
            assert found is not None
            return bytes(found[0])

    def alter_state(self, at: int) -> None:
        changed = self.state(at).replace(b"20", b"19", 1)  # a year in the event's timestamp
        self.run(("UPDATE {t} SET state={p} WHERE {id}={p}", (changed, at)))

    def alter_topic(self, at: int) -> None:
        self.run(("UPDATE {t} SET topic={p} WHERE {id}={p}", ("palabre.forged:Event", at)))

    def delete(self, at: int) -> None:
        self.run(("DELETE FROM {t} WHERE {id}={p}", (at,)))

    def insert(self, at: int, last: int) -> None:
        """Make room at ``at`` (moving every later event one place on, last first, as the
        ids are unique), then store a forged event there."""
        moves = [self.move(n, n + 1) for n in range(last, at - 1, -1)]
        forged = uuid4()
        originator = forged.hex if self.sqlite else forged
        insert = (
            "INSERT INTO {t} ({id}, originator_id, originator_version, topic, state) "
            "VALUES ({p}, {p}, 1, {p}, {p})",
            (at, originator, "palabre.forged:Event", b"forged"),
        )
        self.run(*moves, insert)

    def swap(self, first: int, second: int) -> None:
        self.run(self.move(first, -1), self.move(second, first), self.move(-1, second))
