"""The page in a real committee meeting: 23 members of 16 organisations (9 in France, 7 in
Togo) connected at once, 21 of them through stock y-websocket clients (tests/interop/crowd.mjs)
and two through real pages in Debian's Chromium: the coordinator on a 1366x768 laptop and a
voting member on a 390x844 phone.

Checked here: the text starts in the first screen on both; the presence summary and its list
grouped by country and organisation, and who is writing where; one member has one colour in
presence, cursor, sessions and authorship, on every screen; a vote cast from the phone; no
request at all on the open pages when votes come in (the events carry what changed); every
error code the server can answer is translated; no tab scrolls sideways at 390 px; the history
slider's thumb, label and text agree when the colouring changes mid-slide. Screenshots of each
screen, laptop and phone, go to build/screenshots/meeting/.

Why one file of over 400 lines: it is one scenario, one test (a meeting of 23 members, two of
them in browsers), and the helpers that drive it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from palabre.domain.errors import ErrorCode
from playwright.sync_api import Browser, BrowserContext, Page, Request, expect, sync_playwright

from tests.conftest import Seed
from tests.support.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    eventually,
    invitation,
    member,
    open_as,
    screenshot,
)
from tests.support.crowd import Crowd
from tests.support.server import ServerProcess

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
TEXT = """# Le **comité de pilotage** se réunit *chaque mois*

Le référentiel commun présente le projet franco-togolais.

# Les acteurs

Des structures de l'ESS en Bretagne et au Togo.

## Ce que chacun attend

À compléter pendant la séance.

# Les enjeux

Relier les acteurs des deux pays.
"""
# The organisations the seed lacks, and who comes from each (role, vote).
FRENCH = [
    ("Département d'Ille-et-Vilaine", ["Gaëlle Morvan", "Hervé Le Bihan"]),
    ("Réseau breton de solidarité", ["Soizic Le Goff", "Katell Guégan"]),
    ("Pôle ESS du pays de Rennes", ["Erwan Guillou", "Nolwenn Riou"]),
    ("Coopérative Tiez Breiz", ["Loïc Tanguy"]),
    ("Mutuelle des Côtes-d'Armor", ["Anne Le Roux"]),
    ("Association Morlaix–Kara", ["Yannick Pape"]),
    ("Coordination Bretagne", ["Maïwenn Kerhervé", "Tugdual Le Meur"]),
]
TOGOLESE = [
    ("Union des coopératives de Kara", ["Essowè Pali", "Kossi Agbéko"]),
    ("Réseau des femmes entrepreneures", ["Ablavi Dogbé"]),
    ("Maison de l'ESS de Kpalimé", ["Komla Ahadji", "Yawa Kpodar"]),
    ("Association Dzidzɔ", ["Sena Amouzou", "Edem Kudawoo"]),
]


@dataclass
class Meeting:
    """The committee on the server; ``tokens`` by name; ``crowd`` holds every member but the
    two on real pages (Awa, the coordinator, on the laptop; Yann on the phone)."""

    seed: Seed
    server: ServerProcess
    tokens: dict[str, str]
    voters: list[str]
    crowd: Crowd
    present: list[str] = field(default_factory=list)  # the crowd's names, in client order

    def client(self, name: str) -> int:
        return self.present.index(name)

    def api(self, name: str) -> httpx.Client:
        return httpx.Client(
            base_url=f"{self.server.base_url}/api/documents/{self.seed.document_id}",
            headers={"Authorization": f"Bearer {self.tokens[name]}"},
        )


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def add_committee(server: ServerProcess, seed: Seed) -> tuple[dict[str, str], list[str]]:
    """18 more members, so 23 from 16 organisations; most with their organisation's vote."""
    tokens = {
        "Awa Koffi": seed.coordinator,
        "Yann Le Gall": seed.editor,
        "Afi Mensah": seed.editor2,
        "Maëlle Tanguy": seed.commenter,
        "Kodjo Amegah": seed.observer,
    }
    voters = ["Yann Le Gall", "Afi Mensah"]
    base = server.base_url
    awa = {"Authorization": f"Bearer {seed.coordinator}"}
    with httpx.Client(base_url=base, headers=awa) as http:
        for name in voters:
            member_id = member(server, seed.document_id, tokens[name])["id"]
            path = f"/api/documents/{seed.document_id}/members/{member_id}"
            http.patch(path, json={"votes": True}).raise_for_status()
        for country, groups in (("FR", FRENCH), ("TG", TOGOLESE)):
            for organisation, names in groups:
                body: dict[str, object] = {"name": organisation, "country": country}
                created = http.post("/api/organisations", json=body)
                created.raise_for_status()
                for index, name in enumerate(names):
                    votes = index == 0  # one voting member per organisation
                    body = {"name": name, "organisation_id": created.json()["id"]}
                    body |= {"role": "editor", "votes": votes}
                    added = http.post(f"/api/documents/{seed.document_id}/members", json=body)
                    added.raise_for_status()
                    tokens[name] = added.json()["token"]
                    if votes:
                        voters.append(name)
    assert len(tokens) == 23
    return tokens, voters


