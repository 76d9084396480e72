"""Debian's Chromium driven by Playwright, and helpers to open Palabre's page as a member."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx
from playwright.sync_api import BrowserContext, Page

from tests.support.server import REPO, ServerProcess

CHROMIUM = "/usr/bin/chromium"
# What works on this machine's closed network (see the README's browser tests section).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = REPO / "build" / "screenshots"


def member(server: ServerProcess, document_id: str, token: str) -> dict[str, object]:
    answer = httpx.get(
        f"{server.base_url}/api/documents/{document_id}/me",
        headers={"Authorization": f"Bearer {token}"},
    )
    answer.raise_for_status()
    result: dict[str, object] = answer.json()
    return result


def invitation(server: ServerProcess, document_id: str, coordinator: str, token: str) -> str:
    """The invitation link a coordinator makes for the member holding ``token``."""
    member_id = member(server, document_id, token)["id"]
    answer = httpx.post(
        f"{server.base_url}/api/documents/{document_id}/members/{member_id}/invitation",
        headers={"Authorization": f"Bearer {coordinator}"},
    )
    answer.raise_for_status()
    return str(answer.json()["url"])


def open_as(context: BrowserContext, link: str) -> Page:
    """Open an invitation link and wait for the editor."""
    page = context.new_page()
    page.goto(link)
    page.locator(".cm-content").wait_for()
    return page


def editor_text(page: Page) -> str:
    """The text in the page's editor (CodeMirror's own document, which y-codemirror keeps
    equal to the shared text; the DOM also holds other members' cursor labels)."""
    text = page.evaluate("() => window.palabre.editor.view.state.doc.toString()")
    assert isinstance(text, str)
    return text


def server_text(server: ServerProcess, document_id: str, token: str) -> str:
    answer = httpx.get(
        f"{server.base_url}/api/documents/{document_id}/text",
        headers={"Authorization": f"Bearer {token}"},
    )
    answer.raise_for_status()
    return answer.text


def eventually(check: Callable[[], bool], what: str, timeout: float = 20) -> None:
    """Poll a condition on the real browser and server until it holds."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.05)


def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """``name`` may hold a folder: ``meeting/phone-history``."""
    path = SCREENSHOTS / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=full_page)
    return path


# A slow IndexedDB (a busy phone's flash), made certain: a read-write transaction over the
# text's store of the database ``name`` that keeps itself busy until its page goes, so every
# read or write started after it waits behind it, and leaving the page aborts them all.
HOLD_INDEXEDDB = """async (name) => {
  const db = await new Promise((resolve, reject) => {
    const opening = indexedDB.open(name)
    opening.onsuccess = () => resolve(opening.result)
    opening.onerror = () => reject(opening.error)
  })
  const store = db.transaction(['updates'], 'readwrite').objectStore('updates')
  await new Promise((resolve) => {
    const busy = () => { store.count().onsuccess = () => { resolve(); busy() } }
    busy()
  })
}"""
PERSISTENCE_NAME = "() => window.palabre.live.persistence.name"  # the page's IndexedDB database
