"""The page's first load (issue 13), in Debian's Chromium: on a first visit the page shows the
current text (``GET .../text``, started by ``boot.js`` beside who the member is) read only
before its live document has synced (``early.js``), takes no typing until then and says why,
then hands over to the editor without moving the page, and loses nothing typed after; a
visit after that opens the editor from IndexedDB and does not ask for the text, and opens
its websocket only once IndexedDB has given the text back, so that it neither asks the server
for the whole document again nor sends the kept text back up.

The live document is held back by routing the page's websocket through Playwright: the
server's messages are kept until the test lets them go, as a slow first sync would keep them.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from palabre.client.live import LiveDocument
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Request,
    WebSocket,
    WebSocketRoute,
    expect,
)

from tests.conftest import Seed
from tests.support.browser import (
    HOLD_INDEXEDDB,
    PERSISTENCE_NAME,
    editor_text,
    invitation,
    server_text,
)
from tests.support.server import ServerProcess

pytestmark = pytest.mark.browser
# A few screens of Markdown, so that the page scrolls: the handover must not move it.
TEXT = "\n\n".join(
    f"## Section {n}\n\nLes structures du réseau {n} présentent leurs attentes, **en gras** "
    f"et *en italique*, sur une ligne assez longue pour être coupée à l'écran."
    for n in range(1, 61)
)
LOADING = "Texte en cours de chargement"
# The text of the line a third of the way down the window, and where that line's top is.
READING = """() => {
  const x = document.querySelector('.editor').getBoundingClientRect().left + 12
  for (let y = Math.round(window.innerHeight / 3); y < window.innerHeight; y += 4) {
    const line = document.elementFromPoint(x, y).closest('.cm-line')
    if (line) {
      if (line.textContent.trim()) {
        const top = Math.round(line.getBoundingClientRect().top)
        return { text: line.textContent.slice(0, 60), top }
      }
      continue
    }
    const caret = document.caretRangeFromPoint(x, y)
    const node = caret.startContainer
    if (node.nodeType !== Node.TEXT_NODE || !node.parentElement.closest('.reader')) continue
    const all = node.data
    const from = all.lastIndexOf('\\n', caret.startOffset - 1) + 1
    const end = all.indexOf('\\n', caret.startOffset)
    const text = all.slice(from, end < 0 ? undefined : end)
    if (!text.trim()) continue
    const start = document.createRange()
    start.setStart(node, from)
    start.setEnd(node, from + 1)
    return { text: text.slice(0, 60), top: Math.round(start.getBoundingClientRect().top) }
  }
  return null
}"""


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the page is under test, not the store


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    made = browser.new_context(viewport={"width": 1366, "height": 850})
    made.set_default_timeout(30_000)
    yield made
    made.close()


class HeldSocket:
    """Routes the page's websockets to the server, keeping what the server sends until
    ``release()``; the page's own messages go through at once."""

    def __init__(self) -> None:
        self.holding = True
        self.held: list[tuple[WebSocketRoute, str | bytes]] = []

    def route(self, page_side: WebSocketRoute) -> None:
        server_side = page_side.connect_to_server()

        def down(message: str | bytes) -> None:
            if self.holding:
                self.held.append((page_side, message))
            else:
                page_side.send(message)

        server_side.on_message(down)

    def release(self) -> None:
        self.holding = False
        for page_side, message in self.held:
            page_side.send(message)
        self.held.clear()


def write(server: ServerProcess, seed: Seed, text: str) -> None:
    """Store ``text`` as the document's, through a Python member (on a thread of its own:
    Playwright's sync API holds this one's event loop)."""

    async def typed() -> None:
        async with LiveDocument(server.base_url, seed.document_id, seed.editor) as live:
            live.insert(0, text)
            await live.wait_saved()

    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, typed()).result(timeout=60)


def first_visit(context: BrowserContext, server: ServerProcess, seed: Seed) -> Page:
    """The document holds TEXT; a member opens it a first time, and it is synced and shown."""
    write(server, seed, TEXT)
    page = context.new_page()
    page.goto(invitation(server, seed.document_id, seed.coordinator, seed.editor2))
    expect(page.locator(".status")).to_have_attribute("data-state", "saved")
    assert editor_text(page) == TEXT
    return page


def reader_text(page: Page) -> str:
    text: str = page.evaluate("() => document.querySelector('.reader').textContent")
    return text


