"""Snapshot exports, read back by independent readers: python-docx, odfpy, pypdf, the standard
library's HTML parser, hashlib. One document, decided on by a real committee through a real
server on port 0, serves the whole module (exports only read); one test runs on both backends.

Why one file of over 400 lines: one committee with two approved versions (module scope) serves
every format's tests; split by format, it would be built once per file.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import docx
import httpx
import orjson
import pypdf
import pytest
from docx.shared import Twips
from odf import teletype
from odf import text as odf_text
from odf.namespaces import FONS
from odf.opendocument import load as load_odt
from odf.table import Table as OdfTable
from odf.table import TableCell, TableRow
from palabre.client import PalabreClient
from palabre.client.exports import Exports
from palabre.domain.application import PalabreApplication
from palabre.domain.contribution import NewContribution
from palabre.domain.ids import DocumentId
from palabre.domain.roles import Country, Role
from palabre.server.export.compose import compose
from palabre.server.export.formats import render
from palabre.server.export.model import ChainSeal, ExportOptions, Snapshot, plain
from palabre.server.export.model import Paragraph as ModelParagraph
from palabre.server.storage.database import Database, open_application
from pypdf.generic import DictionaryObject

from tests.conftest import Seed
from tests.support import referentiel
from tests.support.server import REPO, ServerProcess
from tests.test_cli import palabre
from tests.test_versions import typed_updates

NBSP = "\u00a0"
V1_PIECES = [
    "# Référentiel commun\n\n",
    "Le projet relie des structures de l’**économie sociale et solidaire** (ESS) "
    f"en Bretagne et au Togo{NBSP}: «{NBSP}faire ensemble{NBSP}» à Lomé comme à Rennes.\n\n",
    "## Les enjeux\n\n",
    f"1. Renforcer les *coopérations* entre structures{NBSP};\n",
    "2. Partager les pratiques, voir [le site du projet](https://example.org/ess).\n",
    "   - Échanges de jeunes\n   - Formations\n\n",
    f"> «{NBSP}Le palabre est l’arbre sous lequel on délibère.{NBSP}»\n\n",
    "## Les acteurs\n\n",
    "| Structure | Pays | Attentes |\n|:--|:-:|--:|\n",
    "| Chambre régionale de l’ESS | France | Mise en réseau |\n",
    "| Fédération des ONG du Togo | Togo | Formations |\n\n",
    "### Ce qu’ils attendent\n\n",
    "- Des rencontres régulières\n- Un référentiel validé\n",
]
V2_PIECES = ["\n## Calendrier\n\n", "Deux ans, de 2026 à 2028, avec Ɖɔkɔ et ŋ.\n"]
V1, V2 = "".join(V1_PIECES), "".join(V1_PIECES + V2_PIECES)
HEADINGS = [
    (1, "Référentiel commun"),
    (2, "Les enjeux"),
    (2, "Les acteurs"),
    (3, "Ce qu’ils attendent"),
]
OBJECTION = "Il manque la place des jeunes."


@dataclass(frozen=True)
class World:
    server: ServerProcess
    database_url: str
    document_id: str
    coordinator: str
    observer: str
    v1_position: int
    count: int

    def get(self, token: str | None = None, **params: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token or self.coordinator}"}
        path = f"/api/documents/{self.document_id}/export"
        return httpx.get(self.server.base_url + path, params=params, headers=headers, timeout=60)

    def export(self, **params: Any) -> bytes:
        response = self.get(**params)
        assert response.status_code == 200, response.text
        return response.content


def _members(app: PalabreApplication, document: DocumentId) -> dict[str, Any]:
    def add(name: str, org: str, country: Country, role: Role, votes: bool = False) -> Any:
        return app.add_member(name, org, country, role, document, votes=votes)

    return {
        "coordinator": app.add_member(
            "Awa Koffi", "Coordination Lomé", Country.TG, Role.COORDINATOR
        ),
        "yann": add("Yann Le Gall", "Chambre régionale de l'ESS", Country.FR, Role.EDITOR, True),
        "afi": add("Afi Mensah", "Fédération des ONG du Togo", Country.TG, Role.EDITOR, True),
        "maelle": add("Maëlle Tanguy", "Université Rennes 2", Country.FR, Role.EDITOR, True),
        "ronan": add("Ronan Cadiou", "Pôle ESS du Pays de Fougères", Country.FR, Role.EDITOR, True),
        "kodjo": add("Kodjo Amegah", "Association Akwaba", Country.TG, Role.OBSERVER),
    }


def _type(
    url: str, document: DocumentId, authors: list[Any], updates: list[bytes], pieces: range
) -> None:
    """Store the contributions ``pieces`` (indexes into ``updates``), as a second process
    would (the CLI does the same while the server runs)."""
    app = open_application(Database(url))
    try:
        batch = [
            NewContribution(authors[i % len(authors)], "session", updates[i], 1) for i in pieces
        ]
        app.append_contributions(document, pieces.start, batch)
    finally:
        app.close()


def _decide(
    http: httpx.Client, document: str, label: str, voters: dict[str, tuple[str, str | None]]
) -> Any:
    base = f"/api/documents/{document}"
    proposal = http.post(base + "/proposals", json={"label": label}).json()
    for token, (vote, reason) in voters.items():
        answer = httpx.post(
            http.base_url.join(f"{base}/proposals/{proposal['id']}/votes"),
            json={"vote": vote, "reason": reason},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 201, answer.text
    closed = http.post(f"{base}/proposals/{proposal['id']}/close").json()
    assert closed["decision"] == "accepted", closed
    return closed


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    url = f"sqlite:///{tmp_path_factory.mktemp('export') / 'palabre.sqlite3'}"
    app = open_application(Database(url))
    document = DocumentId(app.create_document("Référentiel commun").id)
    people = _members(app, document)
    app.close()
    authors = [people["yann"].member.id, people["afi"].member.id]
    updates = typed_updates(V1_PIECES + V2_PIECES)  # one replica typed them all
    _type(url, document, authors, updates, range(len(V1_PIECES)))
    server = ServerProcess(url).start()
    token = {name: issued.token for name, issued in people.items()}
    headers = {"Authorization": f"Bearer {token['coordinator']}"}
    base = f"/api/documents/{document}"
    try:
        with httpx.Client(base_url=server.base_url, headers=headers, timeout=30) as http:
            http.post(
                base + "/meetings", json={"title": "Comité de pilotage", "date": "2026-11-23"}
            )
            votes = {
                token["yann"]: ("approve", None),
                token["afi"]: ("object", OBJECTION),
                token["maelle"]: ("approve", None),
            }
            _decide(http, str(document), "Première lecture", votes)
            _comment(server, str(document), token["maelle"], token["yann"])
            later = range(len(V1_PIECES), len(V1_PIECES + V2_PIECES))
            _type(url, document, authors, updates, later)
            _decide(http, str(document), "Avec le calendrier", votes)
        yield World(
            server,
            url,
            str(document),
            token["coordinator"],
            token["kodjo"],
            len(V1_PIECES),
            len(V1_PIECES + V2_PIECES),
        )
    finally:
        server.kill()


def _comment(server: ServerProcess, document: str, author: str, other: str) -> None:
    base = f"{server.base_url}/api/documents/{document}/comments"
    mine = {"Authorization": f"Bearer {author}"}
    theirs = {"Authorization": f"Bearer {other}"}
    opened = httpx.post(
        base,
        json={"body": "Préciser «\u00a0ensemble\u00a0».", "quote": "faire ensemble"},
        headers=mine,
    ).json()
    httpx.post(f"{base}/{opened['id']}/replies", json={"body": "D’accord."}, headers=theirs)
    resolved = httpx.post(
        base, json={"body": "Coquille corrigée.", "quote": "Formations\n\n"}, headers=theirs
    ).json()
    httpx.post(f"{base}/{resolved['id']}/resolve", headers=theirs).raise_for_status()


# Markdown and the JSON bundle ----------------------------------------------------------------


def test_the_markdown_export_is_the_approved_text_byte_for_byte(world: World) -> None:
    response = world.get(format="md", version=1)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"
    version = httpx.get(
        f"{world.server.base_url}/api/documents/{world.document_id}/versions/1",
        headers={"Authorization": f"Bearer {world.coordinator}"},
    ).json()
    assert response.content.decode("utf-8") == version["markdown"] == V1
    assert hashlib.sha256(response.content).hexdigest() == version["sha256"]
    assert response.headers["x-palabre-sha256"] == version["sha256"]
    disposition = response.headers["content-disposition"]
    assert re.fullmatch(
        r'attachment; filename="referentiel-commun_v1_\d{4}-\d\d-\d\d\.md"', disposition
    )


def test_the_bundle_carries_text_hash_decision_votes_comments_and_contributors(
    world: World,
) -> None:
    response = world.get(format="json", version=1, comments="all", contributors="true")
    assert response.headers["content-type"] == "application/json"
    bundle = orjson.loads(response.content)
    assert bundle["markdown"] == V1
    assert hashlib.sha256(bundle["markdown"].encode("utf-8")).hexdigest() == bundle["sha256"]
    approval = bundle["approval"]
    assert approval["pinned_sha256"] == bundle["sha256"]
    assert approval["rebuilt_matches_pinned"] is True
    assert (approval["number"], approval["label"]) == (1, "Première lecture")
    assert approval["meeting"]["title"] == "Comité de pilotage"
    assert approval["tally"] == {
        "voting_organisations": 4,
        "voted": 3,
        "quorum_met": True,
        "approve": 2,
        "abstain": 0,
        "object": 1,
    }
    objection = next(v for v in approval["votes"] if v["choice"] == "object")
    assert objection == {
        "organisation": "Fédération des ONG du Togo",
        "country": "TG",
        "member": "Afi Mensah",
        "choice": "object",
        "reason": OBJECTION,
    }
    assert approval["not_voted"] == [
        {"organisation": "Pôle ESS du Pays de Fougères", "country": "FR"}
    ]
    assert bundle["audit_chain"]["sealed_by_decision"] is True
    assert re.fullmatch(r"[0-9a-f]{64}", bundle["audit_chain"]["head"])
    assert [c["status"] for c in bundle["comments"]] == ["open", "resolved"]
    assert bundle["comments"][0]["replies"][0]["body"] == "D’accord."
    by_member = {c["member"]: c["characters"] for c in bundle["contributors"]}
    assert set(by_member) == {"Yann Le Gall", "Afi Mensah"}
    assert sum(by_member.values()) == len(V1)
    assert (bundle["snapshot"]["kind"], bundle["snapshot"]["version"]) == ("version", 1)


# Word ----------------------------------------------------------------------------------------


def test_word_reads_back_headings_lists_tables_quotes_and_the_cover(world: World) -> None:
    content = world.export(format="docx", version=1)
    document = docx.Document(io.BytesIO(content))
    paragraphs = [(p.style.name if p.style else "", p.text) for p in document.paragraphs]
    assert paragraphs[0] == ("Title", "Référentiel commun")
    assert paragraphs[1][0] == "Subtitle"
    assert "v1" in paragraphs[1][1]
    headings = [(int(s.split()[-1]), t) for s, t in paragraphs if s.startswith("Heading ")]
    assert headings == HEADINGS
    assert _word_list_level(document, f"Renforcer les coopérations entre structures{NBSP};") == (
        0,
        "decimal",
    )
    assert _word_list_level(document, "Échanges de jeunes") == (1, "bullet")
    assert _word_list_level(document, "Des rencontres régulières") == (0, "bullet")
    styles = dict((t, s) for s, t in paragraphs)
    assert styles[f"«{NBSP}Le palabre est l’arbre sous lequel on délibère.{NBSP}»"] == "Quote"
    opening = next(t for s, t in paragraphs if t.startswith("Le projet relie"))
    assert f"«{NBSP}faire ensemble{NBSP}»" in opening
    assert "l’économie" in opening
    cover = "\n".join(t for _, t in paragraphs[:12])
    sha256 = hashlib.sha256(V1.encode("utf-8")).hexdigest()
    assert sha256 in cover
    assert "Tête de la chaîne d’audit" in cover
    tally, actors = document.tables[0], document.tables[1]
    rows = [[cell.text for cell in row.cells] for row in tally.rows]
    assert ["Fédération des ONG du Togo", "Togo", "Afi Mensah", "Objection"] in rows
    assert f"Motif de l’objection — Fédération des ONG du Togo (Afi Mensah){NBSP}: {OBJECTION}" in [
        t for _, t in paragraphs
    ]
    assert [c.text for c in actors.rows[1].cells] == [
        "Chambre régionale de l’ESS",
        "France",
        "Mise en réseau",
    ]
    assert "w:hyperlink" in document.element.xml
    assert document.core_properties.title == "Référentiel commun"


def _word_list_level(document: Any, text: str) -> tuple[int, str]:
    """The numbering level (``w:ilvl``) of the paragraph and its level's number format."""
    paragraph = next(p for p in document.paragraphs if p.text == text)
    numbering = paragraph._p.pPr.numPr
    level = int(numbering.ilvl.val)
    num = document.part.numbering_part.element.num_having_numId(numbering.numId.val)
    formats = document.part.numbering_part.element.xpath(
        f"w:abstractNum[@w:abstractNumId='{num.abstractNumId.val}']"
        f"/w:lvl[@w:ilvl='{level}']/w:numFmt/@w:val"
    )
    return level, str(formats[0])


