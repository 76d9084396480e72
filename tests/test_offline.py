"""Opening the page with no network after a first visit: the service worker (``/sw.js``) keeps
this release's page and assets, IndexedDB keeps the text (and a journal in localStorage what
IndexedDB has not confirmed yet, so leaving the page right after typing loses nothing), and
the page keeps the last answers it needs to open; the member reads, types, sees that they are
offline with N unsaved changes, and everything is stored when the link returns. API answers
and tokens never enter the cache.

The browser reaches the server through the weak-link simulator (tests/support/link.py), which
cuts the network the way a real one goes: Playwright's ``context.set_offline`` is used too,
for a phone that knows it lost its network (it fires ``offline``)."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from palabre.server.http.headers import CONTENT_SECURITY_POLICY, SecurityHeaders
from palabre.server.http.web import STATIC, web_routes
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Response,
    expect,
)
from starlette.applications import Starlette
from starlette.middleware import Middleware

from tests.conftest import Seed
from tests.support.browser import (
    HOLD_INDEXEDDB,
    PERSISTENCE_NAME,
    editor_text,
    eventually,
    invitation,
    server_text,
)
from tests.support.link import PROFILES, LinkThread, running_link
from tests.support.server import ServerProcess

RELEASE = re.compile(r'"palabre-([0-9a-f]{16})"')
# Every (cache, URL) in the origin's Cache Storage.
CACHED = """async () => {
  const found = []
  for (const name of await caches.keys()) {
    for (const request of await (await caches.open(name)).keys()) found.push([name, request.url])
  }
  return found
}"""
# Content Security Policy violations, recorded from the first script on.
WATCH_CSP = """window.violations = []
document.addEventListener('securitypolicyviolation',
  (e) => window.violations.push(`${e.violatedDirective} ${e.blockedURI}`))"""
# When the page asked the server who the member is (performance.now()), from the first script.
WATCH_ASKED = """window.asked = {}
const ask = window.fetch
window.fetch = (resource, ...rest) => {
  if (/\\/me$/.test(String(resource.url || resource))) window.asked.me = performance.now()
  return ask(resource, ...rest)
}"""
# Once the editor holds `text`: how long after asking who the member is (ms).
SHOWN_AFTER_ASKING = """(text) => {
  const view = window.palabre && window.palabre.editor.view
  return view && view.state.doc.toString() === text && performance.now() - window.asked.me
}"""
KEPT_AT_ONCE_MS = 2000  # waiting for the server there would take ANSWER_TIMEOUT_MS, 3000
UNSAVED = "Hors ligne — {} caractère(s) gardé(s) dans ce navigateur, pas encore enregistré(s)"


def built_assets() -> list[Path]:
    """The release's assets (each ``NAME.br`` beside them is a way of sending ``NAME``)."""
    return [path for path in (STATIC / "assets").iterdir() if path.suffix != ".br"]


def release() -> str:
    """The release the built service worker names: its cache is ``palabre-RELEASE``."""
    match = RELEASE.search((STATIC / "sw.js").read_text("utf-8"))
    assert match is not None
    return match.group(1)


# The route ----------------------------------------------------------------------------------


async def test_the_service_worker_is_served_from_the_root_and_names_this_release() -> None:
    app = Starlette(routes=web_routes(), middleware=[Middleware(SecurityHeaders)])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://palabre") as http:
        worker = await http.get("/sw.js")
        page = await http.get("/d/00000000-0000-0000-0000-000000000000")
    assert worker.status_code == 200
    assert worker.headers["content-type"] == "text/javascript; charset=utf-8"
    assert worker.headers["cache-control"] == "no-cache"  # a new release is seen at once
    assert worker.headers["content-security-policy"] == "default-src 'self'"
    assert "worker-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY

    # It names exactly the assets of this build, and a release made of them: any change to
    # the page or an asset makes a new worker with a new cache.
    assets = sorted(path.name for path in built_assets())
    listed = re.search(r"\[([^\]]*)\]", worker.text)
    assert listed is not None
    assert sorted(re.findall(r'"([^"]+)"', listed.group(1))) == assets
    digest = hashlib.sha256((STATIC / "index.html").read_bytes())
    digest.update("\n".join(assets).encode())
    assert release() == digest.hexdigest()[:16]
    for never in ("/api/", "/ws/"):  # the worker names no API path: it leaves them alone
        assert never not in worker.text


