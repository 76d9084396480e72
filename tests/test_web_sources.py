"""Sources and change notes in the web page, in Debian's Chromium against a real server: a
member links a selected passage to an interview, sees it highlighted and listed in the
Sources panel (with the notes only where they may be read), and the committee panel shows the
change note beside the proposal's diff. Screenshots go to build/screenshots/."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from tests import test_web
from tests.conftest import Seed
from tests.support.browser import editor_text, eventually, member, screenshot
from tests.support.server import ServerProcess
from tests.test_web import NewContext, approve_version, join, saved, type_at_end

# The browser tests' fixtures: one Chromium per module, a fresh profile per member, SQLite.
backend, browser, new_context = test_web.backend, test_web.browser, test_web.new_context

pytestmark = pytest.mark.browser
TEXT = "# Le projet\n\nRelier les acteurs de l'ESS en Bretagne et au Togo."
QUOTE = "Relier les acteurs"
NOTES = "Propos à garder pour nous : le budget reste à confirmer."


def record_interview(server: ServerProcess, seed: Seed) -> str:
    base = f"{server.base_url}/api/documents/{seed.document_id}"
    awa = {"Authorization": f"Bearer {seed.coordinator}"}
    organisation = httpx.post(
        f"{server.base_url}/api/organisations",
        headers=awa,
        json={"name": "Département d’Ille-et-Vilaine", "country": "FR"},
    ).json()
    interview = httpx.post(
        f"{base}/interviews",
        headers=awa,
        json={
            "organisation_ids": [organisation["id"]],
            "date": "2026-07-15",
            "mode": "on_site",
            "place": "Rennes",
            "led_by": [member(server, seed.document_id, seed.editor)["id"]],
            "summary": "Le département attend des **échanges de jeunes**.",
            "notes": NOTES,
            "quotable": True,
        },
    )
    assert interview.status_code == 201, interview.text
    return str(interview.json()["id"])


def test_a_selected_passage_linked_to_an_interview_is_highlighted_and_listed(
    new_context: NewContext, server: ServerProcess, seed: Seed
) -> None:
    yann = join(new_context, server, seed, seed.editor)  # he led the interview
    type_at_end(yann, TEXT)
    saved(yann)
    interview = record_interview(server, seed)
    kodjo = join(new_context, server, seed, seed.observer)
    for page in (yann, kodjo):
        page.click("#side-sources")
        expect(page.locator(".interview")).to_have_count(1)
    expect(yann.locator(".interview .heard")).to_have_text("Département d’Ille-et-Vilaine (France)")
    expect(yann.locator(".interview .byline")).to_contain_text(
        "15 juillet 2026 · sur place · Rennes"
    )
    yann.locator(".interview .notes summary").click()
    expect(yann.locator(".interview .notes")).to_contain_text("le budget reste à confirmer")
    expect(kodjo.locator(".interview .notes-hidden")).to_contain_text("Notes confidentielles")
    assert "budget" not in kodjo.content()
    expect(kodjo.locator("button.link-selection")).to_have_count(0)  # observers read only

    link = yann.locator("button.link-selection")
    expect(link).to_be_disabled()  # nothing selected yet
    start = editor_text(yann).index(QUOTE)
    yann.evaluate(f"() => window.palabre.editor.select({start}, {start + len(QUOTE)})")
    expect(link).to_be_enabled()
    link.click()

    for page in (yann, kodjo):
        expect(page.locator(".cm-sourced")).to_have_text(QUOTE)
        expect(page.locator(".interview .links .quote")).to_have_text(f"« {QUOTE} »")
        row = page.locator(".coverage tbody tr", has_text="Le projet")
        expect(row.locator("td")).to_have_text(["1", "1", "0"])
    expect(yann.locator(".side-sources")).to_have_text("Sources (1)")
    stored = httpx.get(
        f"{server.base_url}/api/documents/{seed.document_id}/interviews/{interview}",
        headers={"Authorization": f"Bearer {seed.coordinator}"},
    ).json()
    assert [(k["quote"], k["by"]["name"], k["detached"]) for k in stored["links"]] == [
        (QUOTE, "Yann Le Gall", False)
    ]
    type_at_end(yann, "\n\n## Les attentes\n\nDes échanges.")  # the passage follows the typing
    yann.locator(".cm-content").click()
    yann.keyboard.press("Control+Home")
    yann.keyboard.type("Préambule. ")
    saved(yann)
    expect(kodjo.locator(".cm-sourced")).to_have_text(QUOTE)
    kodjo.locator(".interview .links .quote").click()  # jumps to where the passage is now
    eventually(
        lambda: (
            kodjo.evaluate(
                "() => { const s = window.palabre.editor.view.state.selection.main;"
                " return window.palabre.editor.view.state.sliceDoc(s.from, s.to) }"
            )
            == QUOTE
        ),
        "the observer's editor selects the linked passage",
    )
    # The coverage follows the typing: "# Le projet" is no heading after "Préambule. ", so the
    # passage now stands in the introduction, before the new section.
    rows = yann.locator(".coverage tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator("th")).to_have_text("(introduction)")
    expect(rows.nth(0).locator("td")).to_have_text(["1", "1", "0"])
    expect(rows.nth(1).locator("th")).to_have_text("Les attentes")
    expect(yann.locator(".sources > .error")).to_have_count(0)
    screenshot(yann, "sources-panel")


def test_the_committee_panel_shows_the_change_note_beside_the_proposal(
    new_context: NewContext, server: ServerProcess, seed: Seed
) -> None:
    yann = join(new_context, server, seed, seed.editor)
    type_at_end(yann, TEXT)
    saved(yann)
    approve_version(server, seed, "Première lecture")
    type_at_end(yann, "\n\n## Calendrier\n\nDeux ans, de 2026 à 2028.")
    saved(yann)
    awa = join(new_context, server, seed, seed.coordinator)
    awa.click("#tab-committee")
    awa.fill(".open-proposal input[name=label]", "Deuxième lecture")
    awa.click(".open-proposal button[type=submit]")
    yann.click("#tab-committee")
    for page in (awa, yann):
        note = page.locator(".proposal .change-note")
        expect(note).to_contain_text("Nouvelle section « Calendrier » : 7 mots.")
        expect(note).to_contain_text("Chambre régionale de l'ESS (France)")
        expect(page.locator(".proposal .word-diff ins")).to_contain_text("Calendrier")
    yann.click(".lang")  # English on demand, asked of the server in that language
    expect(yann.locator(".proposal .change-note")).to_contain_text(
        "New section “Calendrier”: 7 words."
    )
    screenshot(awa, "committee-change-note")