def test_a_first_visit_shows_the_text_before_the_live_document_and_takes_typing_only_after(
    context: BrowserContext, server: ServerProcess, seed: Seed
) -> None:
    write(server, seed, TEXT)
    held = HeldSocket()
    page = context.new_page()
    page.route_web_socket(re.compile(r"/ws/"), held.route)
    page.goto(invitation(server, seed.document_id, seed.coordinator, seed.editor2))

    # Before the live document: the text, read only, and the note that says why.
    reader = page.locator(".reader")
    expect(reader).to_be_visible()
    assert reader_text(page) == TEXT
    expect(page.locator(".cm-editor")).to_be_hidden()
    note = page.locator(".note.loading-text")
    expect(note).to_be_visible()
    expect(note).to_contain_text(LOADING)
    # The socket is open; what the server sent is held.
    page.wait_for_function("() => window.palabre.live.provider.wsconnected")
    assert not page.evaluate("() => window.palabre.live.provider.synced")

    reader.click()
    page.keyboard.type("perdu ?")
    expect(note).to_have_class(re.compile(r"\bflash\b"))  # typing is refused, and said so
    assert reader_text(page) == TEXT
    page.evaluate("() => window.scrollTo(0, 1500)")
    before = page.evaluate(READING)

    # The live document arrives: the editor takes the reader's place, where the reader was.
    held.release()
    expect(reader).to_have_count(0)
    expect(page.locator(".cm-content")).to_be_visible()
    expect(note).to_be_hidden()
    assert editor_text(page) == TEXT
    after = page.wait_for_function(READING).json_value()
    line = page.evaluate(
        "() => parseFloat(getComputedStyle(document.querySelector('.cm-line')).lineHeight)"
    )
    print(f"reading before the handover {before}, after {after} (a line is {line} px)")
    assert after["text"] == before["text"]
    assert abs(after["top"] - before["top"]) < line

    # Typing now goes into the shared text, and is stored.
    page.locator(".cm-content").click()
    page.keyboard.press("Control+End")
    page.keyboard.type(" Ajouté.")
    expect(page.locator(".status")).to_have_attribute("data-state", "saved")
    assert editor_text(page) == TEXT + " Ajouté."
    assert server_text(server, seed.document_id, seed.editor) == TEXT + " Ajouté."


def test_a_visit_after_the_first_opens_the_editor_at_once_without_asking_for_the_text(
    context: BrowserContext, server: ServerProcess, seed: Seed
) -> None:
    page = first_visit(context, server, seed)

    asked: list[str] = []
    page.on("request", lambda request: asked.append(request_path(request)))
    held = HeldSocket()  # the live document stays away: the text comes from IndexedDB
    page.route_web_socket(re.compile(r"/ws/"), held.route)
    page.reload()
    expect(page.locator(".cm-content")).to_be_visible()
    page.wait_for_function("n => window.palabre.editor.view.state.doc.length === n", arg=len(TEXT))
    assert editor_text(page) == TEXT
    expect(page.locator(".reader")).to_have_count(0)
    assert any(path.endswith("/me") for path in asked), asked
    assert not [path for path in asked if path.endswith("/text")], asked
    held.release()


def test_a_later_visit_shows_the_kept_text_while_indexeddb_is_slow_and_syncs_only_after_it(
    context: BrowserContext, server: ServerProcess, seed: Seed
) -> None:
    page = first_visit(context, server, seed)
    name = page.evaluate(PERSISTENCE_NAME)
    kept = "async () => (await window.palabre.live.keptText()) || ''"
    page.wait_for_function(
        f"async (n) => ({kept})().then((text) => text.length === n)", arg=len(TEXT)
    )

    holder = context.new_page()  # same origin, so the same IndexedDB
    holder.goto(f"{server.base_url}/healthz")
    holder.evaluate(HOLD_INDEXEDDB, name)
    sent: list[int] = []
    received: list[int] = []

    def watch(socket: WebSocket) -> None:
        socket.on("framesent", lambda payload: sent.append(len(payload)))
        socket.on("framereceived", lambda payload: received.append(len(payload)))

    page.on("websocket", watch)
    page.reload()
    page.wait_for_function("() => window.palabre !== undefined")
    # The text this browser kept is shown, read only, while IndexedDB holds the document back.
    expect(page.locator(".reader")).to_be_visible()
    assert reader_text(page) == TEXT
    expect(page.locator(".cm-editor")).to_be_hidden()
    # Long enough for a socket to open and sync on this machine many times over: a page that
    # did not wait for IndexedDB would now have asked for the whole document.
    page.wait_for_timeout(1000)
    holder.close()
    expect(page.locator(".status")).to_have_attribute("data-state", "saved")
    expect(page.locator(".reader")).to_have_count(0)
    assert editor_text(page) == TEXT
    print(
        f"after the reload: {len(sent)} frames sent (largest {max(sent)} B), "
        f"{len(received)} received ({sum(received)} B in all), the text {len(TEXT)} B"
    )
    assert max(sent) < len(TEXT) / 10, sent
    assert sum(received) < len(TEXT) / 10, received


def request_path(request: Request) -> str:
    return re.sub(r"^https?://[^/]+", "", request.url).split("?")[0]
