"""Approved versions: the projection, its verification and its commands, on SQLite and
PostgreSQL alike, with real CRDT updates, real committee decisions and real tampering with the
stored events."""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import logging
import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg
import pytest
from eventsourcing.utils import get_topic
from palabre.domain.actor import acting_as
from palabre.domain.application import PalabreApplication
from palabre.domain.committee import Choice, canonical_sha256
from palabre.domain.contribution import Contributed, NewContribution
from palabre.domain.document import Proposal
from palabre.domain.errors import NotFound
from palabre.domain.ids import DocumentId, MemberId
from palabre.domain.roles import Country, Role
from palabre.projections.approved_versions import ApprovedVersions
from palabre.projections.text_diff import Segment, unified, words
from palabre.server.crdt.replay import EngineReplica
from palabre.server.crdt.replica import compact, rebuild
from palabre.server.storage.database import Database, open_application
from palabre.server.storage.views import open_versions
from pycrdt import Doc, Text

from tests.support.cli import last_line, palabre

# One contribution each: the text at position N is the first N pieces.
PIECES = [
    "# Référentiel commun\n",
    "Le projet relie ",
    "des structures ",
    "de l'ESS ",
    "en Bretagne ",
    "et au Togo.\n",
    "## Les acteurs\n",
    "Chacun dit ce qu'il attend.\n",
]


def typed_updates(pieces: list[str]) -> list[bytes]:
    doc: Doc[Text] = Doc()
    text = doc.get("body", type=Text)
    updates: list[bytes] = []
    doc.observe(lambda event: updates.append(event.update))
    for piece in pieces:
        text.insert(len(str(text).encode("utf-8")), piece)  # pycrdt 0.14 counts UTF-8 bytes
    return updates


@dataclass(frozen=True)
class Committee:
    application: PalabreApplication
    document_id: DocumentId
    voter: MemberId
    updates: list[bytes]

    def text_at(self, position: int) -> str:
        return rebuild(self.updates[:position]).text

    def decide(
        self, label: str, position: int, choice: Choice = Choice.APPROVE, sha256: str = ""
    ) -> Proposal:
        """Propose the text at ``position`` (pinning its true hash unless told), vote, close."""
        app = self.application
        pinned = sha256 or canonical_sha256(self.text_at(position))
        proposal = app.propose(self.document_id, label, position, pinned)
        with acting_as(self.voter):
            app.vote(self.document_id, proposal.id, choice, "pas encore")
        return app.close_proposal(self.document_id, proposal.id)


@pytest.fixture
def committee(application: PalabreApplication) -> Committee:
    document = application.create_document("Référentiel commun")
    voter = application.add_member(
        "Afi Mensah", "Fédération des ONG du Togo", Country.TG, Role.EDITOR, document.id, True
    ).member.id
    updates = typed_updates(PIECES)
    application.append_contributions(
        document.id, 0, [NewContribution(voter, "session", u, 1) for u in updates]
    )
    assert rebuild(updates).text == "".join(PIECES)
    return Committee(application, document.id, voter, updates)


@pytest.fixture
def versions(application: PalabreApplication, database_url: str) -> Iterator[ApprovedVersions]:
    projection = open_versions(Database(database_url), application)
    yield projection
    projection.close()


def closed_events(committee: Committee) -> list[Any]:
    stream = committee.application.events.get(committee.document_id)
    return [e for e in stream if type(e).__name__ == "ProposalClosed"]


# The projection ----------------------------------------------------------------------------


def test_each_approved_version_is_stored_with_its_text_and_hashes(
    committee: Committee, versions: ApprovedVersions
) -> None:
    app, document = committee.application, committee.document_id
    app.store_checkpoint(document, 2, compact(committee.updates[:2]))  # v1 starts from it
    first = committee.decide("Première lecture", 3)
    committee.decide("Trop tôt", 5, Choice.OBJECT)  # rejected: no version
    meeting = app.open_meeting(document, "Comité de pilotage", "2026-03-12")
    second = committee.decide("Version du comité", 8)

    v1, v2 = versions.versions(document)
    assert (v1.number, v1.label, v1.position, v1.meeting_id) == (1, "Première lecture", 3, None)
    assert (v2.number, v2.label, v2.position, v2.meeting_id) == (
        2,
        "Version du comité",
        8,
        meeting.id,
    )
    for version, position, proposal in ((v1, 3, first), (v2, 8, second)):
        assert version.markdown == "".join(PIECES[:position])
        assert version.sha256 == version.pinned_sha256 == canonical_sha256(version.markdown)
        assert (version.ok, version.problem, version.decision) == (True, "", "accepted")
        assert version.proposal_id == proposal.id
        assert version.tally == proposal.tally
        assert version.decided_by is None  # closed by the operator
    accepted = [e for e in closed_events(committee) if e.outcome == "accepted"]
    assert [v1.decided_at, v2.decided_at] == [e.timestamp for e in accepted]
    assert versions.version(document, 2) == v2
    with pytest.raises(NotFound, match="v3"):
        versions.version(document, 3)
    report = versions.verify(document)
    assert report.ok
    assert [(c.number, c.rebuilt_sha256) for c in report.checks] == [
        (1, v1.pinned_sha256),
        (2, v2.pinned_sha256),
    ]