@pytest.fixture
def meeting(server: ServerProcess, seed: Seed) -> Iterator[Meeting]:
    tokens, voters = add_committee(server, seed)
    crowd = Crowd(server, seed.document_id)
    try:
        present = [name for name in tokens if name not in ("Awa Koffi", "Yann Le Gall")]
        crowd.join([tokens[name] for name in present])
        crowd.insert(present.index("Afi Mensah"), 0, TEXT)
        crowd.wait_text("Relier les acteurs des deux pays.")
        yield Meeting(seed, server, tokens, voters, crowd, present)
    finally:
        crowd.close()


@pytest.fixture
def pages(browser: Browser, meeting: Meeting) -> Iterator[tuple[Page, Page]]:
    """The coordinator's laptop and Yann's phone, on their invitation links."""
    contexts: list[BrowserContext] = []

    def open_page(name: str, **options: object) -> Page:
        context = browser.new_context(timezone_id="Africa/Lome", **options)  # type: ignore[arg-type]
        context.set_default_timeout(20_000)
        contexts.append(context)
        link = invitation(
            meeting.server, meeting.seed.document_id, meeting.seed.coordinator, meeting.tokens[name]
        )
        return open_as(context, link)

    laptop = open_page("Awa Koffi", viewport=LAPTOP)
    phone = open_page("Yann Le Gall", viewport=PHONE, is_mobile=True, has_touch=True)
    yield laptop, phone
    for context in contexts:
        context.close()


class Requests:
    """The HTTP requests a page makes (the event stream and the websocket are already open)."""

    def __init__(self, page: Page) -> None:
        self.seen: list[str] = []
        page.on("request", self._record)

    def _record(self, request: Request) -> None:
        self.seen.append(f"{request.method} {request.url}")

    def clear(self) -> None:
        self.seen.clear()


def summary(page: Page) -> str:
    return page.locator(".presence-summary").inner_text()


def colour(page: Page, selector: str, prop: str) -> str:
    value = page.locator(selector).first.evaluate(
        f"(e) => getComputedStyle(e).getPropertyValue('{prop}')"
    )
    assert isinstance(value, str)
    return value


WIDE = "() => document.scrollingElement.scrollWidth"