def test_word_is_a4_french_with_page_numbers_and_its_own_properties(world: World) -> None:
    """Not python-docx's template: A4, every style French, a footer with PAGE and NUMPAGES
    fields, fonts found on Windows and macOS, and properties that name Palabre."""
    content = world.export(format="docx", version=1)
    document = docx.Document(io.BytesIO(content))
    section = document.sections[0]
    assert (section.page_width, section.page_height) == (Twips(11906), Twips(16838))
    footer = section.footer.paragraphs[0]._p.xml
    assert re.findall(r"<w:instrText[^>]*> (\w+) </w:instrText>", footer) == ["PAGE", "NUMPAGES"]
    assert "Référentiel commun · v1 · SHA-256 " in section.footer.paragraphs[0].text
    styles = document.styles.element.xml
    assert re.search(r'<w:rPrDefault>.*<w:lang w:val="fr-FR"', styles, re.DOTALL)
    assert 'w:ascii="Times New Roman"' in styles
    assert "en-US" not in styles
    assert document.core_properties.language == "fr-FR"
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        names = archive.namelist()
        application = archive.read("docProps/app.xml").decode("utf-8")
        settings = archive.read("word/settings.xml").decode("utf-8")
    assert not [name for name in names if "thumbnail" in name]
    assert "<Application>Palabre</Application>" in application
    assert "Microsoft" not in application
    assert '<w:themeFontLang w:val="fr-FR"/>' in settings
    quote = document.styles["Quote"].element.xml
    assert re.search(r'<w:ind w:left="\d+"', quote)  # indented
    assert re.search(r'<w:pBdr>\s*<w:left w:val="single"', quote)  # with a rule on its left