def test_rebuilding_from_zero_gives_identical_rows(
    committee: Committee, versions: ApprovedVersions
) -> None:
    committee.decide("Première lecture", 3)
    committee.decide("Version du comité", 8)
    before = versions.versions(committee.document_id)
    seen: list[tuple[int, int]] = []
    summary = versions.rebuild(lambda done, total: seen.append((done, total)))
    assert (summary.generation, summary.versions, summary.mismatches) == (2, 2, ())
    assert versions.versions(committee.document_id) == before
    assert seen == sorted(seen)
    assert seen[-1] == (versions.position(), versions.position())
    # Decisions after the rebuild go on into the rebuilt view.
    committee.decide("Relecture", 8)
    assert [v.number for v in versions.versions(committee.document_id)] == [1, 2, 3]


def test_the_projection_resumes_after_a_restart_without_duplicates(
    committee: Committee, database_url: str
) -> None:
    database = Database(database_url)
    committee.decide("Première lecture", 3)
    first = open_versions(database, committee.application)
    assert first.catch_up() == 1
    position = first.position()
    first.close()

    committee.decide("Version du comité", 8)
    application = open_application(database)
    again = open_versions(database, application)
    try:
        assert again.position() == position
        assert again.catch_up() == 1
        assert again.catch_up() == 0
        assert [v.number for v in again.versions(committee.document_id)] == [1, 2]
        assert again.position() == application.recorder.max_notification_id()
    finally:
        again.close()
        application.close()


def test_processes_catching_up_at_once_store_each_row_once(
    committee: Committee, database_url: str
) -> None:
    for position in (2, 3, 5, 8):
        committee.decide(f"Lecture {position}", position)
    projections = [open_versions(Database(database_url), committee.application) for _ in range(3)]
    try:
        with ThreadPoolExecutor(len(projections)) as pool:
            written = list(pool.map(lambda p: p.catch_up(), projections))
        assert sum(written) == 4
        for projection in projections:
            assert [v.number for v in projection.versions(committee.document_id)] == [1, 2, 3, 4]
    finally:
        for projection in projections:
            projection.close()


def test_a_pinned_hash_that_does_not_match_is_stored_and_reported_loudly(
    committee: Committee, versions: ApprovedVersions, caplog: pytest.LogCaptureFixture
) -> None:
    committee.decide("Hash faux", 3, sha256="0" * 64)
    with caplog.at_level(logging.CRITICAL, logger="palabre.projections"):
        (version,) = versions.versions(committee.document_id)
    assert not version.ok
    assert version.markdown == committee.text_at(3)
    assert version.sha256 == canonical_sha256(committee.text_at(3))
    assert "0" * 64 in version.problem
    assert any(
        r.levelno == logging.CRITICAL and "MISMATCH" in r.getMessage() for r in caplog.records
    )
    report = versions.verify(committee.document_id)
    assert [c.number for c in report.mismatches] == [1]


# Tampering ---------------------------------------------------------------------------------

CONTRIBUTED = get_topic(Contributed)


def rewrite_contribution(database_url: str, position: int, rewrite: Any) -> None:
    """Change the stored bytes of the contribution at ``position``, behind the application's
    back (there is a single document in these tests' databases)."""
    if database_url.startswith("sqlite:///"):
        path = database_url[len("sqlite:///") :]
        with contextlib.closing(sqlite3.connect(path)) as connection, connection:
            row = connection.execute(
                "SELECT rowid, state FROM stored_events WHERE topic=? AND originator_version=?",
                (CONTRIBUTED, position),
            ).fetchone()
            connection.execute(
                "UPDATE stored_events SET state=? WHERE rowid=?", (rewrite(row[1]), row[0])
            )
        return
    with psycopg.connect(database_url) as pg:
        found = pg.execute(
            "SELECT notification_id, state FROM palabre_events "
            "WHERE topic=%s AND originator_version=%s",
            (CONTRIBUTED, position),
        ).fetchone()
        assert found is not None
        pg.execute(
            "UPDATE palabre_events SET state=%s WHERE notification_id=%s",
            (rewrite(bytes(found[1])), found[0]),
        )


def replace(old: bytes, new: bytes) -> Any:
    def rewrite(state: bytes) -> bytes:
        assert state.count(old) == 1
        return state.replace(old, new)

    return rewrite


