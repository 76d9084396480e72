"""The page on a weak link, in Debian's Chromium through the link simulator
(``tests/support/link``): a change left unacknowledged too long while the browser believes it
is online blocks the page with a warning until it is stored; a member whose link dies shows as
offline to the others and their cursor goes; votes and comments sent through ``lome-3g`` and a
cut show that they are pending, are retried with the same idempotency key, and count once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from uuid import UUID

import httpx
import pytest
from palabre.domain.application import PalabreApplication
from palabre.domain.roles import Country, Role
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Locator,
    Page,
    expect,
    sync_playwright,
)

from tests.conftest import Seed
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, editor_text, invitation, server_text
from tests.support.link import PROFILES, LinkThread, running_link
from tests.support.lost import answer_lost_in_browser
from tests.support.server import ServerProcess

pytestmark = pytest.mark.browser
SLOW = 30_000  # ms: through lome-3g, or across y-websocket's 30-second rule
PRESENCE_BOUND = 35  # s: a dead link's member shows offline (30 s without renewal, 3 s checks)
RETURN_BOUND = 10  # s: and present again once the link returns (y-websocket reconnects)


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the page is under test, not the store


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def contexts(browser: Browser) -> Iterator[list[BrowserContext]]:
    made: list[BrowserContext] = []
    yield made
    for context in made:
        context.close()


def new_context(
    browser: Browser, made: list[BrowserContext], warn_after: int = 0
) -> BrowserContext:
    context = browser.new_context(viewport={"width": 1366, "height": 850})
    context.set_default_timeout(SLOW)
    if warn_after:
        context.add_init_script(f"localStorage.setItem('palabre.warnAfterSeconds', '{warn_after}')")
    made.append(context)
    return context


def through(server: ServerProcess) -> tuple[str, int]:
    return server.address


def open_through(
    context: BrowserContext, link: LinkThread, server: ServerProcess, seed: Seed, token: str
) -> Page:
    url = invitation(server, seed.document_id, seed.coordinator, token)
    page = context.new_page()
    page.goto(url.replace(server.base_url, link.url))
    page.locator(".cm-content").wait_for()
    return page


def type_at_end(page: Page, text: str) -> None:
    page.locator(".cm-content").click()
    page.keyboard.press("Control+End")
    page.keyboard.type(text)


# Never a silent loss ----------------------------------------------------------------------------


def test_changes_unsaved_too_long_while_online_block_the_page_until_they_are_stored(
    browser: Browser, contexts: list[BrowserContext], server: ServerProcess, seed: Seed
) -> None:
    context = new_context(browser, contexts, warn_after=3)
    with running_link(PROFILES["direct"], through(server)) as link:
        page = open_through(context, link, server, seed, seed.editor)
        warning = page.get_by_role("dialog")
        type_at_end(page, "Premier jet.")
        expect(page.locator(".status")).to_have_attribute("data-state", "saved")
        page.wait_for_timeout(4000)  # longer than the threshold, with everything stored
        expect(warning).to_be_hidden()

        link.cut("hold")  # silent: the browser still believes it is online
        type_at_end(page, " Perdu ?")
        expect(warning).to_be_visible(timeout=10_000)
        expect(warning).to_contain_text("Vos modifications ne sont pas enregistrées")
        expect(warning).to_contain_text("8 caractère(s)")
        assert page.evaluate("() => document.querySelector('dialog').matches(':modal')")
        page.get_by_role("button", name="Continuer à écrire").click()
        expect(warning).to_be_hidden()
        expect(warning).to_be_visible(timeout=10_000)  # still unsaved: it comes back
        page.keyboard.press("Escape")
        expect(warning).to_be_hidden()

        context.set_offline(True)  # the browser knows: the header says it, no dialog
        expect(page.locator(".status")).to_have_attribute("data-state", "offline")
        page.wait_for_timeout(5000)
        expect(warning).to_be_hidden()
        context.set_offline(False)
        expect(warning).to_be_visible(timeout=10_000)

        link.restore()  # the edits go through, and the warning leaves by itself
        expect(warning).to_be_hidden(timeout=SLOW)
        expect(page.locator(".status")).to_have_attribute("data-state", "saved")
        assert server_text(server, seed.document_id, seed.editor) == "Premier jet. Perdu ?"
        assert editor_text(page) == "Premier jet. Perdu ?"


# Committee actions on a weak link --------------------------------------------------------------


def stored_topics(application: PalabreApplication, suffix: str) -> int:
    found = application.recorder.select_notifications(0, 100_000)
    return sum(n.topic.endswith(suffix) for n in found)


def test_a_vote_whose_answer_a_cut_lost_shows_pending_is_retried_and_counts_once(
    browser: Browser,
    contexts: list[BrowserContext],
    server: ServerProcess,
    seed: Seed,
    application: PalabreApplication,
) -> None:
    voter = application.add_member(
        "Kossi Agbeko",
        "Fédération des ONG du Togo",
        Country.TG,
        Role.EDITOR,
        UUID(seed.document_id),
        votes=True,
    )
    proposal = httpx.post(
        f"{server.base_url}/api/documents/{seed.document_id}/proposals",
        json={"label": "Texte de la séance"},
        headers={"Authorization": f"Bearer {seed.coordinator}"},
    ).json()
    context = new_context(browser, contexts)
    with running_link(PROFILES["lome-3g"], through(server), seed=21) as link:
        page = open_through(context, link, server, seed, voter.token)
        page.click("#tab-committee")
        mine = page.locator(".proposal .my-vote")
        page.click(".proposal .vote-approve")
        expect(mine).to_have_text("Envoi de votre avis « Pour »…")  # on its way
        answer_lost_in_browser(link, lambda: stored_topics(application, "VoteCast") == 1)
        expect(mine).to_contain_text("nouvel essai automatique")
        expect(page.locator(".proposal .vote-approve")).to_be_disabled()
        link.restore()
        expect(mine).to_have_text("Avis de votre structure : Pour", timeout=SLOW)
        expect(page.locator(".proposal .vote-approve")).to_have_attribute("aria-pressed", "true")
        expect(page.locator(".tally-counts")).to_contain_text("Pour : 1 ·")
    assert stored_topics(application, "VoteCast") == 1
    answer = httpx.get(
        f"{server.base_url}/api/documents/{seed.document_id}/proposals/{proposal['id']}",
        headers={"Authorization": f"Bearer {seed.coordinator}"},
    )
    assert [v["vote"] for v in answer.json()["votes"]] == ["approve"]


def test_a_comment_sent_through_a_cut_is_posted_once(
    browser: Browser,
    contexts: list[BrowserContext],
    server: ServerProcess,
    seed: Seed,
    application: PalabreApplication,
) -> None:
    context = new_context(browser, contexts)
    with running_link(PROFILES["lome-3g"], through(server), seed=22) as link:
        page = open_through(context, link, server, seed, seed.editor)
        type_at_end(page, "Relier les acteurs de l'ESS.")
        expect(page.locator(".status")).to_have_attribute("data-state", "saved")
        page.keyboard.press("Shift+Home")
        page.click("button.comment-selection")
        page.fill(".new-comment textarea", "Lesquels ?")
        page.click(".new-comment button[type=submit]")
        note = page.locator(".new-comment .sending")
        expect(note).to_have_text("Envoi…")
        answer_lost_in_browser(link, lambda: stored_topics(application, "Comment.Created") == 1)
        expect(note).to_contain_text("nouvel essai automatique")
        link.restore()
        expect(page.locator(".thread")).to_have_count(1, timeout=SLOW)
        expect(page.locator(".thread")).to_contain_text("Lesquels ?")
        expect(page.locator(".new-comment textarea")).to_have_count(0)  # the draft is done
    assert stored_topics(application, "Comment.Created") == 1


# Presence that tells the truth -----------------------------------------------------------------


def test_a_member_whose_link_dies_shows_offline_and_their_cursor_goes_then_comes_back(
    browser: Browser, contexts: list[BrowserContext], server: ServerProcess, seed: Seed
) -> None:
    """Afi's link goes silent (a ``hold`` cut: nothing tells anyone). Yann, already there, and
    Maëlle, who opens the page during the cut, stop seeing her cursor and see her *hors
    ligne* within the bound; when her link returns she is present again at once."""
    afi_context, yann_context, maelle_context = (new_context(browser, contexts) for _ in "abc")
    yann = open_as_direct(yann_context, server, seed, seed.editor)
    type_at_end(yann, "Le texte du comité.")
    with running_link(PROFILES["direct"], through(server)) as link:
        afi = open_through(afi_context, link, server, seed, seed.editor2)
        type_at_end(afi, " Ajout d’Afi.")
        expect(cursor_of(yann, "Afi Mensah")).to_have_count(1)
        expect(yann.locator(".presence-summary")).to_contain_text("2 présent·e·s")

        link.cut("hold")
        cut_at = time.monotonic()
        maelle = None
        while time.monotonic() - cut_at < 5:  # Maëlle arrives during the cut
            time.sleep(0.05)
        maelle = open_as_direct(maelle_context, server, seed, seed.commenter)
        gone = {}
        for name, page in (("yann", yann), ("maelle", maelle)):
            expect(cursor_of(page, "Afi Mensah")).to_have_count(0, timeout=45_000)
            expect(page.locator(".presence-summary")).to_contain_text("1 hors ligne")
            gone[name] = time.monotonic() - cut_at
        print(
            f"cursor gone and offline shown after {gone['yann']:.1f} s (there), "
            f"{gone['maelle']:.1f} s (arrived during the cut)"
        )
        assert max(gone.values()) < PRESENCE_BOUND
        yann.click(".presence-summary")
        expect(yann.locator(".person.offline")).to_contain_text("Afi Mensah")

        link.restore()
        restored_at = time.monotonic()
        expect(yann.locator(".presence-summary")).not_to_contain_text("hors ligne", timeout=45_000)
        expect(yann.locator(".presence-summary")).to_contain_text("3 présent·e·s")
        back = time.monotonic() - restored_at
        print(f"present again {back:.1f} s after the link returned")
        assert back < RETURN_BOUND


def cursor_of(page: Page, name: str) -> Locator:
    return page.locator(
        ".cm-ySelectionCaret", has=page.locator(".cm-ySelectionInfo", has_text=name)
    )


def open_as_direct(context: BrowserContext, server: ServerProcess, seed: Seed, token: str) -> Page:
    page = context.new_page()
    page.goto(invitation(server, seed.document_id, seed.coordinator, token))
    page.locator(".cm-content").wait_for()
    return page
