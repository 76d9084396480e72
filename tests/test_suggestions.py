"""Suggestions and amendments in the domain, against the real store (SQLite and PostgreSQL):
who may suggest and decide, the states a suggestion goes through, the contribution that
writes an accepted one into the text, and the committee's vote on amendments. Then the CRDT
side, with real pycrdt documents: where a passage stands, and the update that replaces it."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest
from palabre.domain.application import PalabreApplication
from palabre.domain.committee import Choice, Mode, Outcome, Rule
from palabre.domain.contribution import NewContribution
from palabre.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, PositionConflict
from palabre.domain.suggestion import MAX_PASSAGE, Passage
from palabre.domain.suggestion_commands import contribution_session
from palabre.server.crdt.anchors import AnchorQuery, locate_passages
from palabre.server.crdt.passages import replace_passage
from palabre.server.crdt.replica import BODY, rebuild
from pycrdt import Doc, Text

from tests.support.people import People, acting
from tests.support.positions import point_positions, quote_positions

QUOTE = "économie sociale et solidaire"


def passage(quote: str = QUOTE, replacement: str = "ESS") -> Passage:
    return Passage.parse(quote, replacement, "Le projet")


def suggestions_by(application: PalabreApplication, people: People, count: int) -> list[UUID]:
    """``count`` suggestions of the commenter, on the same words."""
    with acting(people.commenter):
        return [
            application.suggest(people.document_id, passage(replacement=f"v{i}"), "").id
            for i in range(count)
        ]


def test_commenters_editors_and_coordinators_suggest_observers_and_the_operator_do_not(
    application: PalabreApplication, people: People
) -> None:
    doc = people.document_id
    for author in (people.commenter, people.editor, people.coordinator):
        with acting(author):
            made = application.suggest(doc, passage(), "plus court")
            application.reply_to_suggestion(doc, made.id, "D'accord")
        assert (made.author_id, made.status, made.reason) == (author, "open", "plus court")
    with acting(people.observer):
        with pytest.raises(Forbidden, match="observers cannot suggest"):
            application.suggest(doc, passage(), "")
        with pytest.raises(Forbidden, match="observers cannot reply"):
            application.reply_to_suggestion(doc, made.id, "Non")
        assert len(application.suggestions(doc)) == 3  # but they read
    with pytest.raises(Forbidden, match="command line"):
        application.suggest(doc, passage(), "")
    assert [r.body for r in application.suggestion(doc, made.id).replies] == ["D'accord"]


def test_only_the_author_revises_or_withdraws_and_a_decided_suggestion_never_changes(
    application: PalabreApplication, people: People
) -> None:
    doc, [made] = people.document_id, suggestions_by(application, people, 1)
    for other in (people.editor, people.coordinator):
        with acting(other), pytest.raises(Forbidden, match="only its author"):
            application.revise_suggestion(doc, made, passage(replacement="l'ESS"), "")
        with acting(other), pytest.raises(Forbidden, match="only its author"):
            application.withdraw_suggestion(doc, made)
    with acting(people.commenter):
        revised = application.revise_suggestion(doc, made, passage(replacement="l'ESS"), "Sigle")
        assert (revised.passage.replacement, revised.reason) == ("l'ESS", "Sigle")
        assert revised.revised_at is not None
        withdrawn = application.withdraw_suggestion(doc, made)
        assert (withdrawn.status, withdrawn.decided_by) == ("withdrawn", people.commenter)
        with pytest.raises(Conflict, match="withdrawn already"):
            application.revise_suggestion(doc, made, passage(), "")
    with acting(people.coordinator), pytest.raises(Conflict, match="withdrawn already"):
        application.reject_suggestion(doc, made, "Non", [])


def test_the_passage_authors_who_edit_or_a_coordinator_decide(
    application: PalabreApplication, people: People
) -> None:
    doc = people.document_id
    first, second, third = suggestions_by(application, people, 3)
    authors = [people.editor, people.commenter]
    refusals = [
        (people.editor2, authors),  # an editor who did not write the passage
        (people.commenter, [people.commenter]),  # wrote it, but may not edit any more
        (people.observer, [people.observer]),
    ]
    for member, wrote in refusals:
        with acting(member), pytest.raises(Forbidden, match="author"):
            application.reject_suggestion(doc, first, "Non", wrote)
        with acting(member), pytest.raises(Forbidden, match="author"):
            application.check_decider(doc, first, wrote)
    with acting(people.editor):
        with pytest.raises(InvalidInput, match="reason must not be empty"):
            application.reject_suggestion(doc, first, "  ", authors)
        rejected = application.reject_suggestion(doc, first, "Le sigle est moins clair", authors)
        assert application.check_decider(doc, second, authors).id == second
    assert (rejected.status, rejected.decided_by, rejected.decision_reason) == (
        "rejected",
        people.editor,
        "Le sigle est moins clair",
    )
    with acting(people.coordinator):
        accepted = application.record_acceptance(doc, second, [], 7)
        with pytest.raises(Conflict, match="accepted already"):
            application.record_acceptance(doc, second, [], 8)
    assert (accepted.status, accepted.position, accepted.decided_by) == (
        "accepted",
        7,
        people.coordinator,
    )
    assert application.reject_suggestion(doc, third, "Par l'opérateur", []).decided_by is None
    assert [s.status for s in application.suggestions(doc)] == ["rejected", "accepted", "rejected"]
    assert [s.id for s in application.suggestions(doc, "accepted")] == [second]
    with pytest.raises(InvalidInput, match="unknown status"):
        application.suggestions(doc, "closed")


def test_accepting_stores_the_suggesters_contribution_and_the_decision_together(
    application: PalabreApplication, people: People
) -> None:
    doc, [made] = people.document_id, suggestions_by(application, people, 1)
    replacement = NewContribution(people.commenter, contribution_session(made), b"\x00\x00", 1)
    with acting(people.coordinator):
        with pytest.raises(PositionConflict):  # the log is at 0, not 3: nothing is stored
            application.accept_with_contribution(doc, made, [], 3, replacement)
        assert application.suggestion(doc, made).status == "open"
        assert application.contribution_count(doc) == 0
        someone_else = NewContribution(people.editor, "s", b"\x00\x00", 1)
        with pytest.raises(InvalidInput, match="suggester"):
            application.accept_with_contribution(doc, made, [], 0, someone_else)
        accepted = application.accept_with_contribution(doc, made, [], 0, replacement)
    [stored] = application.contributions(doc)
    assert (stored.member_id, stored.session_id, stored.originator_version) == (
        people.commenter,
        f"suggestion-{made}",
        1,
    )
    assert (accepted.status, accepted.position, accepted.decided_by) == (
        "accepted",
        1,
        people.coordinator,
    )


def test_passages_are_bounded_and_must_change_something(
    application: PalabreApplication, people: People
) -> None:
    for quote, replacement, positions, message in [
        (QUOTE, QUOTE, None, "must change the passage"),
        ("", "ajout", None, "insertion .* needs an anchor"),
        ("q" * (MAX_PASSAGE + 1), "", None, "quote is longer"),
        (QUOTE, "r" * (MAX_PASSAGE + 1), None, "replacement is longer"),
        (QUOTE, "bip\x07", None, "control characters"),
        (7, "x", None, "quote must be a string"),
        (QUOTE, "x", {"start": "%%%", "end": "AA=="}, "not valid base64"),
    ]:
        with pytest.raises(InvalidInput, match=message):
            Passage.parse(quote, replacement, "", positions)
    kept = Passage.parse(" espace ", "", None, {"start": "AAEC", "end": "AAEC"})
    assert (kept.quote, kept.replacement, kept.start) == (" espace ", "", "AAEC")
    with acting(people.commenter):
        with pytest.raises(InvalidInput, match="reason is longer"):
            application.suggest(people.document_id, passage(), "r" * 2001)
        with pytest.raises(NotFound):
            application.suggestion(people.document_id, uuid4())
    other = application.create_document("Autre").id
    with acting(people.coordinator):
        made = application.suggest(people.document_id, passage(), "")
        with pytest.raises(NotFound, match="on this document"):
            application.suggestion(other, made.id)


# Amendments ----------------------------------------------------------------------------------


def test_amendments_are_voted_in_a_meeting_under_the_documents_rule(
    application: PalabreApplication, people: People
) -> None:
    doc = people.document_id
    first, second, third = suggestions_by(application, people, 3)
    with acting(people.coordinator):
        with pytest.raises(Conflict, match="open one first"):
            application.open_amendments(doc, [first])
        meeting = application.open_meeting(doc, "Comité de pilotage", "2026-11-23")
        with pytest.raises(InvalidInput, match="twice"):
            application.open_amendments(doc, [first, first])
        vote = application.open_amendments(doc, [first, second, third])
        with pytest.raises(Conflict, match="before the committee"):
            application.open_amendments(doc, [first])
        with pytest.raises(Conflict, match="before the committee"):
            application.reject_suggestion(doc, first, "Non", [])
    with acting(people.commenter), pytest.raises(Conflict, match="before the committee"):
        application.withdraw_suggestion(doc, first)
    with acting(people.commenter), pytest.raises(Forbidden, match="cannot vote"):
        application.vote_amendment(doc, vote.id, first, Choice.APPROVE, "")
    casts = {
        people.coordinator: [Choice.APPROVE, Choice.OBJECT, Choice.APPROVE],
        people.editor: [Choice.APPROVE, Choice.OBJECT, Choice.OBJECT],
        people.editor2: [Choice.ABSTAIN, Choice.APPROVE, Choice.APPROVE],
    }
    for member, choices in casts.items():
        with acting(member):
            for sid, choice in zip((first, second, third), choices, strict=True):
                application.vote_amendment(doc, vote.id, sid, choice, "Motif")
    with acting(people.coordinator):
        with pytest.raises(Conflict, match="open vote on amendments"):
            application.close_meeting(doc, meeting.id)
        closed = application.close_amendments(doc, vote.id)
        with pytest.raises(Conflict, match="closed"):
            application.vote_amendment(doc, vote.id, first, Choice.OBJECT, "Trop tard")
    assert [item.outcome and item.outcome.value for item in closed.items.values()] == [
        "accepted",
        "rejected",
        "accepted",
    ]
    assert closed.accepted() == [str(first), str(third)]
    refused = application.suggestion(doc, second)
    assert (refused.status, refused.amendments_id, refused.decided_by) == (
        "rejected",
        vote.id,
        people.coordinator,
    )
    with acting(people.coordinator):
        with pytest.raises(Conflict, match="did not accept"):
            application.record_acceptance(doc, second, [], 1, vote.id)
        assert application.record_acceptance(doc, first, [], 1, vote.id).status == "accepted"
    with acting(people.editor), pytest.raises(Forbidden, match="coordinator applies"):
        application.record_acceptance(doc, third, [people.editor], 2, vote.id)
    assert [v.id for v in application.amendments_votes(doc)] == [vote.id]


def test_under_consent_one_objection_refuses_an_amendment(
    application: PalabreApplication, people: People
) -> None:
    doc = people.document_id
    [only] = suggestions_by(application, people, 1)
    with acting(people.coordinator):
        application.set_rule(doc, Rule(quorum=0.5, mode=Mode.CONSENT))
        application.open_meeting(doc, "Comité", "2026-11-23")
        vote = application.open_amendments(doc, [only])
        application.set_rule(doc, Rule(quorum=0.5, mode=Mode.MAJORITY))  # too late for it
        application.vote_amendment(doc, vote.id, only, Choice.APPROVE, "")
    with acting(people.editor):
        application.vote_amendment(doc, vote.id, only, Choice.APPROVE, "")
    with acting(people.editor2):
        with pytest.raises(InvalidInput, match="objection needs a reason"):
            application.vote_amendment(doc, vote.id, only, Choice.OBJECT, "")
        application.vote_amendment(doc, vote.id, only, Choice.OBJECT, "Le sigle exclut")
    with acting(people.coordinator):
        closed = application.close_amendments(doc, vote.id)
    item = closed.item(only)
    assert item.outcome is Outcome.REJECTED
    assert item.tally is not None
    assert (item.tally["approve"], item.tally["object"], item.tally["rule"]["mode"]) == (
        2,
        1,
        "consent",
    )


# Passages in the CRDT ------------------------------------------------------------------------

TEXT = f"# Été à Lomé 🌍\n\nRelier les acteurs de l'{QUOTE} en Bretagne.\n"


def typed_doc(text: str = TEXT) -> Doc[Text]:
    doc: Doc[Text] = Doc()
    doc.get(BODY, type=Text).insert(0, text)
    return doc


def test_a_replacement_is_exactly_the_suggestion_under_a_fresh_client_id() -> None:
    doc = typed_doc()
    start, end = quote_positions(doc.client_id, TEXT, QUOTE)
    made = replace_passage([doc.get_update()], AnchorQuery(QUOTE, start, end), "ESS 🤝")
    assert made is not None
    assert (made.start, made.end) == (TEXT.index(QUOTE), TEXT.index(QUOTE) + len(QUOTE))
    assert made.client_id not in (doc.client_id, 0)
    doc.apply_update(made.update)
    assert str(doc.get(BODY, type=Text)) == TEXT.replace(QUOTE, "ESS 🤝")
    changed = rebuild([made.update])  # the update alone carries only the new characters
    assert "Relier" not in changed.text


def test_an_insertion_point_and_a_deletion() -> None:
    doc = typed_doc()
    index = TEXT.index(" en Bretagne")
    point = point_positions(doc.client_id, TEXT, index)
    made = replace_passage([doc.get_update()], AnchorQuery("", *point), " (ESS)")
    assert made is not None
    assert (made.start, made.end) == (index, index)
    doc.apply_update(made.update)
    gone = replace_passage([doc.get_update()], AnchorQuery(" à Lomé"), "")
    assert gone is not None
    doc.apply_update(gone.update)
    expected = TEXT[:index] + " (ESS)" + TEXT[index:]
    assert str(doc.get(BODY, type=Text)) == expected.replace(" à Lomé", "")


def test_a_passage_changed_meanwhile_is_never_replaced() -> None:
    doc = typed_doc()
    text = doc.get(BODY, type=Text)
    start, end = quote_positions(doc.client_id, TEXT, QUOTE)
    index = TEXT.index(" en Bretagne")
    point = point_positions(doc.client_id, TEXT, index)
    at = len(TEXT[: TEXT.index("sociale")].encode())  # pycrdt counts UTF-8 bytes
    text.insert(at, "très ")
    text.insert(len(TEXT[:index].encode()) + len("très ".encode()), "!")  # typed at the point
    text.insert(0, "Préambule.\n")  # before: moves everything, changes nothing
    state = [doc.get_update()]
    live = rebuild(state)
    [changed, typed_at] = locate_passages(
        live, [AnchorQuery(QUOTE, start, end), AnchorQuery("", *point)]
    )
    assert changed.detached
    assert typed_at.detached
    assert replace_passage(state, AnchorQuery(QUOTE, start, end), "ESS") is None
    assert replace_passage(state, AnchorQuery("", *point), "x") is None
    assert replace_passage(state, AnchorQuery("Bretagne"), "Breizh") is not None  # intact
    assert replace_passage(state, AnchorQuery("e"), "x") is None  # ambiguous without anchor


def test_positions_of_deleted_text_or_on_unknown_items_conflict() -> None:
    doc = typed_doc()
    start, end = quote_positions(doc.client_id, TEXT, QUOTE)
    stranger = quote_positions(doc.client_id + 1, TEXT, QUOTE)
    doc.get(BODY, type=Text).insert(0, "x")
    state = [doc.get_update()]
    assert replace_passage(state, AnchorQuery(QUOTE, *stranger), "ESS") is not None  # fallback
    del doc.get(BODY, type=Text)[0 : len(TEXT.encode()) + 1]
    assert replace_passage([doc.get_update()], AnchorQuery(QUOTE, start, end), "ESS") is None
