"""Backups and moves, through the real command: a backup restored into an empty store gives
identical events (ids, originators, versions, topics, state bytes) and the same audit chain
head; a damaged file is refused before anything is written; a SQLite store migrated into
PostgreSQL keeps every approved version's hash and its audit chain verifies; three instances
catching the projections up at once store each row and link once."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from uuid import UUID

import orjson
import pytest
from palabre.domain.application import PalabreApplication
from palabre.domain.contribution import NewContribution
from palabre.domain.interview_details import Details
from palabre.domain.roles import Country, Role
from palabre.server.bootstrap import open_services
from palabre.server.settings import Settings
from palabre.server.storage.database import Database, open_application

from tests.support.postgres import fresh_database
from tests.support.server import REPO
from tests.test_versions import PIECES, Committee, typed_updates

Row = tuple[int, str, int, str, bytes]
NOTES = "Notes confidentielles : la présidente hésite."


def palabre(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "palabre.server.cli", *args],
        cwd=REPO,
        env=os.environ | {"PALABRE_DATABASE": database_url},
        capture_output=True,
        text=True,
        timeout=120,
    )


def build_store(application: PalabreApplication) -> Committee:
    """A document with contributions, two approved versions, a comment and other members."""
    document = application.create_document("Référentiel commun")
    voter = application.add_member(
        "Afi Mensah", "Fédération des ONG du Togo", Country.TG, Role.EDITOR, document.id, True
    ).member.id
    application.add_member("Yann", "CRESS", Country.FR, Role.COMMENTER, document.id)
    application.create_document("Un autre document")
    updates = typed_updates(PIECES)
    application.append_contributions(
        document.id, 0, [NewContribution(voter, "session", u, 1) for u in updates]
    )
    committee = Committee(application, document.id, voter, updates)
    committee.decide("Première lecture", 4)
    committee.decide("Texte complet", len(updates))
    organisation = application.member(voter).organisation.id
    details: dict[str, object] = {"organisation_ids": [str(organisation)], "date": "2026-07-15"}
    details |= {"mode": "video"}
    details |= {"led_by": [str(voter)], "summary": "Entretien", "quotable": True}
    application.record_interview(document.id, Details.parse(details), NOTES)
    return committee


def interview_notes(database_url: str, document_id: UUID) -> list[str]:
    """What the operator reads of each interview's notes, through the command line."""
    listed = palabre(database_url, "interviews", "list", str(document_id)).stdout.splitlines()
    shown = [
        palabre(database_url, "interviews", "show", str(document_id), line.split("\t")[0])
        for line in listed
    ]
    return [str(orjson.loads(result.stdout)["notes"]) for result in shown]


def rows(database_url: str) -> list[Row]:
    app = open_application(Database(database_url))
    try:
        found: list[Row] = []
        while page := app.recorder.select_notifications(
            found[-1][0] if found else 0, 500, inclusive_of_start=False
        ):
            found += [
                (n.id, str(n.originator_id), n.originator_version, n.topic, bytes(n.state))
                for n in page
            ]
        return found
    finally:
        app.close()


@pytest.fixture
def source(database_url: str, application: PalabreApplication) -> Committee:
    return build_store(application)


def _empty_store(database_url: str, tmp_path: Path, name: str) -> str:
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / name}"
    admin = database_url.rsplit("/", 1)[0] + "/postgres"
    return fresh_database(admin)


