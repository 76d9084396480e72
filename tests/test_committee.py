"""The committee's rules, in the domain: who may vote, how decisions are computed, and that a
decision can never change. On SQLite and PostgreSQL alike."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any
from uuid import UUID

import pytest
from palabre.domain.actor import acting_as
from palabre.domain.application import IssuedMember, PalabreApplication
from palabre.domain.committee import (
    Ballot,
    CastVote,
    Choice,
    Mode,
    Outcome,
    Rule,
    canonical_sha256,
    decide,
)
from palabre.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from palabre.domain.roles import Country, Role

SHA = canonical_sha256("# Référentiel commun\n")


def as_member(member: IssuedMember) -> AbstractContextManager[None]:
    return acting_as(member.member.id)


def _votes(*choices: Choice) -> dict[str, CastVote]:
    return {f"org{i}": CastVote(f"org{i}", f"m{i}", c, "parce que") for i, c in enumerate(choices)}


@pytest.mark.parametrize(
    ("rule", "eligible", "choices", "outcome"),
    [
        (Rule(0.5, Mode.MAJORITY), 4, [Choice.APPROVE, Choice.OBJECT], Outcome.REJECTED),
        (Rule(0.5, Mode.MAJORITY), 4, [Choice.APPROVE, Choice.ABSTAIN], Outcome.ACCEPTED),
        (Rule(0.5, Mode.MAJORITY), 4, [Choice.APPROVE], Outcome.REJECTED),  # below quorum
        (Rule(0.75, Mode.MAJORITY), 4, [Choice.APPROVE] * 3, Outcome.ACCEPTED),  # at quorum
        (Rule(1 / 3, Mode.MAJORITY), 3, [Choice.APPROVE], Outcome.ACCEPTED),  # float edge
        (Rule(0.5, Mode.MAJORITY), 0, [], Outcome.REJECTED),  # nobody can vote
        (
            Rule(0.5, Mode.CONSENT),
            3,
            [Choice.APPROVE, Choice.APPROVE, Choice.OBJECT],
            Outcome.REJECTED,
        ),
        (Rule(0.5, Mode.CONSENT), 3, [Choice.APPROVE, Choice.ABSTAIN], Outcome.ACCEPTED),
        (Rule(0.5, Mode.MAJORITY), 3, [Choice.ABSTAIN, Choice.ABSTAIN], Outcome.REJECTED),
    ],
)
def test_decision_rule(rule: Rule, eligible: int, choices: list[Choice], outcome: Outcome) -> None:
    votes = _votes(*choices)
    organisations = {f"org{i}" for i in range(eligible)}
    decided, tally = decide(rule, organisations, votes)
    assert decided is outcome
    assert tally["voting_organisations"] == eligible
    assert tally["approve"] + tally["abstain"] + tally["object"] == tally["voted"]


def test_votes_of_organisations_without_rights_do_not_count() -> None:
    votes = _votes(Choice.OBJECT, Choice.APPROVE)
    outcome, tally = decide(Rule(0.5, Mode.CONSENT), {"org1"}, votes)
    assert outcome is Outcome.ACCEPTED
    assert list(tally["votes"]) == ["org1"]


@pytest.mark.parametrize(
    "body",
    [
        {"quorum": 0},
        {"quorum": 1.5},
        {"quorum": "half"},
        {"quorum": True},
        {"mode": "x"},
        {"ballot": "hidden"},
    ],
)
def test_bad_rules_are_refused(body: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        Rule.parse(body)


class Committee:
    """A document with three voting organisations and one without a vote."""

    def __init__(self, app: PalabreApplication) -> None:
        self.app = app
        self.document = app.create_document("Référentiel commun").id
        self.coordinator = app.add_member("Awa", "Coordination", Country.TG, Role.COORDINATOR)
        doc = self.document
        self.fr = app.add_member("Yann", "CRESS Bretagne", Country.FR, Role.EDITOR, doc, votes=True)
        self.fr2 = app.add_member(
            "Gwen", "CRESS Bretagne", Country.FR, Role.EDITOR, doc, votes=True
        )
        self.tg = app.add_member(
            "Afi", "FONGTO", Country.TG, Role.EDITOR, doc, votes=True, delegate=True
        )
        self.tg2 = app.add_member("Kossi", "FONGTO", Country.TG, Role.EDITOR, doc, votes=True)
        self.uni = app.add_member(
            "Maëlle", "Université", Country.FR, Role.COORDINATOR, doc, votes=True
        )
        self.silent = app.add_member("Kodjo", "Akwaba", Country.TG, Role.EDITOR, doc)
        self.commenter = app.add_member(
            "Léa", "Réseau", Country.FR, Role.COMMENTER, doc, votes=True
        )
        self.observer = app.add_member("Ama", "Observatoire", Country.TG, Role.OBSERVER, doc)

    def propose(self) -> str:
        with as_member(self.coordinator):
            return self.app.propose(self.document, "Version soumise au comité", 0, SHA).id

    def vote(self, who: IssuedMember, proposal: str, choice: Choice, reason: str = "") -> None:
        with as_member(who):
            self.app.vote(self.document, proposal, choice, reason)

    def close(self, proposal: str) -> tuple[Outcome | None, int | None, dict[str, Any]]:
        with as_member(self.coordinator):
            closed = self.app.close_proposal(self.document, proposal)
        assert closed.tally is not None
        return closed.outcome, closed.version, closed.tally


@pytest.fixture
def committee(application: PalabreApplication) -> Committee:
    return Committee(application)


def test_voting_organisations_and_versions(committee: Committee) -> None:
    document = committee.app.committee(committee.document)
    # Organisations become voting with their first voting member; the commenter's counts too,
    # though a commenter may not vote: rights belong to organisations.
    assert len(document.voting_organisations) == 4
    first = committee.propose()
    committee.vote(committee.fr, first, Choice.APPROVE)
    committee.vote(committee.tg, first, Choice.OBJECT, "Les structures togolaises manquent")
    committee.vote(committee.uni, first, Choice.APPROVE)
    outcome, version, tally = committee.close(first)
    assert (outcome, version) == (Outcome.ACCEPTED, 1)
    assert tally["object"] == 1
    assert tally["votes"][str(committee.tg.member.organisation.id)]["reason"].startswith("Les")
    second = committee.propose()
    committee.vote(committee.fr, second, Choice.OBJECT, "Trop tôt")
    assert committee.close(second)[:2] == (Outcome.REJECTED, None)
    third = committee.propose()
    for who in (committee.fr, committee.tg, committee.uni):
        committee.vote(who, third, Choice.APPROVE)
    assert committee.close(third)[:2] == (Outcome.ACCEPTED, 2)
    assert committee.app.committee(committee.document).versions == [first, third]


def test_one_vote_per_organisation_the_last_counts(committee: Committee) -> None:
    proposal = committee.propose()
    committee.vote(committee.fr, proposal, Choice.OBJECT, "Non")
    committee.vote(committee.fr2, proposal, Choice.APPROVE)  # same organisation, changes it
    committee.vote(committee.fr2, proposal, Choice.APPROVE)  # again: nothing new
    state = committee.app.committee(committee.document).proposal(proposal)
    assert len(state.votes) == 1
    assert state.casts == 2
    assert committee.close(proposal)[2]["approve"] == 1


@pytest.mark.parametrize(
    ("voter", "error"),
    [
        ("commenter", Forbidden),
        ("observer", Forbidden),
        ("silent", Forbidden),
        ("tg2", Forbidden),
    ],  # tg2 is not FONGTO's delegate
)
def test_who_may_not_vote(committee: Committee, voter: str, error: type[Exception]) -> None:
    proposal = committee.propose()
    with pytest.raises(error):
        committee.vote(getattr(committee, voter), proposal, Choice.APPROVE)
    assert committee.app.committee(committee.document).proposal(proposal).casts == 0


def test_non_voting_organisation_cannot_vote(committee: Committee) -> None:
    with as_member(committee.coordinator):
        committee.app.set_organisation_voting(
            committee.document, committee.fr.member.organisation.id, False
        )
    proposal = committee.propose()
    with pytest.raises(Forbidden, match="no vote"):
        committee.vote(committee.fr, proposal, Choice.APPROVE)


def test_a_decision_never_changes(committee: Committee) -> None:
    proposal = committee.propose()
    committee.vote(committee.fr, proposal, Choice.APPROVE)
    committee.vote(committee.uni, proposal, Choice.APPROVE)
    committee.close(proposal)
    with pytest.raises(Conflict):
        committee.vote(committee.tg, proposal, Choice.OBJECT, "Trop tard")
    with pytest.raises(Conflict):
        committee.close(proposal)


def test_objections_need_a_reason(committee: Committee) -> None:
    proposal = committee.propose()
    with pytest.raises(InvalidInput, match="reason"):
        committee.vote(committee.fr, proposal, Choice.OBJECT, "   ")


def test_only_coordinators_run_the_committee(committee: Committee) -> None:
    with as_member(committee.fr), pytest.raises(Forbidden):
        committee.app.propose(committee.document, "label", 0, SHA)
    with as_member(committee.fr), pytest.raises(Forbidden):
        committee.app.open_meeting(committee.document, "Séance", "2026-10-14")
    with as_member(committee.uni):  # coordinator of this document only: allowed
        committee.app.set_rule(committee.document, Rule(0.6, Mode.CONSENT, Ballot.SECRET))
    assert committee.app.committee(committee.document).rule.mode is Mode.CONSENT


def test_meetings_hold_their_proposals(committee: Committee) -> None:
    app, doc = committee.app, committee.document
    with as_member(committee.coordinator):
        meeting = app.open_meeting(doc, "Comité de pilotage d'octobre", "2026-10-14")
        with pytest.raises(Conflict):
            app.open_meeting(doc, "Une autre", "2026-10-15")
        app.record_attendance(doc, meeting.id, [committee.fr.member.id, committee.tg.member.id])
        with pytest.raises(InvalidInput):
            app.record_attendance(doc, meeting.id, [UUID(int=7)])
    proposal = committee.propose()
    with as_member(committee.coordinator):
        with pytest.raises(Conflict, match="open proposals"):
            app.close_meeting(doc, meeting.id)
        app.close_proposal(doc, proposal)
        app.close_meeting(doc, meeting.id)
        with pytest.raises(InvalidInput):
            app.open_meeting(doc, "Date fausse", "14/10/2026")
    recorded = app.committee(doc).meeting(meeting.id)
    assert recorded.proposals == [proposal]
    assert len(recorded.present) == 2
    assert recorded.closed


def test_removing_a_member_revokes_their_token(committee: Committee) -> None:
    app = committee.app
    with as_member(committee.coordinator):
        removed = app.remove_member(committee.document, committee.silent.member.id)
    assert removed.role_on(committee.document) is None
    with pytest.raises(Unauthenticated):
        app.authenticate(committee.silent.token)
    assert committee.silent.member.id not in {m.id for m in app.members(committee.document)}
    with pytest.raises(NotFound):
        app.remove_member(committee.document, committee.silent.member.id)


def test_the_rule_is_fixed_when_a_proposal_opens(committee: Committee) -> None:
    proposal = committee.propose()  # majority, open ballot
    committee.vote(committee.fr, proposal, Choice.APPROVE)
    committee.vote(committee.tg, proposal, Choice.OBJECT, "Non")
    committee.vote(committee.uni, proposal, Choice.APPROVE)
    with as_member(committee.coordinator):
        committee.app.set_rule(committee.document, Rule(0.5, Mode.CONSENT, Ballot.SECRET))
    state = committee.app.committee(committee.document).proposal(proposal)
    assert state.rule == Rule(0.5, Mode.MAJORITY, Ballot.OPEN)
    outcome, _, tally = committee.close(proposal)
    assert outcome is Outcome.ACCEPTED  # under consent the objection would have rejected it
    assert tally["rule"]["mode"] == "majority"


def test_simultaneous_votes_are_all_recorded(committee: Committee, database_url: str) -> None:
    """Organisations voting at the same moment, through separate application objects (as
    separate server processes would): every vote is stored, none is lost to a race."""
    import threading

    from palabre.server.storage.database import Database, open_application

    proposal = committee.propose()
    voters = [committee.fr, committee.tg, committee.uni]
    apps = [open_application(Database(database_url)) for _ in voters]
    errors: list[BaseException] = []

    def vote(app: PalabreApplication, who: IssuedMember) -> None:
        with acting_as(who.member.id):
            try:
                app.vote(committee.document, proposal, Choice.APPROVE, "")
            except BaseException as error:  # reported below
                errors.append(error)

    threads = [threading.Thread(target=vote, args=pair) for pair in zip(apps, voters, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for app in apps:
        app.close()
    assert not errors
    assert len(committee.app.committee(committee.document).proposal(proposal).votes) == 3
