"""The audit trail: the hash chain over the whole event log, its verification against real
tampering with the stored rows (SQL behind the application's back), the head recorded by
decisions, and the JSON Lines export (command line and HTTP), on SQLite and PostgreSQL.

Why one file of over 400 lines: its tests share the stories and the tampering helpers (SQL
behind the application's back, on both stores) that the chain is checked against."""

from __future__ import annotations

import base64
import contextlib
import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import orjson
import psycopg
import pytest
from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic
from palabre.domain.actor import acting_member
from palabre.domain.application import PalabreApplication
from palabre.domain.chain import GENESIS, ChainHead, chain_link, scan_chain_head
from palabre.domain.committee import Choice
from palabre.domain.contribution import NewContribution
from palabre.domain.document import Document
from palabre.domain.ids import DocumentId, contribution_log_id
from palabre.domain.roles import Country, Role
from palabre.projections.audit_chain import AuditChain
from palabre.server.answers.audit import MEDIA_TYPE
from palabre.server.http.audit import AuditApi, openapi_paths
from palabre.server.http.plumbing import Authenticated
from palabre.server.storage.database import Database
from palabre.server.storage.store import Store
from palabre.server.storage.transcoder import CompactTranscoder
from palabre.server.storage.views import open_audit
from starlette.applications import Starlette

from tests.test_cli import palabre

CLOSED_TOPIC = get_topic(Document.ProposalClosed)


@dataclass(frozen=True)
class History:
    application: PalabreApplication
    document_id: DocumentId
    coordinator: str  # a token
    proposal_id: str

    def notifications(self) -> list[Notification]:
        recorder = self.application.recorder
        return list(recorder.select_notifications(1, 10_000))


def record_history(
    application: PalabreApplication, seal: Callable[[], ChainHead] | None = None
) -> History:
    """Members, contributions, a proposal, a vote and its decision: every kind of event."""
    document = application.create_document("Référentiel commun")
    coordinator = application.add_member(
        "Awa Koffi", "Coordination Lomé", Country.TG, Role.COORDINATOR, document.id
    )
    voter = application.add_member(
        "Afi Mensah", "Fédération des ONG du Togo", Country.TG, Role.EDITOR, document.id, True
    ).member.id
    batch = [NewContribution(voter, "session", f"update {i}".encode(), 1) for i in range(4)]
    application.append_contributions(document.id, 0, batch)
    proposal = application.propose(document.id, "Première lecture", 4, "a" * 64)
    acting = acting_member.set(voter)
    try:
        # Rejected: the updates are not real CRDT updates, so no version could be rebuilt.
        application.vote(document.id, proposal.id, Choice.OBJECT, "pas encore")
    finally:
        acting_member.reset(acting)
    application.close_proposal(document.id, proposal.id, seal)
    return History(application, document.id, coordinator.token, proposal.id)


@pytest.fixture
def history(application: PalabreApplication) -> History:
    return record_history(application)


@pytest.fixture
def audit(application: PalabreApplication, database_url: str) -> Iterator[AuditChain]:
    chain = open_audit(Database(database_url), application)
    yield chain
    chain.close()


def expected_links(notifications: list[Notification]) -> dict[int, str]:
    links, previous = {}, GENESIS
    for notification in notifications:
        previous = links[notification.id] = chain_link(previous, notification)
    return links


# The chain on an untouched store -----------------------------------------------------------


def test_the_chain_verifies_on_an_untouched_store(history: History, audit: AuditChain) -> None:
    stored = history.notifications()
    assert audit.catch_up() == len(stored)
    assert audit.catch_up() == 0
    report = audit.verify()
    assert report.ok, report.broken
    assert (report.checked, report.unlinked_after) == (len(stored), None)
    assert report.head == ChainHead(stored[-1].id, expected_links(stored)[stored[-1].id])
    assert report.head == scan_chain_head(history.application.recorder) == audit.head()


def test_events_stored_after_the_last_catch_up_are_reported_unlinked_not_broken(
    history: History, audit: AuditChain
) -> None:
    audit.catch_up()
    linked = audit.head().position
    history.application.create_document("Autre référentiel")
    report = audit.verify()
    assert report.ok
    assert report.unlinked_after == linked
    assert audit.catch_up() > 0
    assert audit.verify().unlinked_after is None


