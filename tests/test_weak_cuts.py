"""Nobody loses a word through cuts: a member in Chromium on the ``cuts`` link (``lome-3g`` with
silent 30-second cuts, y-websocket's own limit) types without stopping while two members on a
good link type too; at the end every client holds the same text, which contains every token
each of them typed exactly once, and the server stored exactly that text.

The link's schedule is fixed: ``PALABRE_WEAK_CUTS`` cuts of 30 s (2 in the suite; 10 for the
full run, ``make test-cuts``), each after 15 s online, typing all along. Each typed token is a
marker (`` A017``: who, and a number), so a lost, doubled or torn character shows by name.
"""

from __future__ import annotations

import asyncio
import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest
from palabre.client import LiveDocument
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.conftest import Seed
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, editor_text, invitation, server_text
from tests.support.link import PROFILES, running_link
from tests.support.server import ServerProcess

pytestmark = pytest.mark.browser
CUTS = int(os.environ.get("PALABRE_WEAK_CUTS", "2"))
ONLINE, CUT = 15.0, 30.0  # seconds: before each cut, and each cut
TOKEN = re.compile(r" ([ABC])(\d{4})")


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the link and the clients are under test; both stores are tested elsewhere


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class GoodLinkWriter:
    """A member on a good link, typing a token at the start of the text every ``every`` s,
    in a thread of its own, until stopped."""

    def __init__(self, server: ServerProcess, seed: Seed, token: str, name: str) -> None:
        self.server, self.seed, self.token, self.name = server, seed, token, name
        self.typed: list[str] = []
        self.final = ""
        self.stop = threading.Event()
        self.thread = threading.Thread(target=lambda: asyncio.run(self.run()), daemon=True)

    async def run(self) -> None:
        base = self.server.base_url
        async with LiveDocument(base, self.seed.document_id, self.token) as live:
            while not self.stop.is_set():
                word = f" {self.name}{len(self.typed):04d}"
                live.insert(0, word)
                self.typed.append(word)
                await asyncio.sleep(0.7)
            await live.wait_saved(timeout=120)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and live.value != self.wanted():
                await asyncio.sleep(0.2)
            self.final = live.value

    def wanted(self) -> str:
        return server_text(self.server, self.seed.document_id, self.token)


def type_token(page: Page, word: str, warnings: list[float]) -> None:
    warning = page.locator("dialog.unsaved-warning")
    if warning.is_visible():  # a person would read it, then go on typing
        warnings.append(time.monotonic())
        page.keyboard.press("Escape")
        page.locator(".cm-content").click()
        page.keyboard.press("Control+End")
    page.keyboard.type(word, delay=60)


@pytest.mark.timeout(300 + int(CUTS * (ONLINE + CUT)))  # the suite's 300 s, plus the cuts
def test_nobody_loses_a_word_through_silent_cuts(
    browser: Browser, server: ServerProcess, seed: Seed
) -> None:
    host, port = server.base_url.removeprefix("http://").split(":")
    schedule = replace(PROFILES["cuts"], cut_after=(ONLINE, ONLINE), cut_count=CUTS, cut_for=CUT)
    writers = [
        GoodLinkWriter(server, seed, seed.editor2, "B"),
        GoodLinkWriter(server, seed, seed.coordinator, "C"),
    ]
    context = browser.new_context(viewport={"width": 1366, "height": 850})
    context.set_default_timeout(60_000)
    try:
        with running_link(schedule, (host, int(port)), seed=3) as link:
            page = context.new_page()
            url = invitation(server, seed.document_id, seed.coordinator, seed.editor)
            page.goto(url.replace(server.base_url, link.url))
            page.locator(".cm-content").click()
            for writer in writers:
                writer.thread.start()
            typed: list[str] = []
            warnings: list[float] = []
            started = time.monotonic()
            ends = started + CUTS * (ONLINE + CUT) + ONLINE
            while time.monotonic() < ends:
                word = f" A{len(typed):04d}"
                type_token(page, word, warnings)
                typed.append(word)
            for writer in writers:
                writer.stop.set()
            expect(page.locator(".status")).to_have_attribute(
                "data-state", "saved", timeout=120_000
            )
            for writer in writers:
                writer.thread.join(180)
            stored = server_text(server, seed.document_id, seed.editor)
            deadline = time.monotonic() + 60
            while editor_text(page) != stored and time.monotonic() < deadline:
                time.sleep(0.2)
            seen = editor_text(page)
    finally:
        context.close()
    print(
        f"{len(typed)} tokens typed in Chromium through {CUTS} cuts in "
        f"{time.monotonic() - started:.0f} s, {sum(len(w.typed) for w in writers)} on good "
        f"links; the unsaved warning was dismissed {len(warnings)} time(s)"
    )
    assert seen == stored
    for writer in writers:
        assert writer.final == stored, writer.name
    found = TOKEN.findall(stored)
    expected = {(w[1], w[2:]) for w in typed + writers[0].typed + writers[1].typed}
    assert len(found) == len(expected), "a token is doubled or lost"
    assert set(found) == expected
    assert TOKEN.sub("", stored) == "", "characters outside the tokens: a token was torn"
