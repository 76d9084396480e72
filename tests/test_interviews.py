"""Interviews as sources, in the domain against the real store (SQLite and PostgreSQL): who may
record, edit and link them, who reads the notes, and where the notes are (never in the event
log: in the notes vault, sealed into the events)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import pytest
from palabre.domain.application import PalabreApplication
from palabre.domain.comment import Anchor
from palabre.domain.errors import Forbidden, InvalidInput, NotFound
from palabre.domain.interview_details import MAX_NOTES, Details
from palabre.domain.notes import HIDDEN, seal_of
from palabre.domain.roles import Country, Role

from tests.support.people import acting

SECRET = "Propos confidentiels de la présidente : « budget serré »"


@dataclass(frozen=True)
class Team:
    """A document with one member per role; ``interviewer`` (an editor) and ``listener`` (a
    commenter) led the interviews, ``editor`` did not."""

    document_id: UUID
    coordinator: UUID
    interviewer: UUID
    editor: UUID
    listener: UUID
    observer: UUID
    stranger: UUID  # a coordinator of another document only
    french: UUID  # organisations
    togolese: UUID


@pytest.fixture
def team(application: PalabreApplication) -> Team:
    document = application.create_document("Référentiel commun")
    other = application.create_document("Autre référentiel")

    def add(name: str, organisation: str, country: Country, role: Role, doc: UUID) -> UUID:
        return application.add_member(name, organisation, country, role, doc).member.id

    doc = document.id
    return Team(
        document_id=doc,
        coordinator=add("Awa Koffi", "Coordination Lomé", Country.TG, Role.COORDINATOR, doc),
        interviewer=add("Yann Le Gall", "Chambre régionale de l'ESS", Country.FR, Role.EDITOR, doc),
        editor=add("Afi Mensah", "Fédération des ONG du Togo", Country.TG, Role.EDITOR, doc),
        listener=add("Maëlle Tanguy", "Université Rennes 2", Country.FR, Role.COMMENTER, doc),
        observer=add("Kodjo Amegah", "Association Akwaba", Country.TG, Role.OBSERVER, doc),
        stranger=add("Jean Morvan", "Réseau breton", Country.FR, Role.COORDINATOR, other.id),
        french=application.register_organisation("Département", Country.FR).id,
        togolese=application.register_organisation("ONG Lomé Solidaire", Country.TG).id,
    )


def body(team: Team, **changes: Any) -> dict[str, Any]:
    return {
        "organisation_ids": [str(team.french), str(team.togolese)],
        "date": "2026-07-15",
        "mode": "video",
        "place": "Rennes et Lomé",
        "led_by": [str(team.interviewer), str(team.listener)],
        "people": [{"name": None, "function": "présidente", "organisation_id": str(team.french)}],
        "summary": "Le département attend des **échanges de jeunes**.",
        "attachments": [{"name": "enregistrement.ogg", "sha256": "ab" * 32}],
        "quotable": True,
    } | changes


def record(app: PalabreApplication, team: Team, by: UUID | None, **changes: Any) -> Any:
    with acting(by):
        return app.record_interview(team.document_id, Details.parse(body(team, **changes)), SECRET)


def test_coordinators_and_the_interviewers_record_others_cannot(
    application: PalabreApplication, team: Team
) -> None:
    for allowed in (team.coordinator, team.interviewer, team.listener, None):
        recorded = record(application, team, allowed)
        assert recorded.recorded_by == allowed
    refused = {
        team.editor: "only coordinators and the members who led it",
        team.observer: "observers cannot",
        team.stranger: "no role on this document",
    }
    for member, message in refused.items():
        with pytest.raises(Forbidden, match=message):
            record(application, team, member, led_by=[str(team.interviewer)])
    with pytest.raises(Forbidden, match="observers cannot"):  # even among those who led it
        record(application, team, team.observer, led_by=[str(team.observer)])
    assert len(application.interviews(team.document_id)) == 4


def test_who_edits_and_who_reads_the_confidential_notes(
    application: PalabreApplication, team: Team
) -> None:
    doc = record(application, team, team.coordinator)
    readers = {
        team.coordinator: True,
        team.interviewer: True,
        team.listener: True,
        team.editor: False,
        team.observer: False,
        team.stranger: False,
        None: True,  # the operator
    }
    for member, may in readers.items():
        with acting(member):
            reading = application.notes_for(team.document_id, [doc])[doc.id]
        assert reading.visible is may, member
        assert reading.text == (SECRET if may else None), member
        if not may:
            assert reading == HIDDEN
    for member in (team.editor, team.observer, team.stranger):
        with acting(member), pytest.raises(Forbidden):
            application.revise_interview(team.document_id, doc.id, {"summary": "Réécrit"})
    with acting(team.listener):
        revised = application.revise_interview(
            team.document_id, doc.id, {"summary": "Résumé revu", "notes": "Nouvelles notes"}
        )
    assert revised.details.summary == "Résumé revu"
    assert revised.notes_seal != doc.notes_seal
    with acting(team.interviewer):
        assert application.notes_for(team.document_id, [revised])[doc.id].text == "Nouvelles notes"


def test_notes_of_an_interview_that_is_not_confidential_are_read_by_every_member(
    application: PalabreApplication, team: Team
) -> None:
    doc = record(application, team, team.coordinator, confidential=False)
    for member in (team.editor, team.observer, team.listener):
        with acting(member):
            assert application.notes_for(team.document_id, [doc])[doc.id].text == SECRET
    with acting(team.stranger):  # no role on the document: nothing
        assert application.notes_for(team.document_id, [doc])[doc.id] == HIDDEN
    with acting(team.coordinator):  # made confidential: closed again, old notes included
        closed = application.revise_interview(team.document_id, doc.id, {"confidential": True})
    with acting(team.observer):
        assert application.notes_for(team.document_id, [closed])[doc.id] == HIDDEN
        assert application.readable_interviews(team.document_id) == set()


def test_the_notes_never_enter_the_event_log_only_their_seal(
    application: PalabreApplication, team: Team
) -> None:
    doc = record(application, team, team.interviewer)
    with acting(team.interviewer):
        application.revise_interview(team.document_id, doc.id, {"notes": SECRET + " (bis)"})
    states = [n.state for n in application.recorder.select_notifications(1, 100_000)]
    assert states
    secret_bytes = "budget serré".encode()
    assert not any(secret_bytes in state for state in states)
    assert any(doc.notes_seal.encode() in state for state in states)
    kept = application.kept_notes(doc.notes_seal)
    assert kept is not None
    assert kept.text == SECRET
    assert seal_of(kept.nonce, kept.text) == doc.notes_seal


def test_details_are_validated_and_bounded(application: PalabreApplication, team: Team) -> None:
    refused: list[tuple[dict[str, Any], str]] = [
        ({"mode": "courrier"}, "mode is one of"),
        ({"date": "15/07/2026"}, "date is a date"),
        ({"organisation_ids": []}, "organisation_ids must not be empty"),
        ({"organisation_ids": [str(uuid4())], "people": []}, "no organisation"),
        ({"led_by": [str(team.stranger)]}, "has no role on this document"),
        ({"led_by": "x"}, "led_by must be a list"),
        ({"quotable": "oui"}, "quotable must be true or false"),
        ({"attachments": [{"name": "a.pdf", "sha256": "xyz"}]}, "SHA-256"),
        ({"people": [{"name": "A", "organisation_id": str(uuid4())}]}, "one of the organisations"),
        ({"summary": "bip\x07"}, "control characters"),
        ({"colour": "bleu"}, "unknown field 'colour'"),
    ]
    for changes, message in refused:
        with acting(team.coordinator), pytest.raises(InvalidInput, match=message):
            application.record_interview(team.document_id, Details.parse(body(team, **changes)))
    with pytest.raises(InvalidInput, match="'date' is required"):
        Details.parse({k: v for k, v in body(team).items() if k != "date"})
    with acting(team.coordinator), pytest.raises(InvalidInput, match="notes is longer"):
        application.record_interview(
            team.document_id, Details.parse(body(team)), "x" * (MAX_NOTES + 1)
        )


def test_who_links_passages_and_who_undoes_a_link(
    application: PalabreApplication, team: Team
) -> None:
    doc = record(application, team, team.coordinator)
    passage = Anchor.parse("échanges de jeunes", "Les attentes", None)
    for member in (team.coordinator, team.editor, team.interviewer, team.listener):
        with acting(member):
            _, link = application.link_passage(team.document_id, doc.id, passage)
        assert link.by == member
    with acting(team.observer), pytest.raises(Forbidden):
        application.link_passage(team.document_id, doc.id, passage)
    with pytest.raises(Forbidden, match="not from the command line"):
        application.link_passage(team.document_id, doc.id, passage)
    links = application.interview(team.document_id, doc.id).links
    by_editor = next(k for k in links if k.by == team.editor)
    with acting(team.observer), pytest.raises(Forbidden):
        application.unlink_passage(team.document_id, doc.id, by_editor.id)
    with acting(team.editor):  # their own link
        application.unlink_passage(team.document_id, doc.id, by_editor.id)
    with acting(team.editor), pytest.raises(NotFound):
        application.unlink_passage(team.document_id, doc.id, by_editor.id)
    by_coordinator = next(k for k in links if k.by == team.coordinator)
    with acting(team.listener):  # an interviewer undoes anyone's link
        left = application.unlink_passage(team.document_id, doc.id, by_coordinator.id)
    assert {k.by for k in left.links} == {team.interviewer, team.listener}


def test_an_interview_is_reached_only_through_its_document(
    application: PalabreApplication, team: Team
) -> None:
    doc = record(application, team, team.coordinator)
    other = application.create_document("Troisième").id
    with pytest.raises(NotFound, match="on this document"):
        application.interview(other, doc.id)
    with pytest.raises(NotFound):
        application.interview(team.document_id, uuid4())
    assert application.interviews(other) == []


def test_an_interviewer_who_left_stays_named_and_the_interview_stays_editable(
    application: PalabreApplication, team: Team
) -> None:
    doc = record(application, team, team.coordinator)
    application.remove_member(team.document_id, team.listener)  # as the operator
    with acting(team.coordinator):
        revised = application.revise_interview(team.document_id, doc.id, {"summary": "Revu"})
        assert team.listener in revised.details.led_by
        with pytest.raises(InvalidInput, match="has no role on this document"):
            application.revise_interview(
                team.document_id, doc.id, {"led_by": [str(team.interviewer), str(team.stranger)]}
            )
    with acting(team.listener), pytest.raises(Forbidden, match="no role"):
        application.revise_interview(team.document_id, doc.id, {"summary": "Encore"})
    with acting(team.listener):
        assert application.notes_for(team.document_id, [revised])[doc.id] == HIDDEN
