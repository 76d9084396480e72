"""Exports read as a committee secretary reads them: opened in LibreOffice and converted to PDF,
read by pandoc, printed by Chromium, and looked at page by page.

One référentiel of about thirteen pages (``tests/support/referentiel.py``) is rendered once in
memory; one ``soffice`` run converts its DOCX and ODT to PDF (a private profile, both files at
once); poppler reads every PDF's words and lines (``tests/support/pdf_text.py``). The first two
pages of each format are written as PNG files to ``build/export-pages/`` for a person to look
at.

The tools are Debian's ``libreoffice-writer-nogui``, ``pandoc`` and ``poppler-utils``, which
``tests/run-all`` installs. Without them the tests are skipped on a developer's machine, and
fail where ``CI`` or ``PALABRE_REQUIRE_ALL`` is set (``tests/run-all`` sets it).

Why one file of over 400 lines: the référentiel is rendered, converted by one ``soffice`` run
and read once for the whole module; split, LibreOffice would run once per file."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pypdf
import pytest
from palabre.server.export.compose import compose
from palabre.server.export.formats import render
from palabre.server.export.model import (
    Block,
    CodeBlock,
    ExportDocument,
    ExportOptions,
    Heading,
    ListBlock,
    Paragraph,
    Quote,
    Table,
    plain,
)
from pypdf.generic import DictionaryObject, StreamObject

from tests.support import referentiel
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.pdf_text import Line, pages, tokens, vocabulary
from tests.support.server import REPO

pytestmark = pytest.mark.libreoffice

SCREENSHOTS = REPO / "build" / "export-pages"
TOOLS = ("soffice", "pandoc", "pdftotext", "pdftoppm")
READERS = ("pdf", "docx", "odt")  # Palabre's PDF, and LibreOffice's PDFs of the DOCX and ODT
BULLETS = ("•", "◦", "▪")
MARKER = re.compile(r"\d+\.|[•◦▪]")
FOOTER = re.compile(r"(\d+) / (\d+)$")
A4 = (595.28, 841.89)  # points
# The conversion the README gives for an archival copy: tagged for accessibility, PDF/A-2b.
LIBREOFFICE_PDF = (
    'pdf:writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"},'
    '"UseTaggedPDF":{"type":"boolean","value":"true"}}'
)


def _require(*tools: str) -> None:
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if not missing:
        return
    message = f"{', '.join(missing)} not installed (tests/run-all installs them)"
    if os.environ.get("CI") or os.environ.get("PALABRE_REQUIRE_ALL"):
        pytest.fail(message)
    pytest.skip(message)


@dataclass(frozen=True)
class Rendered:
    folder: Path
    document: ExportDocument  # what every format was made from
    files: dict[str, Path]  # format -> the export
    pdfs: dict[str, Path]  # reader -> a PDF of it: Palabre's, or LibreOffice's


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    _require(*TOOLS)
    folder = tmp_path_factory.mktemp("pages")
    snapshot = referentiel.snapshot()
    files: dict[str, Path] = {}
    for fmt in ("md", "html", "docx", "odt", "pdf"):
        files[fmt] = folder / f"from-{fmt}.{fmt}"  # distinct names: LibreOffice keeps the stem
        files[fmt].write_bytes(render(snapshot, ExportOptions(format=fmt)))
    converted = folder / "libreoffice"
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            LIBREOFFICE_PDF,
            "--outdir",
            str(converted),
            str(files["docx"]),
            str(files["odt"]),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdfs = {
        "pdf": files["pdf"],
        "docx": converted / "from-docx.pdf",
        "odt": converted / "from-odt.pdf",
    }
    document = compose(snapshot, ExportOptions(format="pdf"))
    return Rendered(folder, document, files, pdfs)


@pytest.fixture(scope="module")
def lines(rendered: Rendered) -> dict[str, list[list[Line]]]:
    return {reader: pages(pdf) for reader, pdf in rendered.pdfs.items()}


# Pages, numbers, language, outline -----------------------------------------------------------


@pytest.mark.parametrize("reader", READERS)
def test_every_page_is_a4_and_numbered_page_of_pages(
    rendered: Rendered, lines: dict[str, list[list[Line]]], reader: str
) -> None:
    document = pypdf.PdfReader(rendered.pdfs[reader])
    total = len(document.pages)
    assert 10 <= total <= 16  # about thirteen pages
    for page in document.pages:
        size = (float(page.mediabox.width), float(page.mediabox.height))
        assert size == pytest.approx(A4, abs=1)
    for number, page_lines in enumerate(lines[reader], start=1):
        footers = [FOOTER.search(line.text) for line in page_lines]
        assert (str(number), str(total)) in [m.groups() for m in footers if m], number


@pytest.mark.parametrize("reader", READERS)
def test_the_text_is_tagged_french_and_the_outline_lists_the_headings(
    rendered: Rendered, reader: str
) -> None:
    document = pypdf.PdfReader(rendered.pdfs[reader])
    assert str(document.root_object["/Lang"]).startswith("fr")
    headings = [plain(b.content) for b in _walk(rendered.document.body) if isinstance(b, Heading)]
    assert _flattened(document.outline) == headings


@pytest.mark.parametrize("reader", ["docx", "odt"])
def test_libreoffice_makes_a_tagged_pdf_a_2b_of_them(rendered: Rendered, reader: str) -> None:
    """The archival copy the README describes: LibreOffice tags the structure and declares
    PDF/A-2b (which Palabre's own ReportLab PDF cannot)."""
    catalog = pypdf.PdfReader(rendered.pdfs[reader]).root_object
    marked = catalog["/MarkInfo"].get_object()
    assert isinstance(marked, DictionaryObject)
    assert marked["/Marked"]
    assert "/StructTreeRoot" in catalog
    stream = catalog["/Metadata"].get_object()
    assert isinstance(stream, StreamObject)
    metadata = stream.get_data().decode("utf-8")
    assert re.search(r"pdfaid:part>\s*2\s*<", metadata)
    assert re.search(r"pdfaid:conformance>\s*B\s*<", metadata)


def _flattened(outline: Any) -> list[str]:
    titles: list[str] = []
    for item in outline:
        titles += _flattened(item) if isinstance(item, list) else [str(item.title)]
    return titles


# Lists ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    depth: int
    number: int | None  # None: a bullet
    text: str


def _items(blocks: tuple[Block, ...], depth: int = 0) -> Iterator[Item]:
    for block in blocks:
        if isinstance(block, ListBlock):
            for index, item in enumerate(block.items):
                first = item[0] if item and isinstance(item[0], Paragraph) else None
                if first is not None:
                    number = block.start + index if block.ordered else None
                    yield Item(depth, number, plain(first.content))
                yield from _items(item, depth + 1)
        elif isinstance(block, Quote):
            yield from _items(block.blocks, depth)


@pytest.mark.parametrize("reader", READERS)
def test_list_markers_are_numbers_or_bullets_as_in_the_markdown_at_every_depth(
    rendered: Rendered, lines: dict[str, list[list[Line]]], reader: str
) -> None:
    """Each item's marker, in order: its number where the Markdown's list is ordered, a bullet
    where it is not, however the lists nest; and each depth indented further. The marker is
    the word just left of the item's first line (poppler may put it on a line of its own)."""
    expected = list(_items(rendered.document.body))
    assert {item.depth for item in expected} == {0, 1, 2}
    found = [(index, line) for index, page in enumerate(lines[reader]) for line in page]
    cursor = 0
    indents: dict[int, float] = {}
    for item in expected:
        start = tokens(item.text)[:3]
        while True:
            page, line = found[cursor]  # IndexError: an item is missing
            words = line.words[1:] if MARKER.fullmatch(line.words[0].text) else line.words
            if words and tokens(" ".join(w.text for w in words))[:3] == start:
                break
            cursor += 1
        first = words[0]
        beside = [
            word
            for where, other in found
            if where == page
            for word in other.words
            if word.x < first.x - 1 and first.y <= word.middle <= first.bottom
        ]
        marker = max(beside, key=lambda word: word.x)
        if item.number is None:  # bullets change shape with depth, as browsers draw them
            assert marker.text == BULLETS[item.depth % len(BULLETS)], (item, line.text)
        else:
            assert marker.text == f"{item.number}.", (item, line.text)
        indents.setdefault(item.depth, marker.x)
        assert marker.x == pytest.approx(indents[item.depth], abs=1.5), item
        cursor += 1
    assert indents[0] < indents[1] < indents[2]


# The cover and the tables ------------------------------------------------------------------


@pytest.mark.parametrize("reader", READERS)
def test_the_cover_holds_on_its_page_and_the_text_starts_the_next(
    lines: dict[str, list[list[Line]]], reader: str
) -> None:
    """Sixteen organisations' votes and an objection's reason fit on the cover; the text's
    first heading opens page 2 (no page nearly empty between them)."""
    first, second = lines[reader][0], lines[reader][1]
    cover = " ".join(line.text for line in first)
    assert "Tête de la chaîne d’audit" in cover
    assert "Réseau des femmes entrepreneures" in cover  # the vote table's last row
    assert "pilotage à Lomé." in cover  # the end of the objection's reason
    assert second[0].text == referentiel.TITLE


@pytest.mark.parametrize("reader", READERS)
def test_table_headers_align_with_their_columns(
    lines: dict[str, list[list[Line]]], reader: str
) -> None:
    """The organisations' table centres its country column and right-aligns its members: the
    header cell follows, in every format."""
    page = next(
        words
        for words in ([w for line in page for w in line.words] for page in lines[reader][1:])
        if any(w.text == "Membres" for w in words)
    )
    header = next(w for w in page if w.text == "Membres")  # the first table's header row

    def below(text: str) -> Any:  # the word in the first row under the header
        return min((w for w in page if w.text == text and w.y > header.y), key=lambda w: w.y)

    country = next(w for w in page if w.text == "Pays" and abs(w.y - header.y) < 1)
    assert country.centre == pytest.approx(below("France").centre, abs=2)
    assert header.right == pytest.approx(below("7").right, abs=2)


# Words and French spaces ---------------------------------------------------------------------


def _walk(blocks: tuple[Block, ...]) -> Iterator[Block]:
    for block in blocks:
        yield block
        if isinstance(block, ListBlock):
            for item in block.items:
                yield from _walk(item)
        elif isinstance(block, Quote):
            yield from _walk(block.blocks)


def _texts(document: ExportDocument) -> list[str]:
    """Every text the export shows, from the document it was made from."""
    texts = [document.cover.title, document.cover.subtitle, document.metadata.footer]
    for block in _walk((*document.cover.blocks, *document.body, *document.appendix)):
        if isinstance(block, Heading | Paragraph):
            texts.append(plain(block.content))
        elif isinstance(block, Table):
            texts += [plain(cell) for row in (block.header, *block.rows) for cell in row]
        elif isinstance(block, CodeBlock):
            texts.append(block.text)
    return texts


@pytest.mark.parametrize("reader", READERS)
def test_no_word_is_split_across_lines_or_cells(
    rendered: Rendered, lines: dict[str, list[list[Line]]], reader: str
) -> None:
    """Every word on every page is a word of the export (or a page number): a word cut in a
    narrow column ("Fran|ce", "Atakpam|é") leaves pieces that are not."""
    assert not _pieces(rendered.document, lines[reader])


def _pieces(document: ExportDocument, read: list[list[Line]]) -> set[str]:
    """The words on the pages that are not words of the document: pieces of split words."""
    known = vocabulary(_texts(document)) | set(BULLETS)
    return {
        word
        for page in read
        for line in page
        for word in tokens(line.text)
        if word not in known and not word.isdigit()
    }


@pytest.mark.parametrize("reader", READERS)
def test_a_narrow_no_break_space_never_starts_or_ends_a_line(
    rendered: Rendered, lines: dict[str, list[list[Line]]], reader: str
) -> None:
    """French puts a narrow no-break space (U+202F) before ; : ? ! » and after «: no line may
    start with the one or end with the other."""
    assert rendered.files["md"].read_text(encoding="utf-8").count("\u202f;") >= 20
    assert not _broken_at_narrow_spaces(lines[reader])


def _broken_at_narrow_spaces(read: list[list[Line]]) -> list[str]:
    return [
        line.text
        for page in read
        for line in page
        if line.text.lstrip("\u202f ")[:1] in (";", ":", "?", "!", "»")
        or line.text.rstrip("\u202f ").endswith("«")
    ]


# pandoc, a second reader ---------------------------------------------------------------------


def _pandoc_text(inlines: list[Any]) -> str:
    parts: list[str] = []
    for inline in inlines:
        kind, content = inline["t"], inline.get("c")
        if kind == "Str":
            parts.append(content)
        elif kind in ("Space", "SoftBreak", "LineBreak"):
            parts.append(" ")
        elif kind in ("Emph", "Strong", "Strikeout", "Underline", "SmallCaps"):
            parts.append(_pandoc_text(content))
        elif kind in ("Link", "Span") or kind == "Quoted":
            parts.append(_pandoc_text(content[1]))
        elif kind == "Code":
            parts.append(content[1])
    return "".join(parts)


def _pandoc_outline(blocks: list[Any]) -> list[Any]:
    """Headings as (level, text); lists as ("ol"|"ul", [[first line, nested lists...], ...])."""
    found: list[Any] = []
    for block in blocks:
        kind, content = block["t"], block.get("c")
        if kind == "Header":
            found.append(("h", content[0], _normal(_pandoc_text(content[2]))))
        elif kind in ("OrderedList", "BulletList"):
            items = content[1] if kind == "OrderedList" else content
            found.append(
                ("ol" if kind == "OrderedList" else "ul", [_pandoc_item(item) for item in items])
            )
        elif kind in ("BlockQuote", "Div"):
            found += _pandoc_outline(content if kind == "BlockQuote" else content[1])
    return found


def _pandoc_item(blocks: list[Any]) -> list[Any]:
    first = blocks[0] if blocks and blocks[0]["t"] in ("Para", "Plain") else None
    text = _normal(_pandoc_text(first["c"])) if first is not None else ""
    return [text, *_pandoc_outline(blocks)]


def _source_outline(blocks: tuple[Block, ...]) -> list[Any]:
    found: list[Any] = []
    for block in blocks:
        if isinstance(block, Heading):
            found.append(("h", block.level, _normal(plain(block.content))))
        elif isinstance(block, ListBlock):
            items = [
                [
                    _normal(plain(item[0].content))
                    if item and isinstance(item[0], Paragraph)
                    else "",
                    *_source_outline(item),
                ]
                for item in block.items
            ]
            found.append(("ol" if block.ordered else "ul", items))
        elif isinstance(block, Quote):
            found += _source_outline(block.blocks)
    return found


def _normal(text: str) -> str:
    return " ".join(re.sub(r"[\u00a0\u202f]", " ", text).replace("’", "'").split())


@pytest.mark.parametrize("fmt", ["docx", "odt"])
def test_pandoc_reads_back_the_headings_and_the_list_nesting(rendered: Rendered, fmt: str) -> None:
    result = subprocess.run(
        ["pandoc", "-f", fmt, "-t", "json", str(rendered.files[fmt])],
        check=True,
        capture_output=True,
        timeout=60,
    )
    read = _pandoc_outline(orjson.loads(result.stdout)["blocks"])
    expected = _source_outline(rendered.document.body)
    assert [entry[0] for entry in expected].count("ol") >= 6
    assert read == expected


# For a person to look at -------------------------------------------------------------------


@pytest.mark.browser
def test_the_first_two_pages_of_each_format_are_written_for_a_person_to_look_at(
    rendered: Rendered,
) -> None:
    """PNG files in build/export-pages/: Palabre's PDF, LibreOffice's DOCX and ODT, and the
    HTML as Chromium prints it (whose pages are checked too: numbered by the CSS, no word
    split, no line broken at a narrow no-break space)."""
    if not Path(CHROMIUM).exists():
        _require(CHROMIUM)
    printed = rendered.folder / "from-html.pdf"
    subprocess.run(
        [
            CHROMIUM,
            *CHROMIUM_ARGS,
            f"--user-data-dir={rendered.folder / 'chromium'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={printed}",
            rendered.files["html"].as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    html_pages = pages(printed)
    for number, page_lines in enumerate(html_pages, start=1):
        footers = [m.groups() for line in page_lines if (m := FOOTER.search(line.text))]
        assert (str(number), str(len(html_pages))) in footers, number
    assert not _pieces(rendered.document, html_pages)
    assert not _broken_at_narrow_spaces(html_pages)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, pdf in {**rendered.pdfs, "html": printed}.items():
        stem = SCREENSHOTS / ("palabre-pdf" if name == "pdf" else name)
        for old in SCREENSHOTS.glob(f"{stem.name}-*.png"):
            old.unlink()
        subprocess.run(
            ["pdftoppm", "-r", "60", "-f", "1", "-l", "2", "-png", str(pdf), str(stem)],
            check=True,
            timeout=60,
        )
    for name in ("palabre-pdf", "docx", "odt", "html"):
        written = sorted(SCREENSHOTS.glob(f"{name}-*.png"))
        assert len(written) == 2, written
        assert all(p.stat().st_size > 10_000 for p in written)  # a page with text, not blank