def test_an_english_cover_is_tagged_english_and_the_text_french() -> None:
    snapshot = referentiel.snapshot()
    options = ExportOptions(format="docx", lang="en")
    word = docx.Document(io.BytesIO(render(snapshot, options)))
    runs: dict[str, list[str]] = {}  # each text's first run
    for paragraph in word.paragraphs:
        for run in paragraph.runs:
            runs.setdefault(run.text, run._r.xpath("w:rPr/w:lang/@w:val"))
    assert runs["Decision: "] == ["en-GB"]
    assert runs["Référentiel commun"] == ["en-GB"]  # the cover's title: as the cover
    opening = next(p for p in word.paragraphs if p.text.startswith("Les structures de l’"))
    assert all(not run._r.xpath("w:rPr/w:lang") for run in opening.runs)  # the default: fr-FR
    odt = load_odt(io.BytesIO(render(snapshot, replace(options, format="odt"))))
    english = {
        s.getAttribute("name")
        for s in odt.automaticstyles.childNodes
        if any(p.attributes.get((FONS, "language")) == "en" for p in s.childNodes)
    }
    spans = odt.getElementsByType(odf_text.Span)
    assert any(
        teletype.extractText(s).startswith("Decision") and s.getAttribute("stylename") in english
        for s in spans
    )
    assert not any(
        "Les structures de l’" in teletype.extractText(s)
        for s in spans
        if s.getAttribute("stylename") in english
    )