# In Chromium ----------------------------------------------------------------------------------

SLOW = 30_000  # ms: a page through lome-3g, or waiting for a timeout of the offline path


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the page is under test, not the store


@dataclass
class Member:
    """One member's browser, with every answer it got (service worker's own fetches too)."""

    context: BrowserContext
    answers: list[Response] = field(default_factory=list)

    def record(self, answer: Response) -> None:
        self.answers.append(answer)

    def private_answers(self) -> list[Response]:
        return [a for a in self.answers if re.search(r"/(api|ws)/", a.url)]


@pytest.fixture
def member(browser: Browser) -> Iterator[Member]:
    context = browser.new_context(viewport={"width": 1366, "height": 850})
    context.set_default_timeout(SLOW)
    context.add_init_script(WATCH_CSP)
    context.add_init_script(WATCH_ASKED)
    member = Member(context)
    context.on("response", member.record)
    yield member
    context.close()


def through(server: ServerProcess) -> tuple[str, int]:
    host, port = server.base_url.removeprefix("http://").split(":")
    return host, int(port)


def first_visit(member: Member, link: LinkThread, server: ServerProcess, seed: Seed) -> Page:
    """Sign in through an invitation opened at the link's address, type, wait until it is
    stored and the service worker controls the page with this release's cache filled."""
    page = member.context.new_page()
    url = invitation(server, seed.document_id, seed.coordinator, seed.editor)
    page.goto(url.replace(server.base_url, link.url))
    type_at_end(page, "Écrit en ligne.")
    expect(page.locator(".status")).to_have_attribute("data-state", "saved", timeout=SLOW)
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    assets = {f"{link.url}/assets/{path.name}" for path in built_assets()}
    shell = {f"{link.url}/"} | assets
    eventually(lambda: kept(page) == shell, "the release is kept", SLOW / 1000)
    assert page.evaluate("() => window.violations") == []
    return page


def kept(page: Page) -> set[str]:
    return {url for _, url in page.evaluate(CACHED)}


def type_at_end(page: Page, text: str) -> None:
    page.locator(".cm-content").click()
    page.keyboard.press("Control+End")
    page.keyboard.type(text)


def nothing_private_cached(page: Page, member: Member, seed: Seed) -> None:
    """Cache Storage holds this release's page and assets and nothing else; no API request
    was ever answered by the service worker; the page met no CSP violation."""
    for name, url in page.evaluate(CACHED):
        assert name == f"palabre-{release()}", name
        assert re.fullmatch(r"http://[\d.:]+/(assets/[\w.-]+)?", url), url
        for token in (seed.editor, seed.coordinator):
            assert token not in url
    private = member.private_answers()
    assert private, "the page asked the API (or the test saw nothing)"
    assert [a.url for a in private if a.from_service_worker] == []
    assert page.evaluate("() => window.violations") == []


