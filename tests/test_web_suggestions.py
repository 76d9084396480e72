"""Suggesting mode in Debian's Chromium against a real server: a commenter types, deletes and
replaces in suggesting mode without changing the text; the editor sees each suggestion
inline, live, and accepts or rejects it; the text, the authorship and the history follow. The
committee votes on amendments, and a vote sent through a cut on ``lome-3g`` counts once.
Screenshots go to build/screenshots/."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from palabre.domain.application import PalabreApplication
from playwright.sync_api import Page, expect

from tests.conftest import Seed
from tests.support.browser import editor_text, eventually, screenshot, server_text
from tests.support.link import PROFILES, running_link
from tests.support.lost import answer_lost_in_browser
from tests.support.server import ServerProcess
from tests.test_weak_page import SLOW, open_through, stored_topics, through
from tests.test_web import NewContext, join, new_context, saved

pytestmark = pytest.mark.browser
__all__ = ["new_context"]  # test_web.py's fixture, shared (Chromium: conftest.py)

TEXT = "# Le projet\n\nRelier les acteurs de l'ESS en Bretagne."


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the browser tests exercise the page; the stores are tested elsewhere


def select(page: Page, text: str) -> None:
    """Select the first occurrence of ``text`` in the editor, as a person would with the mouse."""
    start = editor_text(page).index(text)
    page.evaluate(f"() => window.palabre.editor.select({start}, {start + len(text)})")


def cursor_after(page: Page, text: str) -> None:
    end = editor_text(page).index(text) + len(text)
    page.evaluate(f"() => window.palabre.editor.select({end}, {end})")


def suggestions_tab(page: Page) -> None:
    page.click(".side-suggestions")


def typed_text(new_context: NewContext, server: ServerProcess, seed: Seed) -> tuple[Page, Page]:
    """Yann (an editor) types the paragraph; Maëlle (a commenter) opens the page."""
    yann = join(new_context, server, seed, seed.editor)
    yann.locator(".cm-content").click()
    yann.keyboard.type(TEXT)
    saved(yann)
    maelle = join(new_context, server, seed, seed.commenter)
    eventually(lambda: editor_text(maelle) == TEXT, "Maëlle sees the paragraph")
    return yann, maelle


def authored(server: ServerProcess, seed: Seed, text: str) -> set[str]:
    answer = httpx.get(
        f"{server.base_url}/api/documents/{seed.document_id}/authorship",
        headers={"Authorization": f"Bearer {seed.editor}"},
    ).json()
    runs, who, offset = answer["runs"], set(), 0
    start = "".join(r["text"] for r in runs).index(text)
    for run in runs:
        if offset < start + len(text) and offset + len(run["text"]) > start:
            who.add(run["member"])
        offset += len(run["text"])
    return who


def test_a_commenters_suggestion_is_seen_live_and_accepted_by_the_passages_author(
    new_context: NewContext, server: ServerProcess, seed: Seed
) -> None:
    yann, maelle = typed_text(new_context, server, seed)
    toggle = maelle.locator(".suggesting-toggle")
    expect(toggle).to_have_attribute("aria-pressed", "true")  # commenters only suggest
    expect(toggle).to_be_disabled()
    expect(maelle.locator(".note.read-only")).to_contain_text("suggérer")

    select(maelle, "Relier")
    maelle.keyboard.type("Réunir à Lomé")
    assert editor_text(maelle) == TEXT  # typing changed nothing
    insertion = yann.locator(".cm-suggested-insertion")
    expect(insertion).to_have_text("Réunir à Lomé")  # live, inline, for the editor
    expect(yann.locator(".cm-suggested-deletion")).to_have_text("Relier")
    expect(maelle.locator(".cm-suggested-insertion")).to_have_text("Réunir à Lomé")
    assert server_text(server, seed.document_id, seed.editor) == TEXT

    suggestions_tab(yann)
    card = yann.locator(".suggestion-card")
    expect(card).to_contain_text("Maëlle Tanguy")
    expect(card).to_contain_text("Université")
    screenshot(yann, "suggestion-inline")
    card.locator("button.accept").click()
    accepted = TEXT.replace("Relier", "Réunir à Lomé")
    eventually(lambda: editor_text(yann) == accepted, "the text changes for the editor")
    eventually(lambda: editor_text(maelle) == accepted, "and for the commenter")
    expect(yann.locator(".cm-suggested-insertion")).to_have_count(0)
    expect(maelle.locator(".cm-suggested-insertion")).to_have_count(0)
    assert server_text(server, seed.document_id, seed.editor) == accepted
    assert authored(server, seed, "Réunir à Lomé") == {"Maëlle Tanguy"}
    assert authored(server, seed, "les acteurs") == {"Yann Le Gall"}


def test_a_pasted_suggestion_whose_passage_changes_shows_conflicting_and_cannot_be_accepted(
    new_context: NewContext, server: ServerProcess, seed: Seed
) -> None:
    yann, maelle = typed_text(new_context, server, seed)
    select(maelle, "Bretagne")
    paste(maelle, "Armorique")  # pasting, too, becomes a suggestion
    expect(yann.locator(".cm-suggested-insertion")).to_have_text("Armorique")
    expect(yann.locator(".cm-suggested-deletion")).to_have_text("Bretagne")
    assert editor_text(maelle) == TEXT
    suggestions_tab(yann)
    card = yann.locator(".suggestion-card")
    expect(card.locator("button.accept")).to_be_enabled()
    cursor_after(yann, "Breta")
    yann.keyboard.type("-")  # Yann edits the passage meanwhile
    eventually(lambda: "Breta-gne" in server_text(server, seed.document_id, seed.editor), "stored")
    for page in (yann, maelle):
        expect(page.locator(".cm-suggested-insertion.cm-suggestion-conflict")).to_have_text(
            "Armorique"  # dashed: it cannot be applied as it stands
        )
    expect(card).to_have_class(re.compile(r"\bconflict\b"))
    expect(card.locator(".conflict-note")).to_contain_text("Le passage a changé")
    expect(card.locator("button.accept")).to_be_disabled()  # never applied blindly
    assert "Armorique" not in server_text(server, seed.document_id, seed.editor)


def paste(page: Page, text: str) -> None:
    """Paste ``text`` into the editor, as from the clipboard."""
    page.evaluate(
        """(text) => {
          const data = new DataTransfer()
          data.setData('text/plain', text)
          const options = { clipboardData: data, bubbles: true, cancelable: true }
          document.querySelector('.cm-content').dispatchEvent(new ClipboardEvent('paste', options))
        }""",
        text,
    )


def test_a_rejected_suggestion_disappears_for_both_and_its_reason_stays_in_the_history(
    new_context: NewContext, server: ServerProcess, seed: Seed
) -> None:
    yann, maelle = typed_text(new_context, server, seed)
    cursor_after(maelle, "en Bretagne")
    maelle.keyboard.type(" et au Togo")
    maelle.keyboard.press("Backspace")  # takes back the last letter typed, not the text
    maelle.keyboard.type("o !")
    expect(yann.locator(".cm-suggested-insertion")).to_have_text(" et au Togo !")
    select(maelle, "de l'ESS ")
    maelle.keyboard.press("Backspace")  # a deletion: struck through, not deleted
    expect(yann.locator(".cm-suggested-deletion")).to_have_text("de l'ESS ")
    assert editor_text(maelle) == TEXT
    suggestions_tab(maelle)
    expect(maelle.locator(".suggestion-card")).to_have_count(2)
    suggestions_tab(yann)
    card = yann.locator(".suggestion-card", has_text="et au Togo")
    card.locator("button.reject").click()
    card.locator("textarea.reject-reason").fill("Le Togo est dans le titre du projet.")
    card.locator("button.confirm-reject").click()
    for page in (yann, maelle):
        expect(page.locator(".cm-suggested-insertion")).to_have_count(0)
        expect(page.locator(".suggestion-card", has_text="et au Togo")).to_have_count(0)
        expect(page.locator(".cm-suggested-deletion")).to_have_text("de l'ESS ")  # the other
    assert server_text(server, seed.document_id, seed.editor) == TEXT
    maelle.click(".tab-history")
    rejected = maelle.locator(".suggestion-event.rejected")
    expect(rejected).to_contain_text("Yann Le Gall a rejeté la suggestion de Maëlle Tanguy")
    expect(rejected).to_contain_text("Le Togo est dans le titre du projet.")
    expect(maelle.locator(".suggestion-event.made")).to_have_count(2)
    screenshot(maelle, "suggestion-history")


def api(
    server: ServerProcess, seed: Seed, token: str, method: str, path: str, **body: object
) -> Any:
    answer = httpx.request(
        method,
        f"{server.base_url}/api/documents/{seed.document_id}{path}",
        json=body or None,
        headers={"Authorization": f"Bearer {token}"},
    )
    answer.raise_for_status()
    return answer.json()


def test_the_coordinator_puts_suggestions_to_the_committee_and_the_adopted_one_is_applied(
    new_context: NewContext, server: ServerProcess, seed: Seed
) -> None:
    for token in (seed.editor, seed.editor2):  # the editors' organisations vote
        me = api(server, seed, token, "GET", "/me")
        api(server, seed, seed.coordinator, "PATCH", f"/members/{me['id']}", votes=True)
    yann, _maelle = typed_text(new_context, server, seed)
    adopted = api(
        server, seed, seed.commenter, "POST", "/suggestions", quote="Relier", replacement="Unir"
    )
    refused = api(
        server, seed, seed.commenter, "POST", "/suggestions", quote="Bretagne", replacement="Armor"
    )
    api(server, seed, seed.coordinator, "POST", "/meetings", title="Comité", date="2026-11-23")
    awa = join(new_context, server, seed, seed.coordinator)
    awa.click(".tab-committee")
    chooser = awa.locator("form.put-to-vote")
    chooser.locator(f"input[value='{adopted['id']}']").check()
    chooser.locator(f"input[value='{refused['id']}']").check()
    chooser.locator("button[type=submit]").click()
    items = awa.locator(".amendment")
    expect(items).to_have_count(2)
    [vote] = api(server, seed, seed.coordinator, "GET", "/amendments")["amendments"]
    yann.click(".tab-committee")
    yann.locator(f".amendment[data-suggestion='{adopted['id']}'] .vote-approve").click()
    expect(yann.locator(".amendment").first.locator(".my-vote")).to_be_visible()
    for sid, choice in ((refused["id"], "object"),):
        api(
            server,
            seed,
            seed.editor,
            "POST",
            f"/amendments/{vote['id']}/votes",
            suggestion_id=sid,
            vote=choice,
            reason="Non",
        )
    for sid, choice in ((adopted["id"], "approve"), (refused["id"], "object")):
        api(
            server,
            seed,
            seed.editor2,
            "POST",
            f"/amendments/{vote['id']}/votes",
            suggestion_id=sid,
            vote=choice,
            reason="Non",
        )
    awa.click("button.close-amendments")
    expect(awa.locator(".amendment .decision.accepted")).to_contain_text("appliqué au texte")
    expect(awa.locator(".amendment .decision.rejected")).to_contain_text("rejeté")
    applied = TEXT.replace("Relier", "Unir")
    eventually(lambda: editor_text(yann) == applied, "the adopted amendment is in the text")
    assert server_text(server, seed.document_id, seed.editor) == applied
    screenshot(awa, "amendments")


def test_a_vote_on_an_amendment_whose_answer_a_cut_lost_shows_pending_and_counts_once(
    new_context: NewContext, server: ServerProcess, seed: Seed, application: PalabreApplication
) -> None:
    """Yann votes from a phone on ``lome-3g``; the vote reaches the server, the answer is lost
    in a cut. The amendment says the vote is on its way, the page tries again under the same
    key when the link returns, and the vote counts once."""
    me = api(server, seed, seed.editor, "GET", "/me")
    api(server, seed, seed.coordinator, "PATCH", f"/members/{me['id']}", votes=True)
    office = join(new_context, server, seed, seed.editor2)  # Afi types the text
    office.locator(".cm-content").click()
    office.keyboard.type(TEXT)
    saved(office)
    made = api(
        server, seed, seed.commenter, "POST", "/suggestions", quote="Relier", replacement="Unir"
    )
    api(server, seed, seed.coordinator, "POST", "/meetings", title="Comité", date="2026-11-23")
    api(server, seed, seed.coordinator, "POST", "/amendments", suggestion_ids=[made["id"]])
    context = new_context()
    context.set_default_timeout(SLOW)
    with running_link(PROFILES["lome-3g"], through(server), seed=23) as link:
        phone = open_through(context, link, server, seed, seed.editor)
        phone.click(".tab-committee")
        amendment = phone.locator(f".amendment[data-suggestion='{made['id']}']")
        amendment.locator(".vote-approve").click()
        mine = amendment.locator(".my-vote")
        expect(mine).to_have_text("Envoi de votre avis « Pour »…")
        answer_lost_in_browser(link, lambda: stored_topics(application, "AmendmentVoteCast") == 1)
        expect(mine).to_contain_text("nouvel essai automatique")
        expect(amendment.locator(".vote-approve")).to_be_disabled()
        link.restore()
        expect(mine).to_have_text("Avis de votre structure : Pour", timeout=SLOW)
        expect(amendment.locator(".tally")).to_contain_text("Pour : 1")
    assert stored_topics(application, "AmendmentVoteCast") == 1