def test_a_meeting_of_23_on_a_laptop_and_a_phone(
    meeting: Meeting, pages: tuple[Page, Page]
) -> None:
    laptop, phone = pages
    shots = "meeting"

    # The text in the first screen, on both.
    for page, size in ((laptop, LAPTOP), (phone, PHONE)):
        expect(page.locator(".presence-summary")).to_contain_text("23 présent·e·s")
        box = page.locator(".cm-content").bounding_box()
        assert box is not None
        assert box["y"] + 200 <= size["height"], f"the text starts at y={box['y']}"
        print(f"editor y: {box['y']:.0f} px at {size['width']}x{size['height']}")
    for page in (laptop, phone):  # the arrow that opens the list is drawn by CSS
        expect(page.locator(".presence-summary")).to_have_text(
            "23 présent·e·s · 9 structures FR · 7 TG"
        )

    # Headings read as a reader sees them.
    expect(laptop.locator(".outline a").first).to_have_text(
        "Le comité de pilotage se réunit chaque mois"
    )

    # Several people write at once; the summary says who writes where.
    afi = meeting.client("Afi Mensah")
    crowd = meeting.crowd
    crowd.type(meeting.client("Ablavi Dogbé"), "Relier les acteurs", " solidaires", background=True)
    crowd.type(meeting.client("Erwan Guillou"), "en Bretagne", " (Rennes, Brest)", background=True)
    crowd.type(afi, "À compléter pendant la séance.", " Les ONG togolaises attendent des outils.")
    crowd.settle()
    expect(laptop.locator(".presence-typing")).to_contain_text(
        "Afi Mensah (« Ce que chacun attend »)"
    )
    screenshot(laptop, f"{shots}/laptop-text", full_page=False)
    screenshot(phone, f"{shots}/phone-text", full_page=False)

    # The summary opens into the list, by country and organisation.
    laptop.click(".presence-summary")
    listed = laptop.locator(".presence-list")
    expect(listed.locator(".person")).to_have_count(23)
    expect(listed.locator(".presence-country")).to_have_count(2)
    expect(listed.locator(".presence-country").first).to_contain_text("France")
    expect(listed.locator(".presence-country").first.locator(".organisation")).to_have_count(9)
    expect(listed.locator(".presence-country").last.locator(".organisation")).to_have_count(7)
    expect(listed.locator(".person.typing", has_text="Afi Mensah")).to_contain_text(
        "écrit dans « Ce que chacun attend »"
    )
    expect(listed).to_contain_text("Awa Koffi (vous)")
    screenshot(laptop, f"{shots}/laptop-presence", full_page=False)
    phone.click(".presence-summary")
    expect(phone.locator(".presence-list .person")).to_have_count(23)
    assert phone.evaluate(WIDE) <= PHONE["width"]
    screenshot(phone, f"{shots}/phone-presence", full_page=False)

    # One member, one colour: presence, cursor and (below) sessions and authorship.
    afi_id = str(
        member(meeting.server, meeting.seed.document_id, meeting.tokens["Afi Mensah"])["id"]
    )
    dot = f".presence-list .person[data-member='{afi_id}'] .dot"
    afi_colour = colour(laptop, dot, "background-color")
    assert colour(phone, dot, "background-color") == afi_colour  # the same on every screen
    caret = laptop.locator(
        ".cm-ySelectionCaret", has=laptop.locator(".cm-ySelectionInfo", has_text="Afi Mensah")
    )
    expect(caret).to_have_count(1)
    assert caret.evaluate("(e) => getComputedStyle(e).borderLeftColor") == afi_colour
    phone.click(".presence-summary")
    laptop.click(".presence-summary")

    # Cursor labels show while their person moves, then fade.
    crowd.cursor(afi, "Relier les acteurs")
    expect(caret).to_have_class(re.compile(r"\brecent\b"))
    expect(caret).not_to_have_class(re.compile(r"\brecent\b"), timeout=8000)

    # The coordinator runs the meeting from the laptop.
    laptop.click("#tab-committee")
    phone.click("#tab-committee")
    laptop.fill(".open-meeting input[name=title]", "Comité de pilotage n° 3")
    laptop.click(".open-meeting button[type=submit]")
    expect(phone.locator(".meeting h2")).to_contain_text("Comité de pilotage n° 3")
    record = phone.locator(".meeting")
    with meeting.api("Awa Koffi") as awa:
        meeting_id = awa.get("/meetings").json()["meetings"][-1]["id"]
        ids = [m["id"] for m in awa.get("/members").json()["members"]]
        awa.put(f"/meetings/{meeting_id}/attendance", json={"present": ids}).raise_for_status()
    expect(record).to_contain_text("23 présent·e·s")
    laptop.fill(".open-proposal input[name=label]", "Référentiel, version de décembre")
    laptop.click(".open-proposal button[type=submit]")
    for page in (laptop, phone):
        expect(page.locator(".proposal h2")).to_contain_text("Référentiel, version de décembre")
        expect(page.locator(".proposal .when")).to_contain_text("Texte proposé le ")
        expect(page.locator(".proposal .diff-summary")).to_contain_text("mot(s) ajouté(s)")
    expect(laptop.locator(".proposal .when")).not_to_contain_text("contribution")

    # A server error, in French: the meeting cannot close while its proposal is open.
    laptop.click(".close-meeting")
    expect(laptop.locator(".meeting .error[role=alert]")).to_have_text(
        "Clôturez d’abord le vote des propositions de cette séance."
    )

    # Votes come in from ten organisations: the open pages apply them, without one request.
    watched = {"laptop": Requests(laptop), "phone": Requests(phone)}
    others = [name for name in meeting.voters if name != "Yann Le Gall"][:10]
    for name in others:
        with meeting.api(name) as them:
            choice = "object" if name == "Afi Mensah" else "approve"
            reason = "Le préambule oublie les coopératives." if choice == "object" else None
            them.post(
                f"/proposals/{current_proposal(meeting)}/votes",
                json={"vote": choice, "reason": reason},
            ).raise_for_status()
    for page in (laptop, phone):
        expect(page.locator(".tally-counts")).to_contain_text("10 structure(s) sur")
        expect(page.locator(".tally")).to_contain_text("Pour : 9 · Abstention : 0 · Objection : 1")
        expect(page.locator(".tally")).to_contain_text(
            "Objection — Le préambule oublie les coopératives."
        )
    assert watched["laptop"].seen == [], watched["laptop"].seen
    assert watched["phone"].seen == [], watched["phone"].seen
    print(f"requests per vote on the open pages: 0 ({len(others)} votes, 2 pages)")

    # Yann votes from the phone: one request, his; none on the laptop.
    why = phone.locator(".proposal textarea[name=reason]")
    why.fill("D'accord avec la version.")
    phone.locator(".proposal .vote-approve").tap()
    expect(phone.locator(".my-vote")).to_have_text("Avis de votre structure : Pour")
    expect(laptop.locator(".tally")).to_contain_text("Yann Le Gall : Pour")
    expect(why).to_have_value("D'accord avec la version.")
    posted = [r for r in watched["phone"].seen if "/votes" in r]
    assert len(posted) == 1, watched["phone"].seen
    assert watched["phone"].seen == posted, watched["phone"].seen
    assert watched["laptop"].seen == [], watched["laptop"].seen
    screenshot(laptop, f"{shots}/laptop-committee")
    screenshot(phone, f"{shots}/phone-vote")

    # Every code of the server's registry has its words, in French and in English.
    for code in ErrorCode:
        french = laptop.evaluate("([c, l]) => window.palabre.errorText(c, l)", [code.value, "fr"])
        english = laptop.evaluate("([c, l]) => window.palabre.errorText(c, l)", [code.value, "en"])
        assert french, code
        assert english, code
        assert french != english, code

    # The decision, in the committee's words.
    laptop.click(".proposal .close-proposal")
    for page in (laptop, phone):
        expect(page.locator(".decisions .decision").first).to_contain_text(
            "Référentiel, version de décembre : adoptée → version validée v1"
        )

    # History: sessions and authorship in the same colours; the slider and its race.
    laptop.click("#tab-history")
    session = laptop.locator(f".timeline li.session[data-member='{afi_id}']")
    expect(session.first).to_contain_text("« Ce que chacun attend »")
    assert session.first.evaluate("(e) => getComputedStyle(e).borderLeftColor") == afi_colour
    laptop.click(".mode-members")
    swatch = laptop.locator(".legend li[data-name='Afi Mensah'] .swatch")
    expect(swatch).to_have_count(1)
    assert swatch.evaluate("(e) => getComputedStyle(e).borderTopColor") == afi_colour
    screenshot(laptop, f"{shots}/laptop-history")
    laptop.click(".mode-text")
    slider_race(laptop)

    # The phone: every tab fits the screen.
    widths: dict[str, int] = {}
    for tab in ("text", "committee", "history", "exports"):
        phone.click(f"#tab-{tab}")
        expect(phone.locator(f"#panel-{tab}")).to_be_visible()
        if tab == "history":
            expect(phone.locator(".history-text[data-position]")).to_have_count(1)
        if tab == "exports":
            expect(phone.locator("#panel-exports .exports").first).to_be_visible()
        width = phone.evaluate(WIDE)
        assert isinstance(width, int)
        widths[tab] = width
        screenshot(phone, f"{shots}/phone-{tab}")
    phone.click("#tab-history")
    phone.click(".mode-organisations")
    expect(phone.locator(".legend li")).not_to_have_count(0)
    widths["history (by organisation)"] = phone.evaluate(WIDE)
    screenshot(phone, f"{shots}/phone-history-organisations")
    print(f"scrollWidth per tab at 390 px: {widths}")
    assert all(width <= PHONE["width"] for width in widths.values()), widths
    laptop.click("#tab-exports")
    expect(laptop.locator("#panel-exports .exports")).to_have_count(2)
    screenshot(laptop, f"{shots}/laptop-exports")

    # The files and the minutes say what the page says: "adoptée", "Pour", "Objection".
    with laptop.expect_download() as download:
        laptop.locator("#panel-exports .exports[aria-label$='v1'] button.export-html").click()
    path = download.value.path()
    exported = re.sub(r"<[^>]+>", " ", path.read_text("utf-8"))
    assert "adoptée par le comité le" in exported
    assert "Objection" in exported
    assert "Pour" in exported
    with meeting.api("Awa Koffi") as awa:
        minutes = awa.get(f"/meetings/{meeting_id}/minutes").text
    assert "**Adoptée**" in minutes
    assert "| Objection | Le préambule oublie les coopératives. |" in minutes