@pytest.mark.browser
def test_in_a_silent_cut_the_page_reloads_from_the_cache_takes_typing_and_merges_on_return(
    member: Member, server: ServerProcess, seed: Seed
) -> None:
    with running_link(PROFILES["lome-3g"], through(server), seed=13) as link:
        # An older release's cache, from before this visit: the new worker replaces it.
        page = member.context.new_page()
        page.goto(f"{link.url}/healthz")
        page.evaluate(
            "async () => (await caches.open('palabre-0000000000000000')).put('/', new Response())"
        )
        page.close()
        page = first_visit(member, link, server, seed)

        link.cut("hold")  # the link goes silent: nothing fails, everything hangs
        reloaded = time.monotonic()
        page.reload()
        expect(page.locator(".cm-content")).to_have_text("Écrit en ligne.", timeout=SLOW)
        # It opened with the answers kept from the first visit, not waiting for the server's.
        shown = page.wait_for_function(SHOWN_AFTER_ASKING, arg="Écrit en ligne.").json_value()
        print(
            f"reloaded in a silent cut: the text shown {time.monotonic() - reloaded:.1f} s "
            f"after the reload, {shown:.0f} ms after asking who the member is"
        )
        assert 0 < shown < KEPT_AT_ONCE_MS, shown
        navigation = [a for a in member.answers if a.request.is_navigation_request()][-1]
        assert navigation.from_service_worker  # the page itself came from the cache
        status = page.locator(".status")
        expect(status).to_have_attribute("data-state", "offline")
        type_at_end(page, " Écrit hors ligne.")
        expect(status).to_have_attribute("data-unsaved", "18")
        expect(status).to_have_text(UNSAVED.format(18))
        assert server_text(server, seed.document_id, seed.editor) == "Écrit en ligne."

        link.restore()
        expect(status).to_have_attribute("data-state", "saved", timeout=SLOW)
        expected = "Écrit en ligne. Écrit hors ligne."
        assert server_text(server, seed.document_id, seed.editor) == expected
        assert editor_text(page) == expected
        nothing_private_cached(page, member, seed)


@pytest.mark.browser
def test_a_member_removed_since_the_last_visit_is_shown_the_refusal_not_the_kept_page(
    member: Member, server: ServerProcess, seed: Seed
) -> None:
    """The page opens with the answers kept from the last visit, then takes the server's: a
    refusal forgets the kept ones, and the page opened again says the member's link no longer
    works."""
    with running_link(PROFILES["direct"], through(server)) as link:
        page = first_visit(member, link, server, seed)
        me = httpx.get(
            f"{server.base_url}/api/documents/{seed.document_id}/me",
            headers={"Authorization": f"Bearer {seed.editor}"},
        ).json()
        removed = httpx.delete(
            f"{server.base_url}/api/documents/{seed.document_id}/members/{me['id']}",
            headers={"Authorization": f"Bearer {seed.coordinator}"},
        )
        assert removed.status_code == 200, removed.text
        page.goto(f"{link.url}/d/{seed.document_id}")
        refusal = "Ce lien ou cette clé n’est pas (ou plus) valable."  # its token is revoked
        expect(page.locator(".sign-in .error")).to_contain_text(refusal)
        known = "() => Object.keys(localStorage).filter((k) => k.startsWith('palabre.known.'))"
        assert not [key for key in page.evaluate(known) if key.endswith("/me")]


@pytest.mark.browser
def test_a_phone_that_lost_its_network_opens_the_page_offline_and_stores_its_edits_later(
    member: Member, server: ServerProcess, seed: Seed
) -> None:
    with running_link(PROFILES["direct"], through(server)) as link:
        page = first_visit(member, link, server, seed)
        page.goto(f"{link.url}/")  # the home page, online: the member's documents
        expect(page.locator(".documents li a")).to_have_text(["Référentiel commun"])
        page.close()

        link.cut("reset")  # the phone's connections are reset...
        member.context.set_offline(True)  # ...and the browser knows (`offline` fires)
        page = member.context.new_page()
        page.goto(f"{link.url}/")
        page.locator(".documents li a").click()  # the list it last saw
        expect(page.locator(".cm-content")).to_have_text("Écrit en ligne.")
        expect(page.locator(".me")).to_contain_text("Yann Le Gall")
        status = page.locator(".status")
        expect(status).to_have_attribute("data-state", "offline")
        type_at_end(page, " Sans réseau.")
        expect(status).to_have_attribute("data-unsaved", "13")
        page.reload()  # still offline: the words are kept, and so is their count
        expect(page.locator(".cm-content")).to_have_text("Écrit en ligne. Sans réseau.")
        expect(status).to_have_text(UNSAVED.format(13))
        asked = "(path) => fetch(path).then(() => 'answered', () => 'failed')"
        me = f"/api/documents/{seed.document_id}/me"
        assert page.evaluate(asked, me) == "failed"  # never answered from a cache

        link.restore()
        member.context.set_offline(False)
        expect(status).to_have_attribute("data-state", "saved", timeout=SLOW)
        expected = "Écrit en ligne. Sans réseau."
        assert server_text(server, seed.document_id, seed.editor) == expected
        nothing_private_cached(page, member, seed)