# OpenDocument --------------------------------------------------------------------------------


def test_odfpy_reads_back_outline_levels_lists_and_tables(world: World) -> None:
    content = world.export(format="odt", version=1)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        first = archive.infolist()[0]
        assert (first.filename, first.compress_type) == ("mimetype", zipfile.ZIP_STORED)
    document = load_odt(io.BytesIO(content))
    headings = [
        (int(h.getAttribute("outlinelevel")), teletype.extractText(h))
        for h in document.getElementsByType(odf_text.H)
    ]
    assert headings == HEADINGS
    texts = [teletype.extractText(p) for p in document.getElementsByType(odf_text.P)]
    assert any(f"«{NBSP}faire ensemble{NBSP}»" in t for t in texts)
    assert hashlib.sha256(V1.encode("utf-8")).hexdigest() in "".join(texts)
    lists = document.getElementsByType(odf_text.List)
    assert len(lists) >= 3  # numbered, nested bullets, bullets
    tables = document.getElementsByType(OdfTable)
    assert len(tables) == 2
    links = document.getElementsByType(odf_text.A)
    assert [a.getAttribute("href") for a in links] == ["https://example.org/ess"]
    actors = tables[1]
    cells = [
        [cell.getElementsByType(odf_text.P)[0] for cell in row.getElementsByType(TableCell)]
        for row in actors.getElementsByType(TableRow)
    ]
    alignments = [[_odf_paragraph(document, p, "text-align") for p in row] for row in cells]
    assert alignments[0] == alignments[1] == [None, "center", "end"]  # the header row too
    assert {_odf_paragraph(document, p, "margin-bottom") for row in cells for p in row} == {"0cm"}
    assert _odf_marker(document, "Échanges de jeunes") == (2, "bullet")
    assert _odf_marker(document, f"Renforcer les coopérations entre structures{NBSP};") == (
        1,
        "number",
    )


def _odf_paragraph(document: Any, paragraph: Any, name: str) -> str | None:
    """A paragraph property (``text-align``, ``margin-bottom``: fo: attributes) as the
    paragraph's style says it, or that style's parent."""
    styles = {
        s.getAttribute("name"): s
        for holder in (document.automaticstyles, document.styles)
        for s in holder.childNodes
        if s.qname[1] == "style"
    }
    style = styles.get(paragraph.getAttribute("stylename"))
    while style is not None:
        for properties in style.childNodes:
            if properties.qname[1] == "paragraph-properties":
                value = properties.attributes.get((FONS, name))
                if value is not None:
                    return str(value)
        style = styles.get(style.getAttribute("parentstylename"))
    return None


