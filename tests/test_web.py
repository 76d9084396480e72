"""The web client in Debian's Chromium against a real server: invitation links, co-editing in
one paragraph, presence, read-only observers, offline editing, comments, the committee's vote,
history and exports. Screenshots of the main screens go to build/screenshots/.

Why one file of over 400 lines: one Chromium (module scope) serves its tests, and its fixtures
and page helpers (``browser``, ``new_context``, ``join``) are the ones the other browser tests
import."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from palabre.projections.headings import plain_heading
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.conftest import Seed
from tests.support.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    editor_text,
    eventually,
    invitation,
    member,
    open_as,
    screenshot,
    server_text,
)
from tests.support.server import ServerProcess

pytestmark = pytest.mark.browser
NewContext = Callable[..., BrowserContext]


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the browser tests exercise the page; the stores are tested elsewhere


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_context(browser: Browser) -> Iterator[NewContext]:
    """A fresh browser profile per member (its own storage, like a separate computer)."""
    made: list[BrowserContext] = []

    def make(**options: object) -> BrowserContext:
        options.setdefault("viewport", {"width": 1366, "height": 850})
        options.setdefault("timezone_id", "Africa/Lome")
        context = browser.new_context(**options)  # type: ignore[arg-type]
        context.set_default_timeout(20_000)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


def join(new_context: NewContext, server: ServerProcess, seed: Seed, token: str) -> Page:
    return open_as(new_context(), invitation(server, seed.document_id, seed.coordinator, token))


def type_at_end(page: Page, text: str) -> None:
    page.locator(".cm-content").click()
    page.keyboard.press("Control+End")
    page.keyboard.type(text)


def saved(page: Page) -> None:
    expect(page.locator(".status")).to_have_attribute("data-state", "saved")


# Joining ------------------------------------------------------------------------------------


def test_an_invitation_signs_in_keeps_the_secret_out_of_the_address_and_can_be_revoked(
    new_context: NewContext, server: ServerProcess, seed: Seed
) -> None:
    link = invitation(server, seed.document_id, seed.coordinator, seed.editor)
    token = link.split("#invite=", 1)[1]
    context = new_context()
    page = open_as(context, link)
    assert page.url == f"{server.base_url}/d/{seed.document_id}"
    assert page.evaluate("() => localStorage.getItem('palabre.token')") == token
    expect(page.locator(".me")).to_contain_text("Yann Le Gall")
    expect(page.locator(".me")).to_contain_text("rédaction")
    expect(page.locator("html")).to_have_attribute("lang", "fr")

    page.reload()  # the secret is remembered: no link needed any more
    page.locator(".cm-content").wait_for()
    member_id = page.evaluate("() => window.palabre.me.id")
    revoked = httpx.delete(
        f"{server.base_url}/api/documents/{seed.document_id}/members/{member_id}/invitation",
        headers={"Authorization": f"Bearer {seed.coordinator}"},
    )
    assert revoked.json()["revoked"] == 1
    page.reload()
    expect(page.locator(".sign-in .error")).to_contain_text("plus) valable")

    page.goto(link)  # a revoked link stays revoked
    expect(page.locator(".sign-in .error")).to_be_visible()
    page.fill("#token", seed.editor)  # a member's own key still signs in
    page.click(".sign-in button[type=submit]")
    page.locator(".cm-content").wait_for()
    page.click(".sign-out")
    expect(page.locator(".sign-in")).to_be_visible()
    assert page.evaluate("() => localStorage.getItem('palabre.token')") is None


# Editing together ---------------------------------------------------------------------------


def test_two_members_typing_in_the_same_paragraph_see_the_same_text_and_each_other(
    new_context: NewContext, server: ServerProcess, seed: Seed
) -> None:
    yann = join(new_context, server, seed, seed.editor)
    afi = join(new_context, server, seed, seed.editor2)
    type_at_end(yann, "# Le projet\n\nRelier les acteurs de l'ESS")
    saved(yann)
    eventually(lambda: "de l'ESS" in editor_text(afi), "Afi sees Yann's paragraph")

    for page in (yann, afi):
        page.locator(".cm-content").click()
        page.keyboard.press("Control+End")
    mine, theirs = " en Bretagne", " et au Togo"
    for index in range(max(len(mine), len(theirs))):  # interleaved keystrokes, no waiting
        if index < len(mine):
            yann.keyboard.type(mine[index])
        if index < len(theirs):
            afi.keyboard.type(theirs[index])
    saved(yann)
    saved(afi)
    eventually(lambda: editor_text(yann) == editor_text(afi), "both editors converge")
    text = editor_text(yann)
    assert text == server_text(server, seed.document_id, seed.editor).rstrip("\n")
    paragraph = text.split("\n")[-1]
    assert sorted(paragraph.replace("Relier les acteurs de l'ESS", "")) == sorted(mine + theirs)

    # Presence: names, organisations and countries the server authenticated.
    for page in (yann, afi):
        expect(page.locator(".presence-summary")).to_have_text(
            "2 présent·e·s · 1 structure FR · 1 TG"
        )
        page.click(".presence-summary")
        listed = page.locator(".presence-list")
        expect(listed.locator(".person")).to_have_count(2)
        france, togo = listed.locator(".presence-country").all()
        expect(france.locator("h3")).to_contain_text("France")
        expect(france.locator(".organisation")).to_contain_text("Chambre régionale de l'ESS")
        expect(france.locator(".organisation")).to_contain_text("Yann Le Gall")
        expect(togo.locator(".organisation")).to_contain_text(
            "Fédération des ONG du TogoAfi Mensah"
        )
        page.click(".presence-summary")
    afi.locator(".cm-content").click()
    afi.keyboard.press("Control+End")
    afi.keyboard.press("Shift+Home")  # a selection, drawn in Afi's colour at Yann's
    expect(yann.locator(".cm-ySelection").first).to_be_visible()
    expect(yann.locator(".cm-ySelectionInfo")).to_have_text("Afi Mensah")
    screenshot(yann, "editor-presence")


def test_a_claimed_name_is_replaced_by_the_authenticated_one(
    new_context: NewContext, server: ServerProcess, seed: Seed
) -> None:
    yann = join(new_context, server, seed, seed.editor)
    afi = join(new_context, server, seed, seed.editor2)
    afi.evaluate(
        "() => window.palabre.live.awareness.setLocalState({user: {name: 'Le Président', "
        "color: '#000', colorLight: '#ccc'}, member: {id: 'x', name: 'Le Président', "
        "organisation: 'Préfecture', country: 'FR'}})"
    )
    type_at_end(afi, "Bonjour")
    expect(yann.locator(".cm-ySelectionInfo")).to_have_text("Afi Mensah")
    expect(yann.locator(".presence")).not_to_contain_text("Le Président")


def test_an_observer_reads_but_cannot_write(
    new_context: NewContext, server: ServerProcess, seed: Seed
) -> None:
    yann = join(new_context, server, seed, seed.editor)
    kodjo = join(new_context, server, seed, seed.observer)
    type_at_end(yann, "Texte de départ.")
    saved(yann)
    eventually(lambda: editor_text(kodjo) == "Texte de départ.", "the observer reads")
    content = kodjo.locator(".cm-content")
    expect(content).to_have_attribute("aria-readonly", "true")
    note = kodjo.locator(".note.read-only")
    expect(note).to_have_text("Lecture seule : votre rôle ne permet pas de modifier le texte.")
    expect(note).not_to_have_class(re.compile(r"\bflash\b"))
    content.click()
    kodjo.keyboard.press("Control+End")
    kodjo.keyboard.type(" Ajout interdit.")
    kodjo.keyboard.press("Backspace")
    assert editor_text(kodjo) == "Texte de départ."
    expect(note).to_have_class(re.compile(r"\bflash\b"))  # typing is refused, and says so
    type_at_end(yann, " Suite.")
    saved(yann)
    eventually(lambda: editor_text(kodjo) == "Texte de départ. Suite.", "still live")
    assert server_text(server, seed.document_id, seed.editor) == "Texte de départ. Suite."


# Never lose a word --------------------------------------------------------------------------


def test_offline_edits_are_kept_across_a_reload_and_merged_on_reconnection(
    new_context: NewContext, server: ServerProcess, seed: Seed
) -> None:
    afi = join(new_context, server, seed, seed.editor2)
    context = new_context()
    yann = open_as(context, invitation(server, seed.document_id, seed.coordinator, seed.editor))
    type_at_end(yann, "En ligne.")
    saved(yann)

    context.set_offline(True)
    status = yann.locator(".status")
    expect(status).to_have_attribute("data-state", "offline")
    type_at_end(yann, " Hors ligne.")
    expect(status).to_have_attribute("data-unsaved", "12")
    expect(status).to_contain_text("12 caractère(s) gardé(s) dans ce navigateur")
    type_at_end(afi, " Pendant ce temps.")
    saved(afi)
    context.set_offline(False)
    saved(yann)
    eventually(lambda: editor_text(yann) == editor_text(afi), "merged after reconnection")
    assert "Hors ligne." in editor_text(afi)
    assert "Pendant ce temps." in editor_text(yann)

    # Offline again, then the tab is closed: the browser warns, and keeps the words.
    context.set_offline(True)
    expect(status).to_have_attribute("data-state", "offline")
    type_at_end(yann, " Gardé.")
    expect(status).to_have_attribute("data-unsaved", "7")
    leaving = "() => { const e = new Event('beforeunload', {cancelable: true}); "
    leaving += "window.dispatchEvent(e); return e.defaultPrevented }"
    assert yann.evaluate(leaving) is True  # the browser asks before closing the tab
    assert afi.evaluate(leaving) is False  # nothing unsaved there: no question
    yann.close()
    assert "Gardé" not in server_text(server, seed.document_id, seed.editor)
    context.set_offline(False)
    again = context.new_page()
    again.goto(f"{server.base_url}/d/{seed.document_id}")
    again.locator(".cm-content").wait_for()
    saved(again)
    eventually(lambda: "Gardé." in server_text(server, seed.document_id, seed.editor), "stored")
    eventually(lambda: "Gardé." in editor_text(afi), "the other member sees it")


# Comments -----------------------------------------------------------------------------------


def test_a_comment_made_in_one_browser_appears_in_the_other_with_replies_and_resolution(
    new_context: NewContext, server: ServerProcess, seed: Seed
) -> None:
    yann = join(new_context, server, seed, seed.editor)
    maelle = join(new_context, server, seed, seed.commenter)
    type_at_end(yann, "# Le projet\n\nRelier les acteurs de l'ESS.\n\nSuite du texte.")
    saved(yann)
    eventually(lambda: "Suite du texte." in editor_text(maelle), "Maëlle reads the text")

    maelle.locator(".cm-content").click()  # a commenter selects with the keyboard
    maelle.keyboard.press("Control+Home")
    maelle.keyboard.press("ArrowDown")
    maelle.keyboard.press("ArrowDown")
    maelle.keyboard.press("Shift+End")
    maelle.click("button.comment-selection")
    expect(maelle.locator(".new-comment blockquote")).to_have_text("Relier les acteurs de l'ESS.")
    maelle.fill(".new-comment textarea", "Préciser : quels acteurs ?")
    type_at_end(yann, "\n\nAjout pendant qu'elle écrit.")  # redraws nothing she typed
    eventually(lambda: "pendant" in editor_text(maelle), "Maëlle receives the addition")
    expect(maelle.locator(".new-comment textarea")).to_have_value("Préciser : quels acteurs ?")
    expect(maelle.locator(".new-comment blockquote")).to_have_text("Relier les acteurs de l'ESS.")
    maelle.click(".new-comment button[type=submit]")

    thread = yann.locator(".thread")
    expect(thread).to_have_count(1)
    expect(thread).to_contain_text("« Relier les acteurs de l'ESS. »")
    expect(thread).to_contain_text("Maëlle Tanguy")
    expect(thread).to_contain_text("Préciser : quels acteurs ?")
    expect(yann.locator(".cm-commented")).to_have_text("Relier les acteurs de l'ESS.")
    expect(yann.locator(".side-comments")).to_have_text("Commentaires (1)")

    # Yann types before the passage: the anchor follows it; the thread leads to it.
    yann.locator(".cm-content").click()
    yann.keyboard.press("Control+Home")
    yann.keyboard.type("Préambule.\n")
    saved(yann)
    thread.locator("button.quote").click()
    selected = yann.evaluate(
        "() => { const s = window.palabre.editor.view.state; const r = s.selection.main; "
        "return s.sliceDoc(r.from, r.to) }"
    )
    assert selected == "Relier les acteurs de l'ESS."

    thread.locator("form.reply textarea").fill("Les structures de l'ESS des deux pays.")
    thread.locator("form.reply button").click()
    theirs = maelle.locator(".thread")
    expect(theirs.locator(".replies")).to_contain_text("Les structures de l'ESS des deux pays.")
    expect(thread.locator("button.resolve")).to_have_count(0)  # only its author or a coordinator
    theirs.locator("button.resolve").click()
    expect(yann.locator(".thread")).to_have_count(0)  # the open filter hides it now
    yann.click(".filters button:has-text('Résolus')")
    expect(yann.locator(".thread.resolved")).to_contain_text("Préciser : quels acteurs ?")
    expect(yann.locator(".cm-commented")).to_have_count(0)
    maelle.click(".filters button:has-text('Tous')")
    maelle.locator(".thread button.resolve").click()  # reopen
    yann.click(".filters button:has-text('Ouverts')")
    expect(yann.locator(".thread.open")).to_have_count(1)

    kodjo = join(new_context, server, seed, seed.observer)
    expect(kodjo.locator(".thread")).to_have_count(1)
    expect(kodjo.locator(".new-comment")).to_contain_text("pas d’en écrire")


# The committee ------------------------------------------------------------------------------


def give_vote(server: ServerProcess, seed: Seed, token: str) -> None:
    member_id = member(server, seed.document_id, token)["id"]
    answer = httpx.patch(
        f"{server.base_url}/api/documents/{seed.document_id}/members/{member_id}",
        headers={"Authorization": f"Bearer {seed.coordinator}"},
        json={"votes": True},
    )
    answer.raise_for_status()


def test_a_vote_from_proposal_to_decision(
    new_context: NewContext, server: ServerProcess, seed: Seed
) -> None:
    give_vote(server, seed, seed.editor)
    give_vote(server, seed, seed.editor2)
    yann = join(new_context, server, seed, seed.editor)
    afi = join(new_context, server, seed, seed.editor2)
    awa = join(new_context, server, seed, seed.coordinator)
    kodjo = join(new_context, server, seed, seed.observer)
    type_at_end(yann, "# Le projet\n\nRelier les acteurs de l'ESS en Bretagne et au Togo.")
    saved(yann)
    for page in (yann, afi, awa, kodjo):
        page.click("#tab-committee")
    expect(yann.locator(".meeting h2")).to_have_text("Aucune séance en cours")

    awa.fill(".open-meeting input[name=title]", "Comité de pilotage n° 1")
    awa.click(".open-meeting button[type=submit]")
    expect(yann.locator(".meeting h2")).to_contain_text("Comité de pilotage n° 1")
    for name in ("Yann Le Gall", "Afi Mensah"):
        awa.locator(".attendance label", has_text=name).locator("input").check()
    awa.click(".attendance button[type=submit]")
    expect(yann.locator(".meeting")).to_contain_text("2 présent·e·s")
    expect(yann.locator(".attendance")).to_contain_text(
        "Fédération des ONG du Togo (TG) : Afi Mensah"
    )

    awa.fill(".open-proposal input[name=label]", "Version 1 du référentiel")
    awa.click(".open-proposal button[type=submit]")
    for page in (yann, afi, awa, kodjo):
        expect(page.locator(".proposal h2")).to_contain_text("Version 1 du référentiel")
    expect(yann.locator(".proposal .word-diff ins")).to_contain_text("Relier les acteurs")
    expect(kodjo.locator(".proposal")).to_contain_text("Vous ne votez pas")
    expect(kodjo.locator(".proposal button.vote")).to_have_count(0)

    afi.click(".proposal .vote-object")  # an objection needs a reason
    expect(afi.locator(".voting .error[role=alert]")).to_have_text(
        "Une objection doit être motivée : écrivez le motif."
    )
    reason = afi.locator(".proposal textarea[name=reason]")
    reason.fill("Il manque les structures togolaises.")
    yann.click(".proposal .vote-approve")  # Afi's panel is redrawn with Yann's vote...
    expect(afi.locator(".tally")).to_contain_text("Yann Le Gall : Pour")
    expect(reason).to_have_value("Il manque les structures togolaises.")  # ...her words kept
    afi.click(".proposal .vote-object")
    expect(awa.locator(".tally")).to_contain_text("Pour : 1 · Abstention : 0 · Objection : 1")
    expect(awa.locator(".tally")).to_contain_text("Afi Mensah : Objection — Il manque")
    expect(awa.locator(".tally")).to_contain_text("Il manque les structures togolaises.")
    afi.click(".proposal .vote-approve")  # the last vote of an organisation counts
    expect(afi.locator(".my-vote")).to_have_text("Avis de votre structure : Pour")
    expect(afi.locator(".vote-approve")).to_have_attribute("aria-pressed", "true")
    expect(yann.locator(".tally")).to_contain_text("Pour : 2 · Abstention : 0 · Objection : 0")
    screenshot(awa, "committee-panel")

    awa.click(".proposal .close-proposal")
    for page in (yann, afi, kodjo):
        decision = page.locator(".decisions .decision")
        expect(decision).to_contain_text(
            "n° 1 Version 1 du référentiel : adoptée → version validée v1"
        )
        expect(decision).to_contain_text("Pour : 2 · Abstention : 0 · Objection : 0")
        expect(decision).to_contain_text("quorum atteint")
    expect(yann.locator(".proposal h2")).to_have_text("Aucune proposition ouverte")
    awa.click(".close-meeting")
    expect(afi.locator(".meeting h2")).to_have_text("Aucune séance en cours")


# History and exports ------------------------------------------------------------------------


def approve_version(server: ServerProcess, seed: Seed, label: str) -> None:
    """Meeting, proposal, one approving vote, decision: version N, over HTTP."""
    give_vote(server, seed, seed.editor)
    base = f"{server.base_url}/api/documents/{seed.document_id}"
    awa = {"Authorization": f"Bearer {seed.coordinator}"}
    meeting = httpx.post(
        f"{base}/meetings", headers=awa, json={"title": label, "date": "2026-11-23"}
    )
    proposal = httpx.post(f"{base}/proposals", headers=awa, json={"label": label}).json()
    vote = {"vote": "approve", "reason": None}
    yann = {"Authorization": f"Bearer {seed.editor}"}
    httpx.post(f"{base}/proposals/{proposal['id']}/votes", headers=yann, json=vote)
    closed = httpx.post(f"{base}/proposals/{proposal['id']}/close", headers=awa).json()
    assert closed["decision"] == "accepted", closed
    httpx.post(f"{base}/meetings/{meeting.json()['id']}/close", headers=awa)


def test_history_reads_any_point_by_author_or_organisation_and_compares(
    new_context: NewContext, server: ServerProcess, seed: Seed
) -> None:
    yann = join(new_context, server, seed, seed.editor)
    afi = join(new_context, server, seed, seed.editor2)
    type_at_end(yann, "# Le projet\n\nBretagne.")
    saved(yann)
    approve_version(server, seed, "Première version")
    eventually(lambda: "Bretagne." in editor_text(afi), "Afi has Yann's text")
    type_at_end(afi, " Togo.")
    saved(afi)

    yann.click("#tab-history")
    sessions = yann.locator(".timeline li")
    expect(sessions).to_have_count(2)
    expect(sessions.first).to_contain_text("Afi Mensah · Fédération des ONG du Togo (TG)")
    expect(sessions.last).to_contain_text("Yann Le Gall · Chambre régionale de l'ESS (FR)")
    expect(yann.locator(".history-text pre")).to_have_text("# Le projet\n\nBretagne. Togo.")

    slider = yann.locator(".history-slider")
    slider.fill("0")
    expect(yann.locator(".slider-value")).to_have_text("Document vide (avant toute écriture)")
    expect(yann.locator(".history-text pre")).to_have_text("")
    sessions.last.locator("button").click()  # Yann's session: the text as he left it
    expect(yann.locator(".history-text pre")).to_have_text("# Le projet\n\nBretagne.")

    slider.fill(slider.get_attribute("max") or "0")
    yann.click(".mode-organisations")
    legend = yann.locator(".legend")
    expect(legend).to_contain_text("Chambre régionale de l'ESS (22 car.)")
    expect(legend).to_contain_text("Fédération des ONG du Togo (6 car.)")
    expect(yann.locator(".authorship span[title^='Afi Mensah']")).to_have_text(" Togo.")
    yann.click(".mode-members")
    expect(legend).to_contain_text("Yann Le Gall")

    versions = yann.locator(".versions .version")
    expect(versions).to_have_count(1)
    expect(versions).to_contain_text("v1 — Première version")
    expect(versions).to_contain_text("Texte vérifié ✓")
    expect(versions).to_contain_text("Pour : 1 · Abstention : 0 · Objection : 0")
    yann.select_option(
        "select[name=from]",
        label=yann.locator("select[name=from] option", has_text="v1").inner_text(),
    )
    chosen = [yann.locator(f"select[name={end}]").input_value() for end in ("from", "to")]
    assert chosen[0] != chosen[1]  # two different moments, from the start
    yann.click("button.compare")
    expect(yann.locator(".history-diff ins")).to_have_text(" Togo.")
    screenshot(yann, "history")


def _export_route_is_mounted() -> bool:
    from palabre.server.http.openapi import openapi_document

    return "/api/documents/{document_id}/export" in openapi_document()["paths"]


@pytest.mark.skipif(
    not _export_route_is_mounted(),
    reason="the export route (issue 5, branch export) is not merged into this branch yet",
)
def test_the_export_buttons_download_files_that_open(
    new_context: NewContext, server: ServerProcess, seed: Seed, tmp_path: Path
) -> None:
    yann = join(new_context, server, seed, seed.editor)
    type_at_end(yann, "# Le projet\n\nRelier les acteurs de l'ESS en Bretagne et au Togo.")
    saved(yann)
    approve_version(server, seed, "Première version")
    yann.click("#tab-exports")
    group = yann.locator(".exports[aria-label$='v1']")
    with yann.expect_download() as markdown:
        group.locator("button.export-md").click()
    path = tmp_path / markdown.value.suggested_filename
    markdown.value.save_as(path)
    assert "Relier les acteurs de l'ESS en Bretagne et au Togo." in path.read_text("utf-8")
    with yann.expect_download() as word:
        group.locator("button.export-docx").click()
    path = tmp_path / word.value.suggested_filename
    word.value.save_as(path)
    with zipfile.ZipFile(path) as docx:
        assert "Relier les acteurs" in docx.read("word/document.xml").decode("utf-8")
    with yann.expect_download() as pdf:
        yann.locator(".exports").first.locator("button.export-pdf").click()  # the current text
    path = tmp_path / pdf.value.suggested_filename
    pdf.value.save_as(path)
    assert path.read_bytes().startswith(b"%PDF-")


# Language, access, phones ----------------------------------------------------------------------

UNLABELLED = """() => [...document.querySelectorAll('button, input, select, textarea')]
  .filter((e) => e.offsetParent !== null)
  .filter((e) => !(e.textContent.trim() || e.getAttribute('aria-label') || e.labels?.length
    || e.getAttribute('title')))
  .map((e) => e.outerHTML.slice(0, 80))"""


def test_french_first_english_on_demand_local_times_and_keyboard_use(
    new_context: NewContext, server: ServerProcess, seed: Seed
) -> None:
    yann = join(new_context, server, seed, seed.editor)
    paris = open_as(
        new_context(timezone_id="Europe/Paris"),
        invitation(server, seed.document_id, seed.coordinator, seed.editor2),
    )
    type_at_end(yann, "Un passage à commenter.")
    saved(yann)
    yann.keyboard.press("Shift+Home")
    yann.click("button.comment-selection")
    yann.fill(".new-comment textarea", "Heure ?")
    yann.click(".new-comment button[type=submit]")
    lome_time = yann.locator(".thread .byline time").inner_text()
    paris_time = paris.locator(".thread .byline time").inner_text()
    lome_hour, paris_hour = (
        int(text.rsplit(" ", 1)[1].split(":")[0]) for text in (lome_time, paris_time)
    )
    assert paris_hour == (lome_hour + 1) % 24  # November: Paris is UTC+1, Lomé UTC

    assert yann.evaluate(UNLABELLED) == []
    tab = yann.locator("#tab-text")
    tab.focus()
    yann.keyboard.press("ArrowRight")
    expect(yann.locator("#tab-committee")).to_be_focused()
    expect(yann.locator("#tab-committee")).to_have_attribute("aria-selected", "true")
    expect(yann.locator("#panel-committee")).to_be_visible()
    expect(yann.locator("#panel-text")).to_be_hidden()
    yann.keyboard.press("ArrowLeft")
    expect(yann.locator("#panel-text")).to_be_visible()

    yann.click("button.lang")
    expect(yann.locator("html")).to_have_attribute("lang", "en")
    expect(yann.locator("#tab-history")).to_have_text("History")
    expect(yann.locator(".status")).to_have_text("Saved")
    expect(yann.locator(".comment-selection")).to_have_text("Comment on the selection")
    expect(yann.locator(".tool-bold")).to_have_attribute("aria-label", "Bold")
    yann.reload()  # the choice is remembered
    yann.locator(".cm-content").wait_for()
    expect(yann.locator("#tab-committee")).to_have_text("Committee")
    assert yann.evaluate(UNLABELLED) == []
    expect(paris.locator("#tab-committee")).to_have_text("Comité")  # another browser: French
    yann.click("button.lang")
    expect(yann.locator("#tab-committee")).to_have_text("Comité")


def test_a_phone_screen_gets_one_column_without_sideways_scrolling(
    new_context: NewContext, server: ServerProcess, seed: Seed
) -> None:
    link = invitation(server, seed.document_id, seed.coordinator, seed.editor)
    phone = open_as(
        new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True),
        link,
    )
    type_at_end(phone, "# Le projet\n\nÉcrit depuis un téléphone.")
    saved(phone)
    editor = phone.locator(".editor").bounding_box()
    side = phone.locator(".side").bounding_box()
    assert editor is not None
    assert side is not None
    assert side["y"] >= editor["y"] + editor["height"]  # below, not beside
    assert editor["width"] > 300
    wide = "() => document.scrollingElement.scrollWidth <= window.innerWidth"
    assert phone.evaluate(wide) is True
    screenshot(phone, "phone-editor")
    phone.click("#tab-committee")
    expect(phone.locator(".meeting")).to_be_visible()
    assert phone.evaluate(wide) is True


def test_the_toolbar_outline_and_preview_help_people_who_do_not_know_markdown(
    new_context: NewContext, server: ServerProcess, seed: Seed
) -> None:
    yann = join(new_context, server, seed, seed.editor)
    type_at_end(yann, "Le projet\n\nRelier les acteurs.\n\nLes enjeux\n\nUn mot important.")
    yann.keyboard.press("Control+Home")
    yann.keyboard.press("Shift+End")
    yann.click(".tool-h1")
    yann.keyboard.press("Control+End")
    for _ in range(len(" important.")):
        yann.keyboard.press("ArrowLeft")
    for _ in range(len("mot")):
        yann.keyboard.press("Shift+ArrowLeft")
    yann.click(".tool-bold")
    yann.locator(".cm-content").click()
    yann.keyboard.press("Control+Home")
    for _ in range(4):
        yann.keyboard.press("ArrowDown")
    yann.click(".tool-h2")
    yann.keyboard.press("Control+End")
    yann.keyboard.type('\n\nÉtape un\nÉtape deux <img src=x onerror="window.hacked=1">')
    yann.keyboard.press("Shift+ArrowUp")
    yann.click(".tool-bullets")
    saved(yann)
    expected = (
        "# Le projet\n\nRelier les acteurs.\n\n## Les enjeux\n\nUn **mot** important.\n\n"
        '- Étape un\n- Étape deux <img src=x onerror="window.hacked=1">'
    )
    assert server_text(server, seed.document_id, seed.editor) == expected

    outline = yann.locator(".outline a")
    expect(outline).to_have_text(["Le projet", "Les enjeux"])
    outline.nth(1).click()
    line = yann.evaluate(
        "() => { const s = window.palabre.editor.view.state; "
        "return s.doc.lineAt(s.selection.main.head).text }"
    )
    assert line == "## Les enjeux"

    yann.click(".side-preview")
    preview = yann.locator(".preview")
    expect(preview.locator("h1")).to_have_text("Le projet")
    expect(preview.locator("h2")).to_have_text("Les enjeux")
    expect(preview.locator("strong")).to_have_text("mot")
    expect(preview.locator("li")).to_have_count(2)
    assert preview.locator("img").get_attribute("onerror") is None  # sanitised
    assert yann.evaluate("() => window.hacked === undefined") is True


def test_a_role_changed_by_a_coordinator_applies_to_the_open_page(
    new_context: NewContext, server: ServerProcess, seed: Seed
) -> None:
    afi = join(new_context, server, seed, seed.editor2)
    type_at_end(afi, "Avant.")
    saved(afi)
    member_id = member(server, seed.document_id, seed.editor2)["id"]
    httpx.patch(
        f"{server.base_url}/api/documents/{seed.document_id}/members/{member_id}",
        headers={"Authorization": f"Bearer {seed.coordinator}"},
        json={"role": "observer"},
    ).raise_for_status()
    expect(afi.locator(".cm-content")).to_have_attribute("aria-readonly", "true")
    expect(afi.locator(".me")).to_contain_text("lecture seule")
    afi.keyboard.type(" Après.")
    assert editor_text(afi) == "Avant."
    saved(afi)


def test_the_home_page_lists_the_members_documents_and_the_exports_tab_offers_each_format(
    new_context: NewContext, server: ServerProcess, seed: Seed
) -> None:
    yann = join(new_context, server, seed, seed.editor)
    type_at_end(yann, "# Le projet")
    saved(yann)
    approve_version(server, seed, "Première version")
    yann.goto(f"{server.base_url}/")
    documents = yann.locator(".documents li a")
    expect(documents).to_have_text(["Référentiel commun"])
    documents.click()
    yann.locator(".cm-content").wait_for()
    assert yann.url == f"{server.base_url}/d/{seed.document_id}"
    yann.click("#tab-exports")
    groups = yann.locator("#panel-exports .exports")
    expect(groups).to_have_count(2)  # the current text, and v1
    expect(yann.locator("#panel-exports h3")).to_have_text(
        ["Texte actuel", "v1 — Première version"]
    )
    for group in (groups.first, groups.last):
        expect(group.locator("button")).to_have_text(["MD", "HTML", "DOCX", "ODT", "PDF", "JSON"])
    screenshot(yann, "exports")


def test_below_1000_px_the_outline_folds_above_the_text_and_names_headings_as_read(
    new_context: NewContext, server: ServerProcess, seed: Seed
) -> None:
    link = invitation(server, seed.document_id, seed.coordinator, seed.editor)
    yann = open_as(new_context(viewport={"width": 900, "height": 800}), link)
    type_at_end(yann, "# Le **comité** de [pilotage](https://ess.bzh)\n\n## Les `enjeux`\n\nTexte.")
    outline = yann.locator("details.outline")
    expect(outline.locator("summary")).to_have_text("Plan (2 sections)")
    assert outline.get_attribute("open") is None  # folded: the text comes first
    outline.locator("summary").click()
    expect(yann.locator(".outline a")).to_have_text(["Le comité de pilotage", "Les enjeux"])
    folded, editor = outline.bounding_box(), yann.locator(".editor").bounding_box()
    assert folded is not None
    assert editor is not None
    assert folded["y"] + folded["height"] <= editor["y"]  # above the text, not hidden
    for heading in (
        "Le **comité de pilotage** se réunit *chaque mois*",
        "[Les enjeux](https://example.org) et ~~rien~~ `**code**`",
        "snake_case, ___tout___ et \\*étoile\\*",
        "![logo](x.png) Projet  <https://ess.bzh>",
        "Une _vraie_ **_emphase_** et un * seul",
    ):  # the page and the server name a section alike
        shown = yann.evaluate("(h) => window.palabre.plainHeading(h)", heading)
        assert shown == plain_heading(heading), heading


def test_a_tab_that_cannot_load_says_why_in_french_and_tries_again(
    new_context: NewContext, server: ServerProcess, seed: Seed
) -> None:
    context = new_context()
    link = invitation(server, seed.document_id, seed.coordinator, seed.editor)
    yann = open_as(context, link)
    type_at_end(yann, "# Le projet")
    saved(yann)
    context.set_offline(True)
    yann.click("#tab-history")
    failed = yann.locator("#panel-history .load-failed")
    expect(failed).to_contain_text(
        "Cette partie n’a pas pu être chargée. Pas de connexion avec le serveur."
    )
    context.set_offline(False)
    failed.locator("button.retry").click()
    expect(failed).to_have_count(0)
    expect(yann.locator(".history-text pre")).to_have_text("# Le projet")

    yann.click("#tab-exports")
    group = yann.locator("#panel-exports .exports").first
    context.set_offline(True)
    group.locator("button.export-md").click()
    expect(group.locator(".error")).to_have_text(
        "Échec du téléchargement : Pas de connexion avec le serveur. "
        "Vérifiez votre connexion, puis réessayez."
    )
    context.set_offline(False)

    member_id = yann.evaluate("() => window.palabre.me.id")
    httpx.delete(
        f"{server.base_url}/api/documents/{seed.document_id}/members/{member_id}/invitation",
        headers={"Authorization": f"Bearer {seed.coordinator}"},
    ).raise_for_status()
    yann.click("#tab-committee")
    refused = yann.locator("#panel-committee .load-failed")
    expect(refused).to_contain_text("Ce lien d’invitation a été révoqué.")
    expect(refused.locator("a.sign-in-again")).to_have_text("Se reconnecter")