def current_proposal(meeting: Meeting) -> str:
    with meeting.api("Awa Koffi") as awa:
        proposals = awa.get("/proposals").json()["proposals"]
    return str(next(p["id"] for p in proposals if p["status"] == "open"))


def slider_race(page: Page) -> None:
    """Move the slider, then switch to "Par auteur·e" within 200 ms: the thumb, its label and
    the text shown end at the same moment."""
    slider = page.locator(".history-slider")
    last = int(slider.get_attribute("max") or "0")
    assert last >= 3, "a few sessions to step through"
    target = last // 2
    slider.fill(str(target))
    page.click(".mode-members")  # well within the slider's 200 ms

    def agreed() -> bool:
        state = page.evaluate(
            """() => ({
              thumb: document.querySelector('.history-slider').value,
              at: document.querySelector('.history-slider').dataset.position,
              label: document.querySelector('.slider-value').dataset.position,
              shown: document.querySelector('.history-text').dataset.position,
              mode: document.querySelector('.history-text').dataset.mode
            })"""
        )
        return bool(
            state["thumb"] == str(target)
            and state["at"] == state["label"] == state["shown"]
            and state["mode"] == "members"
        )

    idle = "() => !document.querySelector('.history-text').hasAttribute('aria-busy')"
    eventually(lambda: agreed() and page.evaluate(idle), "the thumb, its label and the text agree")
    page.click("#panel-history button.next")
    eventually(lambda: page.locator(".history-slider").input_value() == str(target + 1), "next")
