"""The event store through the application service, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import threading
from uuid import uuid4

import pytest
from palabre.domain.application import PalabreApplication
from palabre.domain.contribution import NewContribution
from palabre.domain.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PositionConflict,
    Unauthenticated,
)
from palabre.domain.ids import DocumentId
from palabre.domain.roles import Country, Role
from palabre.server.crdt.replica import compact, rebuild
from palabre.server.storage.database import Database, open_application
from palabre.server.storage.store import Store
from pycrdt import Doc, Text


def _typed_updates(count: int) -> list[bytes]:
    doc: Doc[Text] = Doc()
    text = doc.get("body", type=Text)
    updates: list[bytes] = []
    doc.observe(lambda event: updates.append(event.update))
    for k in range(count):
        text.insert(len(str(text)), f"mot{k} ")
    return updates


def _contribution(update: bytes) -> NewContribution:
    return NewContribution(uuid4(), "session", update, 1)


def test_contributions_append_in_order_and_conflicts_store_nothing(
    application: PalabreApplication,
) -> None:
    document = application.create_document("Référentiel").id
    updates = _typed_updates(5)
    assert (
        application.append_contributions(document, 0, [_contribution(u) for u in updates[:3]]) == 3
    )
    with pytest.raises(PositionConflict) as conflict:
        application.append_contributions(document, 2, [_contribution(u) for u in updates[3:]])
    assert (conflict.value.expected, conflict.value.actual) == (2, 3)
    assert application.contribution_count(document) == 3
    stored = list(application.contributions(document))
    assert [c.originator_version for c in stored] == [1, 2, 3]
    assert [c.update for c in stored] == updates[:3]
    assert [c.update for c in application.contributions(document, after=1, upto=2)] == [updates[1]]
    assert application.document(document).contributions == 3


async def test_checkpoint_plus_tail_equals_full_replay(application: PalabreApplication) -> None:
    document = application.create_document("Référentiel").id
    updates = _typed_updates(30)
    application.append_contributions(document, 0, [_contribution(u) for u in updates[:20]])
    store = Store(application, threads=2)
    assert await store.checkpoint(document, minimum_tail=25) is None  # not worth it yet
    assert await store.checkpoint(document, minimum_tail=10) == 20
    application.append_contributions(document, 20, [_contribution(u) for u in updates[20:]])
    loaded = await store.load(document)
    assert loaded.position == 30
    assert len(loaded.tail) == 10
    assert loaded.checkpoint is not None
    full = rebuild(updates).text
    assert rebuild(loaded.updates()).text == full
    # A checkpoint is a pure function of the log: recomputing it gives the same bytes.
    checkpoint = application.latest_checkpoint(document)
    assert checkpoint is not None
    assert checkpoint.state == compact(updates[:20])
    # Reading at an earlier position uses the checkpoint at or before it.
    early = await store.load(document, upto=10)
    assert early.checkpoint is None
    assert rebuild(early.updates()).text == rebuild(updates[:10]).text


def test_tokens_authenticate_and_only_their_hash_is_stored(
    application: PalabreApplication,
) -> None:
    issued = application.add_member("Afi Mensah", "FETOSE", Country.TG, Role.EDITOR)
    assert application.authenticate(issued.token).id == issued.member.id
    everything = b"".join(
        event.state for event in application.recorder.select_notifications(start=1, limit=10_000)
    )
    assert issued.token.encode() not in everything
    assert issued.member.name.encode() in everything  # the events are really there
    for bad in ["", "plb_", "plb_unknown", issued.token + "x", "x" * 500]:
        with pytest.raises(Unauthenticated):
            application.authenticate(bad)


def test_roles_per_document_and_for_every_document(application: PalabreApplication) -> None:
    first = application.create_document("Un").id
    second = application.create_document("Deux").id
    everywhere = application.add_member("Awa", "Coordination", Country.TG, Role.COORDINATOR)
    here = application.add_member("Yann", "CRESS", Country.FR, Role.OBSERVER, first)
    assert everywhere.member.role_on(second) is Role.COORDINATOR
    assert here.member.role_on(first) is Role.OBSERVER
    assert here.member.role_on(second) is None
    with pytest.raises(NotFound):
        application.add_member("Nobody", "X", Country.FR, Role.EDITOR, DocumentId(uuid4()))


def test_organisations_are_one_per_name_and_country(application: PalabreApplication) -> None:
    first = application.register_organisation("Réseau  solidaire", Country.FR)
    again = application.register_organisation("réseau solidaire", Country.FR)
    assert first.id == again.id
    assert first.name == "Réseau solidaire"
    with pytest.raises(Conflict, match="registered in FR"):
        application.register_organisation("Réseau solidaire", Country.TG)


@pytest.mark.parametrize("title", ["", "   ", "x" * 201])
def test_bad_titles_are_refused(application: PalabreApplication, title: str) -> None:
    with pytest.raises(InvalidInput):
        application.create_document(title)


def test_concurrent_writers_list_every_document(database_url: str) -> None:
    """Two processes' worth of applications creating documents at once: none is lost."""
    apps = [open_application(Database(database_url)) for _ in range(2)]
    created: list[str] = []
    errors: list[BaseException] = []

    def create(app: PalabreApplication, prefix: str) -> None:
        try:
            for k in range(15):
                created.append(str(app.create_document(f"{prefix} {k}").id))
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=create, args=(app, f"p{i}")) for i, app in enumerate(apps)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert not errors
        listed = sorted(str(d.id) for d in apps[0].documents())
        assert listed == sorted(created)
        assert len(listed) == 30
    finally:
        for app in apps:
            app.close()