def _odf_marker(document: Any, text: str) -> tuple[int, str]:
    """The nesting depth of the list item holding ``text``, and what its list's style draws
    at that depth (a number or a bullet): how LibreOffice and pandoc read it."""
    paragraph = next(
        p for p in document.getElementsByType(odf_text.P) if teletype.extractText(p) == text
    )
    depth, odf_list, node = 0, None, paragraph.parentNode
    while node is not None and node.qname[1] != "text":
        if node.qname[1] == "list":
            depth += 1
            odf_list = odf_list or node
        node = node.parentNode
    assert odf_list is not None
    name = odf_list.getAttribute("stylename")
    style = next(s for s in document.automaticstyles.childNodes if s.getAttribute("name") == name)
    level = next(e for e in style.childNodes if int(e.getAttribute("level")) == depth)
    return depth, "number" if level.qname[1] == "list-level-style-number" else "bullet"


# PDF -----------------------------------------------------------------------------------------


def test_pdf_has_every_heading_the_hash_and_bookmarks(world: World) -> None:
    response = world.get(format="pdf", version=2)
    assert response.headers["content-type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    for _, heading in [*HEADINGS, (2, "Calendrier")]:
        assert heading in text
    assert hashlib.sha256(V2.encode("utf-8")).hexdigest() in text
    assert "Ɖɔkɔ" in text  # Ewe letters: the DejaVu fonts cover them
    assert _titles(reader.outline) == [
        "Référentiel commun",
        ["Les enjeux", "Les acteurs", ["Ce qu’ils attendent"], "Calendrier"],
    ]
    assert reader.metadata is not None
    assert reader.metadata.title == "Référentiel commun"
    catalog = reader.root_object
    assert str(catalog["/PageMode"]) == "/UseOutlines"  # opens with the bookmarks shown
    assert str(catalog["/Lang"]) == "fr-FR"
    fonts: dict[str, bool] = {}
    for page in reader.pages:
        _fonts(page, fonts)
    assert "DejaVuSerif" in " ".join(fonts)
    assert all(fonts.values()), fonts  # every font named is embedded (no Helvetica)
    assert re.search(r"\b1 / \d+\b", reader.pages[0].extract_text())


def _fonts(holder: Any, found: dict[str, bool]) -> None:
    """Each font a page or form names, and whether the file embeds it."""
    resources = holder.get("/Resources")
    if resources is None:
        return
    resources = resources.get_object()
    for font in resources.get("/Font", DictionaryObject()).get_object().values():
        font = font.get_object()
        descriptor = font.get("/FontDescriptor")
        embedded = descriptor is not None and "/FontFile2" in descriptor.get_object()
        found[str(font["/BaseFont"])] = embedded
    for form in resources.get("/XObject", DictionaryObject()).get_object().values():
        _fonts(form.get_object(), found)


def _titles(outline: Any) -> list[Any]:
    return [_titles(item) if isinstance(item, list) else item.title for item in outline]


# HTML ----------------------------------------------------------------------------------------


class _Reader(HTMLParser):
    """Text per element kind: headings, the cover, list items, tables, quotes."""

    KINDS = ("h1", "h2", "h3", "header", "li", "table", "blockquote", "ol", "ul")
    EMPTY = ("br", "hr", "meta")

    def __init__(self) -> None:
        super().__init__()
        self.open: list[tuple[str, int | None]] = []  # tag, and its entry in ``found``
        self.found: list[tuple[str, str]] = []
        self.attributes: dict[str, dict[str, str | None]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.EMPTY:
            return
        self.attributes.setdefault(tag, dict(attrs))
        entry = None
        if tag in self.KINDS:
            entry = len(self.found)
            self.found.append((tag, ""))
        self.open.append((tag, entry))

    def handle_endtag(self, tag: str) -> None:
        while self.open and self.open.pop()[0] != tag:
            pass

    def handle_data(self, data: str) -> None:
        for _, entry in self.open:
            if entry is not None:
                kind, text = self.found[entry]
                self.found[entry] = (kind, text + data)

    def texts(self, tag: str) -> list[str]:
        return [" ".join(text.split()) for kind, text in self.found if kind == tag]


def test_html_parses_with_its_cover_and_structure(world: World) -> None:
    response = world.get(format="html", version=1, lang="en", tz="Africa/Lome")
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = response.content.decode("utf-8")
    reader = _Reader()
    reader.feed(page)
    reader.close()
    assert reader.attributes["html"]["lang"] == "fr-FR"  # the text
    assert reader.attributes["header"]["lang"] == "en-GB"  # the cover's labels
    assert "<style>" in page
    assert "counter(page)" in page
    assert '@bottom-left { content: "Référentiel commun · v1 · SHA-256 ' in page
    assert "<link" not in page
    [cover] = reader.texts("header")
    assert reader.attributes["header"]["class"] == "cover"
    assert "Approved version v1: “Première lecture”" in cover
    assert hashlib.sha256(V1.encode("utf-8")).hexdigest() in cover
    assert "(Africa/Lome, UTC+00:00)" in cover
    assert OBJECTION in cover
    assert "Voting organisation that did not vote: Pôle ESS du Pays de Fougères (France)" in cover
    assert "sealed by the decision" in cover
    assert reader.texts("h1") == ["Référentiel commun"]
    assert reader.texts("h2") == ["Les enjeux", "Les acteurs"]
    assert any("Échanges de jeunes" in item for item in reader.texts("li"))
    assert "l’arbre" in reader.texts("blockquote")[0]
    assert len(reader.texts("table")) == 2  # the votes, the actors
    assert '<a href="https://example.org/ess">' in page


def test_html_escapes_what_people_typed() -> None:
    """Raw HTML in the Markdown stays text, and only safe link targets survive: the exported
    page runs nothing."""
    typed = '<script>alert("x")</script>\n\n[lien](javascript:alert(1)) <b onclick="x">b</b>\n'
    snapshot = Snapshot(
        document_id="d",
        title="<i>Titre</i>",
        markdown=typed,
        sha256=hashlib.sha256(typed.encode("utf-8")).hexdigest(),
        position=1,
        current=True,
        at=datetime(2026, 11, 23, tzinfo=UTC),
        approval=None,
        chain=ChainSeal("0" * 64, 1, sealed_by_decision=False),
    )
    page = render(snapshot, ExportOptions(format="html")).decode("utf-8")
    assert "<script" not in page
    assert "<b " not in page
    assert 'href="javascript' not in page
    assert "&lt;script&gt;" in page
    assert "&lt;i&gt;Titre&lt;/i&gt;" in page


# The cover's words ---------------------------------------------------------------------------


def _cover_text(snapshot: Snapshot, **options: Any) -> str:
    document = compose(snapshot, ExportOptions(format="html", **options))
    paragraphs = [b.content for b in document.cover.blocks if isinstance(b, ModelParagraph)]
    return "\n".join([document.cover.subtitle, *map(plain, paragraphs), document.metadata.footer])


def test_the_cover_says_the_committee_decided_and_who_closed_the_vote() -> None:
    """Not "acceptée … par" a coordinator: the committee decided, a coordinator closed the
    vote; the organisations with a vote that did not vote are named; plurals are written."""
    cover = _cover_text(referentiel.snapshot(), zone=ZoneInfo("Europe/Paris"))
    assert (
        "Décision\u00a0: adoptée par le comité le 23 novembre 2026 à 14:02 "
        "(Europe/Paris, UTC+01:00)\u00a0; vote clos par Awa Koffi (Coordination Lomé)"
    ) in cover
    assert (
        "quorum atteint, 13 structures sur 16 ayant voix ont donné leur avis\u00a0; "
        "10 pour, 2 abstentions, 1 objection"
    ) in cover
    assert (
        "Structures ayant voix qui n’ont pas voté\u00a0: ONG Ɖekawɔwɔ (Togo), "
        "Association Ŋutifafa (Togo), Mutuelle ʋɔdu de Kara (Togo)"
    ) in cover
    assert "(s)" not in cover
    english = _cover_text(referentiel.snapshot(), lang="en")
    assert "accepted by the committee on 23 November 2026 at 13:02 (UTC); vote closed by" in english
    assert (
        "13 of 16 voting organisations voted; 10 approvals, 2 abstentions, 1 objection" in english
    )
    assert "Voting organisations that did not vote: ONG Ɖekawɔwɔ (Togo)" in english


def test_the_cover_agrees_in_number() -> None:
    one = replace(
        referentiel.decision(),
        voting_organisations=1,
        voted=1,
        approve=1,
        abstain=0,
        object=0,
        votes=referentiel.decision().votes[:1],
        not_voted=referentiel.decision().not_voted[:1],
    )
    snapshot = referentiel.snapshot()
    assert snapshot.approval is not None
    alone = replace(snapshot, approval=replace(snapshot.approval, decision=one))
    cover = _cover_text(alone)
    assert (
        "1 structure sur 1 ayant voix a donné son avis\u00a0; 1 pour, 0 abstention, 0 objection"
        in cover
    )
    assert "Structure ayant voix qui n’a pas voté\u00a0: ONG Ɖekawɔwɔ (Togo)" in cover
    english = _cover_text(alone, lang="en")
    assert "1 of 1 voting organisation voted; 1 approval, 0 abstentions, 0 objections" in english


def test_a_point_of_the_history_is_named_by_its_date_and_time() -> None:
    """The footer of a point that is not a version says when it is (a position, "#34", means
    nothing to a reader); the subtitle counts the contributions in words."""
    point = referentiel.snapshot(approved=False)
    cover = _cover_text(point, zone=ZoneInfo("Africa/Lome"))
    assert (
        "État au 23 novembre 2026 à 13:02 (Africa/Lome, UTC+00:00), après 34 contributions" in cover
    )
    footer = cover.splitlines()[-1]
    assert footer.startswith("Référentiel commun · état au 23/11/2026 13:02 (UTC+00:00) · SHA-256 ")
    assert "#" not in footer
    one = _cover_text(replace(point, position=1), lang="en")
    assert "As of 23 November 2026 at 13:02 (UTC), after 1 contribution" in one


# Any point of the history, and the current text ----------------------------------------------


def test_an_export_at_a_position_is_the_text_there(world: World) -> None:
    headers = {"Authorization": f"Bearer {world.coordinator}"}
    history = httpx.get(
        f"{world.server.base_url}/api/documents/{world.document_id}/history/at",
        params={"position": 3},
        headers=headers,
    )
    response = world.get(format="json", at=3)
    bundle = orjson.loads(response.content)
    assert bundle["markdown"] == history.text == "".join(V1_PIECES[:3])
    assert bundle["snapshot"]["position"] == 3
    assert bundle["approval"] is None
    assert bundle["audit_chain"]["sealed_by_decision"] is False
    name = r'filename="referentiel-commun_etat_\d{4}-\d\d-\d\d_\d\dh\d\d\.json"'
    assert re.search(name, response.headers["content-disposition"])
    cover = world.export(format="html", at=3).decode("utf-8")
    assert "État au " in cover
    assert "après 3 contributions" in cover


def test_the_current_text_is_exported_by_default(world: World) -> None:
    response = world.get(format="md")
    assert response.content.decode("utf-8") == V2
    assert response.headers["x-palabre-position"] == str(world.count)
    html = world.export(format="html", tz="Europe/Paris").decode("utf-8")
    assert "Texte en cours, état au " in html
    assert "(Europe/Paris, UTC+0" in html


def test_an_observer_may_export_even_through_a_plain_link(world: World) -> None:
    assert world.get(world.observer, format="pdf", version=1).status_code == 200
    link = f"{world.server.base_url}/api/documents/{world.document_id}/export"
    query = {"format": "md", "version": "1", "token": world.observer}
    assert httpx.get(link, params=query).content == V1.encode("utf-8")  # no header sent


# Determinism ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["md", "html", "docx", "odt", "pdf", "json"])
def test_the_same_request_gives_the_same_bytes(world: World, fmt: str) -> None:
    params = {"format": fmt, "version": 2, "comments": "open", "contributors": "true"}
    assert world.export(**params) == world.export(**params)
    assert world.export(format=fmt, at=5) == world.export(format=fmt, at=5)


def test_the_generation_time_is_the_only_field_that_varies(world: World) -> None:
    stamped = "2027-01-15T09:30:00+00:00"
    plain = orjson.loads(world.export(format="json", version=1))
    later = orjson.loads(world.export(format="json", version=1, generated_at=stamped))
    assert later["generated_at"] == stamped
    assert plain["generated_at"] == plain["snapshot"]["date"]
    assert {k: v for k, v in later.items() if k != "generated_at"} == {
        k: v for k, v in plain.items() if k != "generated_at"
    }
    word = docx.Document(io.BytesIO(world.export(format="docx", version=1, generated_at=stamped)))
    assert word.core_properties.created is not None
    assert word.core_properties.created.isoformat().startswith("2027-01-15T09:30:00")
    reader = pypdf.PdfReader(
        io.BytesIO(world.export(format="pdf", version=1, generated_at=stamped))
    )
    assert reader.metadata is not None
    assert str(reader.metadata["/CreationDate"]).startswith("D:20270115093000")


# Bad requests --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({"format": "rtf"}, 400, "format is one of md, html, docx, odt, pdf, json"),
        ({}, 400, "format is one of"),
        ({"format": "pdf", "version": 9}, 404, "no approved version v9"),
        ({"format": "pdf", "version": "deux"}, 400, "version is a whole number"),
        ({"format": "pdf", "version": 0}, 400, "versions are numbered from 1"),
        ({"format": "pdf", "at": 999}, 400, "at=999 is beyond the document's"),
        ({"format": "pdf", "at": -1}, 400, "at is a whole number"),
        ({"format": "pdf", "at": 1, "version": 1}, 400, "not both"),
        ({"format": "pdf", "lang": "ee"}, 400, "lang is fr or en"),
        ({"format": "pdf", "tz": "Mars/Olympus"}, 400, "unknown time zone"),
        ({"format": "pdf", "tz": "../../etc/passwd"}, 400, "IANA time zone"),
        ({"format": "pdf", "comments": "some"}, 400, "comments is open or all"),
        ({"format": "pdf", "position": 3}, 400, "unknown parameter 'position'"),
        ({"format": "pdf", "generated_at": "2027-01-15"}, 400, "time zone offset"),
    ],
)
def test_bad_parameters_are_named(
    world: World, params: dict[str, Any], status: int, message: str
) -> None:
    response = world.get(**params)
    assert response.status_code == status, response.text
    assert message in response.json()["error"]["message"]


