"""The page on a weak link, in Debian's Chromium through the link simulator
(``tests/support/link``): a change left unacknowledged too long while the browser believes it
is online blocks the page with a warning until it is stored; a member whose link dies shows as
offline to the others and their cursor goes; votes and comments sent through ``lome-3g`` and a
cut show that they are pending, are retried with the same idempotency key, and count once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.conftest import Seed
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, editor_text, invitation, server_text
from tests.support.link import PROFILES, LinkThread, running_link
from tests.support.server import ServerProcess

pytestmark = pytest.mark.browser
SLOW = 30_000  # ms: through lome-3g, or across y-websocket's 30-second rule


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
    host, port = server.base_url.removeprefix("http://").split(":")
    return host, int(port)


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
