"""Authentication keeps what each token's last authentication found and reads the store for
anything newer every time (``domain/authentication.py``): a second authentication is
answered without replaying events, and a revocation, a removal or a role change made through
another application on the same store (another instance) takes effect at the very next
authentication. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from palabre.domain.actor import acting_as
from palabre.domain.application import PalabreApplication
from palabre.domain.authentication import KnownTokens
from palabre.domain.errors import Unauthenticated
from palabre.domain.roles import Country, Role
from palabre.server.storage.database import Database, open_application


@pytest.fixture
def other(database_url: str) -> Iterator[PalabreApplication]:
    """Another application on the same store: another server instance."""
    app = open_application(Database(database_url))
    yield app
    app.close()


def test_a_second_authentication_replays_nothing(application: PalabreApplication) -> None:
    document = application.create_document("Référentiel")
    issued = application.add_member("Yann", "Structure", Country.FR, Role.EDITOR, document.id)
    first = application.authenticate(issued.token)
    assert application.authenticate(issued.token) is first  # the kept answer, not a rebuilt one
    assert len(application.known_tokens) == 1


def test_another_instances_removal_takes_effect_at_once(
    application: PalabreApplication, other: PalabreApplication
) -> None:
    document = application.create_document("Référentiel")
    coordinator = application.add_member("Awa", "Coordination", Country.TG, Role.COORDINATOR)
    issued = application.add_member("Yann", "Structure", Country.FR, Role.EDITOR, document.id)
    assert application.authenticate(issued.token).role_on(document.id) is Role.EDITOR
    with acting_as(coordinator.member.id):
        other.remove_member(document.id, issued.member.id)  # no role left: tokens revoked
    with pytest.raises(Unauthenticated, match="revoked"):
        application.authenticate(issued.token)


def test_another_instances_role_change_takes_effect_at_once(
    application: PalabreApplication, other: PalabreApplication
) -> None:
    document = application.create_document("Référentiel")
    issued = application.add_member("Yann", "Structure", Country.FR, Role.EDITOR, document.id)
    assert application.authenticate(issued.token).role_on(document.id) is Role.EDITOR
    other.change_role(document.id, issued.member.id, Role.OBSERVER, votes=False)
    assert application.authenticate(issued.token).role_on(document.id) is Role.OBSERVER


def test_another_instances_revoked_link_is_refused_at_once(
    application: PalabreApplication, other: PalabreApplication
) -> None:
    document = application.create_document("Référentiel")
    coordinator = application.add_member("Awa", "Coordination", Country.TG, Role.COORDINATOR)
    issued = application.add_member("Yann", "Structure", Country.FR, Role.EDITOR, document.id)
    with acting_as(coordinator.member.id):
        link = application.invite(document.id, issued.member.id)
    application.authenticate(link)
    with acting_as(coordinator.member.id):
        assert other.revoke_invitations(document.id, issued.member.id) == 1
    with pytest.raises(Unauthenticated, match="revoked"):
        application.authenticate(link)
    assert application.authenticate(issued.token).id == issued.member.id  # the other stands


def test_unknown_tokens_are_never_kept(application: PalabreApplication) -> None:
    for guess in ("plb_faux", "plb_" + "0" * 40, ""):
        with pytest.raises(Unauthenticated):
            application.authenticate(guess)
    assert len(application.known_tokens) == 0


def test_the_kept_answers_are_bounded(application: PalabreApplication) -> None:
    document = application.create_document("Référentiel")
    members = [
        application.add_member(f"M{k}", "Structure", Country.FR, Role.EDITOR, document.id)
        for k in range(3)
    ]
    kept = KnownTokens(lambda aggregate_id, version: False, size=2)
    for k, issued in enumerate(members):
        kept.put(f"hash{k}", issued.member, ())
    assert len(kept) == 2
    assert kept.get("hash0") is None  # the least recently used went first
    assert kept.get("hash2") is members[2].member