# The kept page, marked: it stands for an older release's page, so the page shows which one it
# was given. Only the body changes (and the headers that describe it).
MARK_KEPT = """async (release) => {
  const cache = await caches.open(`palabre-${release}`)
  const kept = await cache.match('/')
  const text = (await kept.text()).replace('</head>', '<meta name="kept" content="yes">\\n</head>')
  const headers = new Headers(kept.headers)
  headers.delete('content-length')
  headers.delete('content-encoding')
  await cache.put('/', new Response(text, { status: 200, headers }))
}"""
GIVEN_KEPT = "() => document.querySelector('meta[name=kept]') !== null"
KEPT_MARKED = """async (release) => {
  const kept = await (await caches.open(`palabre-${release}`)).match('/')
  return (await kept.text()).includes('<meta name="kept"')
}"""


@pytest.mark.browser
def test_on_a_slow_link_a_warm_reload_is_given_the_kept_page_before_the_network_answers(
    member: Member, server: ServerProcess, seed: Seed
) -> None:
    """On lome-3g the page request takes at least a round trip of 600 ms: the service worker
    answers the kept page at the deadline, and the network answer, when it comes, replaces
    the kept page for the next visit."""
    with running_link(PROFILES["lome-3g"], through(server), seed=13) as link:
        page = first_visit(member, link, server, seed)
        page.evaluate(MARK_KEPT, release())
        assert page.evaluate(KEPT_MARKED, release())
        reloaded = time.monotonic()
        page.reload(wait_until="commit")
        page.wait_for_load_state("domcontentloaded")
        committed = time.monotonic() - reloaded
        assert page.evaluate(GIVEN_KEPT), "the page waited for the network"
        print(f"the kept page given {committed:.2f} s after the reload on lome-3g")
        expect(page.locator(".cm-content")).to_have_text("Écrit en ligne.", timeout=SLOW)
        # The network's page came later and is kept in its place, for the next visit.
        eventually(
            lambda: not page.evaluate(KEPT_MARKED, release()),
            "the network's page is kept",
            SLOW / 1000,
        )
        assert kept(page) == {f"{link.url}/"} | {
            f"{link.url}/assets/{path.name}" for path in built_assets()
        }
        nothing_private_cached(page, member, seed)


@pytest.mark.browser
def test_on_a_fast_link_a_reload_is_given_the_network_page_not_the_kept_one(
    member: Member, server: ServerProcess, seed: Seed
) -> None:
    """When the network answers within the deadline, its page is the one shown: a new
    release's page is seen at once, never a stale kept one."""
    with running_link(PROFILES["direct"], through(server)) as link:
        page = first_visit(member, link, server, seed)
        page.evaluate(MARK_KEPT, release())
        for _ in range(3):
            page.reload()
            assert not page.evaluate(GIVEN_KEPT), "a fast network's page was not shown"
            expect(page.locator(".cm-content")).to_have_text("Écrit en ligne.", timeout=SLOW)
            page.evaluate(MARK_KEPT, release())


ROUNDS = 3  # in a row: one is enough to lose a word that IndexedDB had not written
JOURNALS = "() => Object.keys(localStorage).filter((key) => key.startsWith('palabre.journal.'))"


