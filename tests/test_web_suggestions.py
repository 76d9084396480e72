"""Suggesting mode in Debian's Chromium against a real server: a commenter types, deletes and
replaces in suggesting mode without changing the text; the editor sees each suggestion
inline, live, and accepts or rejects it; the text, the authorship and the history follow.
Screenshots go to build/screenshots/."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.conftest import Seed
from tests.support.browser import editor_text, eventually, screenshot, server_text
from tests.support.server import ServerProcess
from tests.test_web import NewContext, browser, join, new_context, saved

pytestmark = pytest.mark.browser
__all__ = ["browser", "new_context"]  # the browser fixtures, shared with test_web.py

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
    expect(maelle.locator(".note")).to_contain_text("suggérer")

    select(maelle, "Relier")
    maelle.keyboard.type("Rassembler")
    assert editor_text(maelle) == TEXT  # typing changed nothing
    insertion = yann.locator(".cm-suggested-insertion")
    expect(insertion).to_have_text("Rassembler")  # live, inline, for the editor
    expect(yann.locator(".cm-suggested-deletion")).to_have_text("Relier")
    expect(maelle.locator(".cm-suggested-insertion")).to_have_text("Rassembler")
    assert server_text(server, seed.document_id, seed.editor) == TEXT

    suggestions_tab(yann)
    card = yann.locator(".suggestion-card")
    expect(card).to_contain_text("Maëlle Tanguy")
    expect(card).to_contain_text("Université")
    screenshot(yann, "suggestion-inline")
    card.locator("button.accept").click()
    accepted = TEXT.replace("Relier", "Rassembler")
    eventually(lambda: editor_text(yann) == accepted, "the text changes for the editor")
    eventually(lambda: editor_text(maelle) == accepted, "and for the commenter")
    expect(yann.locator(".cm-suggested-insertion")).to_have_count(0)
    expect(maelle.locator(".cm-suggested-insertion")).to_have_count(0)
    assert server_text(server, seed.document_id, seed.editor) == accepted
    assert authored(server, seed, "Rassembler") == {"Maëlle Tanguy"}
    assert authored(server, seed, "les acteurs") == {"Yann Le Gall"}


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