def test_unknown_document_and_bad_token(world: World) -> None:
    url = f"{world.server.base_url}/api/documents/{'0' * 8}-0000-0000-0000-{'0' * 12}/export"
    headers = {"Authorization": f"Bearer {world.coordinator}"}
    assert httpx.get(url, params={"format": "md"}, headers=headers).status_code == 404
    assert world.get("plb_nope", format="md").status_code == 401


def test_without_the_pdf_fonts_the_error_names_them_in_the_documented_shape(
    world: World, tmp_path: Path
) -> None:
    """Issue 11: no plain-text 500 and no traceback. PALABRE_EXPORT_FONTS points at an empty
    folder (the fonts stay installed): HTTP answers the JSON error, the command line prints
    the message and exits with status 2, and the formats that need no font still work."""
    empty = tmp_path / "no-fonts"
    empty.mkdir()
    server = ServerProcess(world.database_url, env={"PALABRE_EXPORT_FONTS": str(empty)}).start()
    try:
        url = f"{server.base_url}/api/documents/{world.document_id}/export"
        headers = {"Authorization": f"Bearer {world.coordinator}"}
        answer = httpx.get(url, params={"format": "pdf", "version": 1}, headers=headers)
        docx_answer = httpx.get(url, params={"format": "docx", "version": 1}, headers=headers)
    finally:
        server.kill()
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "application/json"
    error = answer.json()["error"]
    assert set(error) == {"code", "message"}
    assert "DejaVuSerif.ttf" in error["message"]
    assert str(empty) in error["message"]
    assert "fonts-dejavu-core fonts-dejavu-extra" in error["message"]
    assert docx_answer.status_code == 200
    command = ["export", world.document_id, "--format", "pdf", "--version", "1"]
    result = subprocess.run(
        [sys.executable, "-m", "palabre.server.cli", *command],
        cwd=REPO,
        env=os.environ
        | {"PALABRE_DATABASE": world.database_url, "PALABRE_EXPORT_FONTS": str(empty)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "fonts-dejavu-core" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


# Command line --------------------------------------------------------------------------------


def test_the_command_line_writes_the_same_files(world: World, tmp_path: Path) -> None:
    target = tmp_path / "v1.docx"
    result = palabre(
        world.database_url,
        *("export", world.document_id, "--format", "docx", "--version", "1", "-o", str(target)),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(target)
    assert target.read_bytes() == world.export(format="docx", version=1)
    folder = tmp_path / "all"
    every = palabre(
        world.database_url,
        *("export", world.document_id, "--format", "pdf", "--all-versions", "-o", str(folder)),
        *("--lang", "en", "--tz", "Africa/Lome"),
    )
    assert every.returncode == 0, every.stderr
    assert every.stdout.strip().splitlines()[-1] == f"2 versions exported to {folder}"
    assert "exporting approved versions" in every.stderr
    assert "100% (2/2)" in every.stderr
    names = sorted(p.name for p in folder.iterdir())
    assert [re.sub(r"\d{4}-\d\d-\d\d", "DATE", n) for n in names] == [
        "referentiel-commun_v1_DATE.pdf",
        "referentiel-commun_v2_DATE.pdf",
    ]
    pdf = (folder / names[1]).read_bytes()
    assert pdf == world.export(format="pdf", version=2, lang="en", tz="Africa/Lome")
    missing = palabre(
        world.database_url, "export", world.document_id, "--format", "md", "--version", "7"
    )
    assert missing.returncode == 2
    assert "no approved version v7" in missing.stderr


def test_the_command_line_writes_markdown_to_standard_output(world: World) -> None:
    command = ["export", world.document_id, "--format", "md", "--at", "2"]
    result = subprocess.run(
        [sys.executable, "-m", "palabre.server.cli", *command],
        cwd=REPO,
        env=os.environ | {"PALABRE_DATABASE": world.database_url},
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "".join(V1_PIECES[:2]).encode("utf-8")
    assert re.fullmatch(rb"referentiel-commun_etat_\d{4}-\d\d-\d\d_\d\dh\d\d\.md\n", result.stderr)


# Both backends -------------------------------------------------------------------------------


async def test_exports_read_the_same_from_either_store(
    server: ServerProcess, seed: Seed, application: PalabreApplication
) -> None:
    """The version projection and the text at a position, as each backend stores them."""
    document = DocumentId(UUID(seed.document_id))
    editor = application.member(application.authenticate(seed.editor).id).id
    updates = typed_updates(V1_PIECES)
    application.append_contributions(
        document, 0, [NewContribution(editor, "s", u, 1) for u in updates]
    )
    async with PalabreClient(server.base_url, seed.coordinator) as http:
        proposal = await http.propose(seed.document_id, "Texte complet")
        await http.close_proposal(seed.document_id, proposal["id"])  # no voter: rejected
        exports = Exports(http)
        current = await exports.export(seed.document_id, "json")
        at = await exports.export(seed.document_id, "md", at=4)
    bundle = orjson.loads(current.content)
    assert bundle["markdown"] == V1
    assert current.sha256 == proposal["sha256"]
    assert at.content.decode("utf-8") == "".join(V1_PIECES[:4])
    assert at.position == 4
    assert at.name.startswith("referentiel-commun_etat_")