def test_backup_then_restore_gives_identical_events_and_chain_head(
    source: Committee, database_url: str, tmp_path: Path
) -> None:
    backup = tmp_path / "palabre.backup"
    made = palabre(database_url, "backup", "-o", str(backup))
    assert made.returncode == 0, made.stderr
    assert "backing up events" in made.stderr  # the progress bar
    target = _empty_store(database_url, tmp_path, "restored.sqlite3")
    restored = palabre(target, "restore", str(backup))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert rows(target) == rows(database_url)
    assert "as in the source" in restored.stdout
    notes = interview_notes(target, source.document_id)
    assert len(notes) == 1
    assert NOTES in notes[0]
    assert notes == interview_notes(database_url, source.document_id)
    header = orjson.loads(backup.read_bytes().splitlines()[0])
    verified = palabre(target, "verify", str(source.document_id))
    assert verified.returncode == 0, verified.stdout
    assert header["source_head"]["link"] in verified.stdout  # the same chain head
    again = palabre(target, "restore", str(backup))
    assert again.returncode == 2
    assert "already holds events" in again.stderr


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    "damage",
    [
        lambda lines: lines[:-1],  # truncated: no trailer
        lambda lines: [lines[0], lines[2], lines[1], *lines[3:]],  # reordered
        lambda lines: [*lines[:3], lines[3].replace(b'"originator_version":', b'"x":'), *lines[4:]],
        lambda lines: [*lines[:5], _flip_state(lines[5]), *lines[6:]],  # altered bytes
        lambda lines: [*lines[:-2], lines[-2].replace(b"la pr", b"le pr"), lines[-1]],
        lambda lines: [*lines[:-2], lines[-1]],  # notes left out
    ],
    ids=["truncated", "reordered", "malformed", "altered", "altered-notes", "missing-notes"],
)
def test_a_damaged_backup_is_refused_before_anything_is_written(
    source: Committee, database_url: str, tmp_path: Path, damage: object
) -> None:
    backup = tmp_path / "palabre.backup"
    assert palabre(database_url, "backup", "-o", str(backup)).returncode == 0
    assert palabre(database_url, "restore", "--check", str(backup)).returncode == 0
    lines = backup.read_bytes().splitlines()
    assert callable(damage)
    backup.write_bytes(b"\n".join(damage(lines)) + b"\n")
    target = _empty_store(database_url, tmp_path, "restored.sqlite3")
    refused = palabre(target, "restore", str(backup))
    assert refused.returncode == 2, refused.stdout
    assert rows(target) == []


def _flip_state(line: bytes) -> bytes:
    event = orjson.loads(line)
    event["state"] = event["state"][:-4] + ("AAAA" if event["state"][-4:] != "AAAA" else "BBBB")
    return orjson.dumps(event)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_document_backup_holds_its_events_and_serves_it_after_restore(
    source: Committee, database_url: str, tmp_path: Path
) -> None:
    backup = tmp_path / "document.backup"
    made = palabre(database_url, "backup", str(source.document_id), "-o", str(backup))
    assert made.returncode == 0, made.stderr
    target = _empty_store(database_url, tmp_path, "restored.sqlite3")
    assert palabre(target, "restore", str(backup)).returncode == 0
    listed = palabre(target, "documents", "list").stdout.splitlines()
    assert [line.split("\t")[2] for line in listed] == ["Référentiel commun"]
    assert set(rows(target)) < set(rows(database_url))
    versions = palabre(target, "versions", "list", str(source.document_id))
    assert [line.split("\t")[2] for line in versions.stdout.splitlines()] == ["ok", "ok"]
    assert interview_notes(target, source.document_id) == [NOTES]


@pytest.fixture
def pg_database(request: pytest.FixtureRequest) -> str:
    if "postgresql" not in os.environ.get("PALABRE_TEST_BACKENDS", "sqlite,postgresql"):
        pytest.skip("needs PostgreSQL (PALABRE_TEST_BACKENDS)")
    return fresh_database(request.getfixturevalue("pg_admin_url"))


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_migrating_sqlite_into_postgresql_keeps_versions_and_the_chain(
    source: Committee, database_url: str, pg_database: str
) -> None:
    migrated = palabre(database_url, "migrate", "--to", pg_database)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    assert "copying events" in migrated.stderr
    assert "all 2 approved versions match their pinned hash" in migrated.stdout
    assert rows(pg_database) == rows(database_url)
    assert interview_notes(pg_database, source.document_id) == interview_notes(
        database_url, source.document_id
    )
    before = palabre(database_url, "versions", "list", str(source.document_id)).stdout
    after = palabre(pg_database, "versions", "list", str(source.document_id)).stdout
    assert after == before
    assert palabre(pg_database, "verify", str(source.document_id)).returncode == 0


def test_three_instances_catching_up_at_once_store_each_row_and_link_once(
    source: Committee, database_url: str
) -> None:
    settings = Settings(database=database_url)
    with (
        open_services(settings) as a,
        open_services(settings) as b,
        open_services(settings) as c,
        ThreadPoolExecutor(3) as pool,
    ):
        list(pool.map(lambda s: s.projections.catch_up(), (a, b, c)))
        for services in (a, b, c):
            assert services.projections.lag() == {"versions": 0, "audit": 0}
            numbers = [v.number for v in services.versions.versions(source.document_id)]
            assert numbers == [1, 2]
        report = a.audit.verify()
    assert report.broken is None
    assert report.checked == len(rows(database_url))