def test_processes_linking_at_once_store_each_link_once(
    history: History, database_url: str
) -> None:
    chains = [open_audit(Database(database_url), history.application) for _ in range(3)]
    try:
        with ThreadPoolExecutor(len(chains)) as pool:
            linked = list(pool.map(lambda chain: chain.catch_up(), chains))
        assert sum(linked) == len(history.notifications())
        assert all(chain.verify().ok for chain in chains)
    finally:
        for chain in chains:
            chain.close()


# Tampering ---------------------------------------------------------------------------------


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


TAMPERINGS = ["state", "topic", "delete", "delete-last", "insert", "reorder"]


def tamper(kind: str, database_url: str, ids: list[int]) -> tuple[int, str]:
    """Change the store in one way; returns the notification where the chain must break
    and what the report must say."""
    sql, middle, last = Tamper(database_url), ids[len(ids) // 2], ids[-1]
    if kind == "state":
        sql.alter_state(middle)
        return middle, "was altered: its state hashes to"
    if kind == "topic":
        sql.alter_topic(middle)
        return middle, "was altered: its topic was"
    if kind == "delete":
        sql.delete(middle)
        return middle, "an event was deleted"
    if kind == "delete-last":
        sql.delete(last)
        return last, "an event was deleted"
    if kind == "insert":
        sql.insert(middle, last)
        return middle, "now stored at another position: events were reordered or inserted"
    sql.swap(middle, middle + 2)
    return middle, "now stored at another position: events were reordered or inserted"


@pytest.mark.parametrize("kind", TAMPERINGS)
def test_each_kind_of_tampering_is_detected(
    kind: str, history: History, audit: AuditChain, database_url: str
) -> None:
    audit.catch_up()
    assert audit.verify().ok
    where, problem = tamper(kind, database_url, [n.id for n in history.notifications()])
    report = audit.verify()
    assert report.broken is not None
    assert report.broken.notification_id == where
    assert problem in report.broken.problem
    assert report.checked == len([n for n in history.notifications() if n.id < where])


def rewrite_link(database_url: str, notification_id: int, link: str) -> None:
    """Change one stored link (not an event): the audit store's own table."""
    transcoder = CompactTranscoder()
    select = "SELECT state FROM auditchain_events WHERE originator_version={p}"
    update = "UPDATE auditchain_events SET state={p} WHERE originator_version={p}"
    if database_url.startswith("sqlite:///"):
        path = database_url[len("sqlite:///") :]
        with contextlib.closing(sqlite3.connect(path)) as connection, connection:
            (state,) = connection.execute(select.format(p="?"), (notification_id,)).fetchone()
            fields = transcoder.decode(state) | {"link": link}
            connection.execute(update.format(p="?"), (transcoder.encode(fields), notification_id))
        return
    with psycopg.connect(database_url) as pg:
        found = pg.execute(select.format(p="%s"), (notification_id,)).fetchone()
        assert found is not None
        fields = transcoder.decode(bytes(found[0])) | {"link": link}
        pg.execute(update.format(p="%s"), (transcoder.encode(fields), notification_id))


def test_a_changed_link_is_reported_as_the_audit_store_altered(
    history: History, audit: AuditChain, database_url: str
) -> None:
    audit.catch_up()
    where = history.notifications()[3].id
    rewrite_link(database_url, where, "f" * 64)
    report = audit.verify()
    assert report.broken is not None
    assert report.broken.notification_id == where
    assert "the audit store itself was altered" in report.broken.problem


@pytest.mark.parametrize("kind", ["state", "reorder"])
def test_palabre_verify_exits_non_zero_naming_the_first_broken_link(
    kind: str, history: History, database_url: str
) -> None:
    document = str(history.document_id)
    clean = palabre(database_url, "verify", document)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    chain_line = next(line for line in clean.stdout.splitlines() if line.startswith("chain\t"))
    assert chain_line.startswith("chain\tok\t0 events match their links; ")
    again = palabre(database_url, "verify", document)
    assert f"{len(history.notifications())} events match their links" in again.stdout

    where, problem = tamper(kind, database_url, [n.id for n in history.notifications()])
    tampered = palabre(database_url, "verify", document)
    assert tampered.returncode == 1
    assert f"chain\tBROKEN\tnotification {where}: " in tampered.stdout
    assert problem in tampered.stdout
    assert f"MISMATCH: the audit chain breaks at notification {where}" in tampered.stdout


# Decisions ---------------------------------------------------------------------------------


def decision(history: History) -> tuple[Notification, Any]:
    (closed,) = history.application.recorder.select_notifications(1, 10, topics=[CLOSED_TOPIC])
    return closed, history.application.committee(history.document_id).proposal(history.proposal_id)


def test_the_decision_records_the_head_of_the_chain(history: History, audit: AuditChain) -> None:
    closed, proposal = decision(history)
    before = [n for n in history.notifications() if n.id < closed.id]
    assert proposal.chain_position == before[-1].id == closed.id - 1
    assert proposal.chain_head == expected_links(before)[before[-1].id]
    event: Any = history.application.mapper.to_domain_event(closed)
    assert (event.chain_head, event.chain_position) == (
        proposal.chain_head,
        proposal.chain_position,
    )
    audit.catch_up()
    sealed = audit._store.link_at(closed.id - 1)
    assert sealed is not None
    assert sealed.link == proposal.chain_head


def test_an_injected_head_is_what_the_decision_records(
    application: PalabreApplication, audit: AuditChain
) -> None:
    history = record_history(application, audit.head)  # as the server's handlers do
    closed, proposal = decision(history)
    assert proposal.chain_position == closed.id - 1
    assert proposal.chain_head == expected_links(history.notifications())[closed.id - 1]
    assert audit.verify().ok


def test_a_decision_recording_another_head_is_reported(
    application: PalabreApplication, audit: AuditChain
) -> None:
    history = record_history(application, lambda: ChainHead(2, "f" * 64))  # not the link at 2
    closed, _ = decision(history)
    audit.catch_up()
    report = audit.verify()
    assert report.broken is not None
    assert report.broken.notification_id == closed.id
    assert f"records the chain head {'f' * 64} at notification 2" in report.broken.problem


# Export ------------------------------------------------------------------------------------


def check_lines(history: History, lines: list[dict[str, Any]]) -> None:
    """Each line's hash is its event's link: recomputed from the line alone (its previous
    link and stored state) and equal to the chain computed from the store."""
    chain = expected_links(history.notifications())
    document = history.document_id
    assert {line["originator_id"] for line in lines} >= {
        str(document),
        str(contribution_log_id(document)),
    }
    assert [line["notification_id"] for line in lines] == sorted(
        line["notification_id"] for line in lines
    )
    for line in lines:
        notification = Notification(
            id=line["notification_id"],
            originator_id=UUID(line["originator_id"]),
            originator_version=line["originator_version"],
            topic=line["topic"],
            state=base64.b64decode(line["state"]),
        )
        assert line["hash"] == chain[notification.id]
        assert chain_link(line["previous"], notification) == line["hash"]
        assert line["event"]["timestamp"] == line["timestamp"]
    contributions = [line for line in lines if line["topic"].endswith(":Contributed")]
    assert [base64.b64decode(c["event"]["update"]) for c in contributions] == [
        f"update {i}".encode() for i in range(4)
    ]


def test_palabre_audit_export_writes_json_lines_whose_hashes_match_the_chain(
    history: History, database_url: str, tmp_path: Path
) -> None:
    document = str(history.document_id)
    printed = palabre(database_url, "audit", "export", document)
    assert printed.returncode == 0, printed.stderr
    lines = [orjson.loads(line) for line in printed.stdout.splitlines()]
    assert f"{len(lines)} events exported" in printed.stderr
    check_lines(history, lines)
    target = tmp_path / "audit.jsonl"
    written = palabre(database_url, "audit", "export", document, "-o", str(target))
    assert written.returncode == 0, written.stderr
    assert target.read_text(encoding="utf-8") == printed.stdout
    unknown = palabre(database_url, "audit", "export", str(UUID(int=0)))
    assert unknown.returncode == 2
    assert "no document" in unknown.stderr


async def test_the_http_export_streams_the_same_lines(
    history: History, audit: AuditChain, database_url: str
) -> None:
    store = Store(history.application, 2)
    app = Starlette(routes=AuditApi(store, audit).routes(Authenticated(store)))
    path = f"/api/documents/{history.document_id}/audit"
    bearer = {"Authorization": f"Bearer {history.coordinator}"}
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://palabre") as http:
            answer = await http.get(path, headers=bearer)
            anonymous = await http.get(path)
            unknown = await http.get(f"/api/documents/{UUID(int=0)}/audit", headers=bearer)
    finally:
        store._executor.shutdown(wait=True)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == MEDIA_TYPE
    check_lines(history, [orjson.loads(line) for line in answer.text.splitlines()])
    assert anonymous.status_code == 401
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"]
    assert set(openapi_paths()) == {"/api/documents/{document_id}/audit"}