def test_tampering_with_a_contribution_is_detected_by_verify(
    committee: Committee, versions: ApprovedVersions, database_url: str
) -> None:
    document = str(committee.document_id)
    committee.decide("Première lecture", 3)
    committee.decide("Version du comité", 8)
    assert versions.verify(committee.document_id).ok
    clean = palabre(database_url, "verify", document)
    assert clean.returncode == 0, clean.stderr
    assert last_line(clean) == "all 2 approved versions match their pinned hash"

    rewrite_contribution(database_url, 4, replace(b"de l'ESS", b"DE L'ESS"))

    report = versions.verify(committee.document_id)
    assert [c.ok for c in report.checks] == [True, False]
    (v2,) = report.mismatches
    assert v2.rebuilt_sha256 == canonical_sha256(committee.text_at(8).replace("de l'", "DE L'"))
    assert "v2: the text rebuilt at position 8 hashes to" in v2.problems[0]
    tampered = palabre(database_url, "verify", document)
    assert tampered.returncode == 1
    assert "v1\tok\t" in tampered.stdout
    assert "v2\tMISMATCH\t" in tampered.stdout
    assert tampered.stdout.strip().splitlines()[-1] == "MISMATCH: v2 of 2 approved versions"


def test_an_unreadable_contribution_is_reported_not_crashed_on(
    committee: Committee, versions: ApprovedVersions, database_url: str
) -> None:
    committee.decide("Première lecture", 3)
    committee.decide("Version du comité", 8)
    rewrite_contribution(database_url, 6, lambda state: b"\x01\xff\xff garbage")
    report = versions.verify(committee.document_id)
    assert [c.ok for c in report.checks] == [True, False]
    assert "v2 cannot be rebuilt from the events" in report.mismatches[0].problems[0]
    summary = versions.rebuild()
    assert summary.mismatches == (f"{committee.document_id} v2",)
    v1, v2 = versions.versions(committee.document_id)
    assert v1.ok
    assert (v2.ok, v2.sha256, v2.markdown) == (False, None, "")


def test_the_engine_adapter_reports_refused_updates_as_value_errors() -> None:
    replica = EngineReplica()
    with pytest.raises(ValueError, match="refused by the CRDT engine"):
        replica.apply_stored([b"\x01\x01\xff\xff\xff\xff\x0f"])


# Commands ----------------------------------------------------------------------------------


def test_version_commands_list_show_and_rebuild(committee: Committee, database_url: str) -> None:
    document = str(committee.document_id)
    committee.decide("Première lecture", 3)
    committee.decide("Version du comité", 8)
    pinned = [canonical_sha256(committee.text_at(p)) for p in (3, 8)]

    listing = palabre(database_url, "versions", "list", document)
    assert listing.returncode == 0, listing.stderr
    assert listing.stdout.splitlines() == [
        f"v1\t{pinned[0]}\tok\tPremière lecture",
        f"v2\t{pinned[1]}\tok\tVersion du comité",
    ]
    shown = palabre(database_url, "versions", "show", document, "2")
    assert shown.returncode == 0, shown.stderr
    assert hashlib.sha256(shown.stdout.encode("utf-8")).hexdigest() == pinned[1]
    assert "label: Version du comité" in shown.stderr
    assert f"sha256: {pinned[1]}" in shown.stderr

    rebuilt = palabre(database_url, "projections", "rebuild")
    assert last_line(rebuilt) == "2 versions"
    assert "100%" in rebuilt.stderr

    missing = palabre(database_url, "versions", "show", document, "7")
    assert missing.returncode == 2
    assert "no approved version v7" in missing.stderr
    unknown = palabre(database_url, "verify", str(UUID(int=0)))
    assert unknown.returncode == 2
    assert "no document" in unknown.stderr


# Diffs -------------------------------------------------------------------------------------


def test_diffs_by_line_and_by_word() -> None:
    old = "# Titre\nLe projet relie des structures.\n"
    new = "# Titre\nLe projet relie  des associations.\nFin"
    patch = unified(old, new, "v1", "v2")
    assert patch.startswith("--- v1\n+++ v2\n@@ ")
    assert "-Le projet relie des structures.\n" in patch
    assert "+Le projet relie  des associations.\n+Fin\n\\ No newline at end of file\n" in patch
    assert unified(old, old, "v1", "v1") == ""
    segments = words(old, new)
    assert "".join(s.text for s in segments if s.op != "insert") == old
    assert "".join(s.text for s in segments if s.op != "delete") == new
    assert Segment("delete", "structures.") in segments
    assert Segment("insert", "associations.") in segments
    assert all(a.op != b.op for a, b in itertools.pairwise(segments))
    assert words(old, old) == [Segment("equal", old)]