def leave_right_after_typing(
    page: Page, typed: list[str], words: list[str], *, close_tab: bool = False
) -> Page:
    """Type each word while IndexedDB is slow and reload at once (or close the tab and open
    the document again), before IndexedDB can have written it; after each, the page shows
    every word typed so far and counts every character typed since the last save."""
    for word in words:
        page.evaluate(HOLD_INDEXEDDB, page.evaluate(PERSISTENCE_NAME))
        type_at_end(page, word)
        if close_tab:
            url, context = page.url, page.context
            page.close()
            page = context.new_page()
            page.goto(url)
        else:
            page.reload()
        typed.append(word)
        expect(page.locator(".cm-content")).to_have_text("".join(typed), timeout=SLOW)
        unsaved = sum(len(w) for w in typed[1:])
        expect(page.locator(".status")).to_have_attribute("data-unsaved", str(unsaved))
    return page


@pytest.mark.browser
def test_words_typed_just_before_a_reload_or_a_closed_tab_are_all_there_after_it(
    member: Member, server: ServerProcess, seed: Seed
) -> None:
    with running_link(PROFILES["direct"], through(server)) as link:
        page = first_visit(member, link, server, seed)
        typed = ["Écrit en ligne."]

        link.cut("hold")  # online for the browser, but the server acknowledges nothing
        page = leave_right_after_typing(page, typed, [f" Silence {n}." for n in range(ROUNDS)])
        member.context.set_offline(True)  # and now the browser knows it is offline
        page = leave_right_after_typing(page, typed, [f" Hors réseau {n}." for n in range(ROUNDS)])
        page = leave_right_after_typing(page, typed, [" Onglet fermé."], close_tab=True)
        assert server_text(server, seed.document_id, seed.editor) == "Écrit en ligne."

        link.restore()
        member.context.set_offline(False)
        status = page.locator(".status")
        expect(status).to_have_attribute("data-state", "saved", timeout=SLOW)
        assert server_text(server, seed.document_id, seed.editor) == "".join(typed)
        assert editor_text(page) == "".join(typed)
        # What the journal kept, IndexedDB has confirmed: nothing is left in localStorage.
        eventually(lambda: page.evaluate(JOURNALS) == [], "the journal is empty")


# Fills the origin's localStorage until it refuses even an empty entry; returns the entries.
FILL_LOCAL_STORAGE = """() => {
  let n = 0
  for (const size of [1 << 20, 1 << 14, 1 << 8, 0]) {
    try {
      for (;;) {
        window.filled = (window.filled || 0) + 1  // a new key each time, across calls
        localStorage.setItem(`filler.${window.filled}`, 'x'.repeat(size))
        n++
      }
    } catch (_) {}
  }
  return n
}"""
REFUSES_A_WRITE = """() => {
  try {
    window.probes = (window.probes || 0) + 1  // a new key, longer than a filler's
    localStorage.setItem(`one.more.write.${window.probes}`, 'x')
    return false
  } catch (_) {
    return true
  }
}"""


@pytest.mark.browser
def test_a_full_local_storage_does_not_stop_changes_reaching_the_server(
    member: Member, server: ServerProcess, seed: Seed
) -> None:
    """The unsaved count and the journal live in localStorage, written from the document's
    update listener: when the browser refuses to write there, the change must still be sent
    (a throw there would skip the listeners after it, the one that sends the change)."""
    page = member.context.new_page()
    page.goto(invitation(server, seed.document_id, seed.coordinator, seed.editor))
    type_at_end(page, "Écrit en ligne.")
    status = page.locator(".status")
    expect(status).to_have_attribute("data-state", "saved", timeout=SLOW)
    # The page may free space meanwhile (its journal goes once the server has acknowledged
    # it), so fill again until a small write is refused.
    deadline, filled = time.monotonic() + 10, 0
    while not page.evaluate(REFUSES_A_WRITE):
        assert time.monotonic() < deadline, f"localStorage still takes writes after {filled}"
        filled += page.evaluate(FILL_LOCAL_STORAGE)
    type_at_end(page, " Et encore.")
    expected = "Écrit en ligne. Et encore."
    eventually(
        lambda: server_text(server, seed.document_id, seed.editor) == expected,
        "the words typed with localStorage full are stored",
        SLOW / 1000,
    )
    expect(status).to_have_attribute("data-state", "saved", timeout=SLOW)
