"""The export as a PDF, through ReportLab's Platypus: A4 pages, DejaVu fonts (every accent,
« guillemet », ’ apostrophe and Ewe letter: ɖ ɛ ɔ ŋ ƒ ʋ), one bookmark per heading in the
outline, numbered and bulleted lists, tables whose header row repeats on each page, quotes,
links, and a footer naming the document, the version and the page.

Deterministic: ReportLab's invariant mode, the creation date set to the export's generation
time, and the file identifier derived from the text's SHA-256 and that time.

The fonts come from Debian's ``fonts-dejavu-core`` and ``fonts-dejavu-extra`` (the italics);
``.ci/run`` installs them."""

from __future__ import annotations

import io
import threading
from datetime import UTC
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from palabre.server.export.model import (
    Block,
    CodeBlock,
    ExportDocument,
    Heading,
    Inline,
    ListBlock,
    Markup,
    Metadata,
    Paragraph,
    Quote,
    Rule,
    Table,
    plain,
)
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.lib.utils import TimeStamp
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    HRFlowable,
    Indenter,
    ListFlowable,
    ListItem,
    PageBreak,
    Preformatted,
    SimpleDocTemplate,
    Spacer,
    TableStyle,
)
from reportlab.platypus import Paragraph as PdfParagraph
from reportlab.platypus import Table as PdfTable

FONT_DIRECTORIES = (Path("/usr/share/fonts/truetype/dejavu"),)
FAMILIES = {
    "Serif": ("DejaVuSerif", "-Bold", "-Italic", "-BoldItalic"),
    "Sans": ("DejaVuSans", "-Bold", "-Oblique", "-BoldOblique"),
    "Mono": ("DejaVuSansMono", "-Bold", "-Oblique", "-BoldOblique"),
}
LINK_COLOUR = "#1f4e99"
CODE_LINE = 92  # characters per line of a code block before it wraps
MARGIN = 2 * cm

_fonts_lock = threading.Lock()
_fonts_ready = False


class MissingFonts(RuntimeError):
    """The DejaVu fonts are not installed."""


def render_pdf(document: ExportDocument) -> bytes:
    _register_fonts()
    styles = _Styles()
    out = io.BytesIO()
    meta = document.metadata
    template = _Template(
        out,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=meta.title,
        subject=meta.subject,
        author="Palabre",
        creator="Palabre",
        lang=meta.lang,
        invariant=1,
    )
    story = _Story(styles, template.width).build(document)
    footer = _footer(meta)
    template.build(story, onFirstPage=footer, onLaterPages=footer, canvasmaker=_canvas(meta))
    return out.getvalue()


# Fonts ---------------------------------------------------------------------------------------


def _register_fonts() -> None:
    global _fonts_ready
    with _fonts_lock:
        if _fonts_ready:
            return
        for family, (stem, bold, italic, bold_italic) in FAMILIES.items():
            faces = {"": stem, "-Bold": stem + bold, "-Italic": stem + italic}
            faces["-BoldItalic"] = stem + bold_italic
            for suffix, file_stem in faces.items():
                pdfmetrics.registerFont(TTFont(family + suffix, str(_font_file(file_stem))))
            pdfmetrics.registerFontFamily(
                family,
                normal=family,
                bold=family + "-Bold",
                italic=family + "-Italic",
                boldItalic=family + "-BoldItalic",
            )
        _fonts_ready = True


def _font_file(stem: str) -> Path:
    for directory in FONT_DIRECTORIES:
        candidate = directory / f"{stem}.ttf"
        if candidate.is_file():
            return candidate
    raise MissingFonts(
        f"{stem}.ttf not found in {', '.join(map(str, FONT_DIRECTORIES))}: PDF exports need "
        "the DejaVu fonts (Debian: apt-get install fonts-dejavu-core fonts-dejavu-extra)"
    )


# Page furniture and determinism --------------------------------------------------------------


class _Template(SimpleDocTemplate):
    """Each heading becomes a bookmark in the PDF's outline, after it is placed."""

    def afterFlowable(self, flowable: Flowable) -> None:  # noqa: N802 (ReportLab's hook)
        if isinstance(flowable, _Heading):
            self.canv.bookmarkPage(flowable.key)
            self.canv.addOutlineEntry(flowable.title, flowable.key, flowable.outline_level)


class _Heading(PdfParagraph):
    def __init__(self, text: str, style: ParagraphStyle, title: str, level: int, key: str):
        super().__init__(text, style)
        self.title = title
        self.outline_level = level
        self.key = key


def _footer(meta: Metadata) -> Any:
    def draw(canvas: Canvas, template: Any) -> None:
        canvas.saveState()
        canvas.setFont("Sans", 7.5)
        canvas.setFillColor(colors.HexColor("#555555"))
        canvas.drawString(MARGIN, 1.2 * cm, meta.footer)
        canvas.drawRightString(A4[0] - MARGIN, 1.2 * cm, str(canvas.getPageNumber()))
        canvas.restoreState()

    return draw


def _canvas(meta: Metadata) -> type[Canvas]:
    """A canvas whose creation date is the export's generation time, and whose file
    identifier derives from the text's hash and that time (not from the clock)."""
    when = meta.generated_at.astimezone(UTC)

    class _Canvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            stamp = TimeStamp(invariant=1)
            stamp.t = when.timestamp()
            stamp.lt = when.timetuple()
            stamp.YMDhms = tuple(when.timetuple())[:6]
            document: Any = vars(self)["_doc"]
            document._timeStamp = stamp
            document.updateSignature(f"{meta.identifier} {when.isoformat()}")

    return _Canvas


# Styles --------------------------------------------------------------------------------------


class _Styles:
    def __init__(self) -> None:
        self.body = ParagraphStyle(
            "Body", fontName="Serif", fontSize=10.5, leading=14.5, spaceAfter=6
        )
        self.cell = ParagraphStyle("Cell", parent=self.body, fontSize=9, leading=11.5, spaceAfter=0)
        self.cell_bold = ParagraphStyle("CellBold", parent=self.cell, fontName="Serif-Bold")
        self.cell_right = ParagraphStyle("CellRight", parent=self.cell, alignment=TA_RIGHT)
        self.cell_centre = ParagraphStyle("CellCentre", parent=self.cell, alignment=TA_CENTER)
        self.quote = ParagraphStyle(
            "Quote", parent=self.body, textColor=colors.HexColor("#333333"), leftIndent=14
        )
        self.code = ParagraphStyle(
            "Code",
            fontName="Mono",
            fontSize=8.5,
            leading=11,
            backColor=colors.HexColor("#f4f4f4"),
            borderPadding=4,
            spaceBefore=4,
            spaceAfter=10,
        )
        self.title = ParagraphStyle(
            "Title", fontName="Sans-Bold", fontSize=24, leading=30, spaceAfter=10
        )
        self.subtitle = ParagraphStyle(
            "Subtitle", fontName="Sans", fontSize=13, leading=17, spaceAfter=14
        )
        sizes = {1: 18, 2: 15, 3: 13, 4: 11.5, 5: 10.5, 6: 10.5}
        self.headings = {
            level: ParagraphStyle(
                f"Heading{level}",
                fontName="Sans-Bold",
                fontSize=size,
                leading=size * 1.25,
                spaceBefore=size * 0.8,
                spaceAfter=size * 0.4,
                keepWithNext=1,
            )
            for level, size in sizes.items()
        }


# The story -----------------------------------------------------------------------------------


class _Story:
    def __init__(self, styles: _Styles, width: float) -> None:
        self.styles = styles
        self.width = width
        self._outline = -1  # the last outline level: a bookmark may go at most one deeper
        self._headings = 0

    def build(self, document: ExportDocument) -> list[Flowable]:
        cover = document.cover
        story: list[Flowable] = [
            PdfParagraph(escape(cover.title), self.styles.title),
            PdfParagraph(escape(cover.subtitle), self.styles.subtitle),
            HRFlowable(width="100%", thickness=0.8, color=colors.HexColor("#444444")),
            Spacer(1, 8),
        ]
        story += self._blocks(document.cover.blocks, self.styles.body)
        story.append(PageBreak())
        story += self._blocks(document.body, self.styles.body)
        if document.appendix:
            story.append(PageBreak())
            story += self._blocks(document.appendix, self.styles.body)
        return story

    def _blocks(self, blocks: tuple[Block, ...], style: ParagraphStyle) -> list[Flowable]:
        return [f for block in blocks for f in self._block(block, style)]

    def _block(self, block: Block, style: ParagraphStyle) -> list[Flowable]:
        if isinstance(block, Heading):
            return [self._heading(block)]
        if isinstance(block, Paragraph):
            return [PdfParagraph(_markup(block.content), style)]
        if isinstance(block, ListBlock):
            return [self._list(block, style)]
        if isinstance(block, Quote):
            inner = self._blocks(block.blocks, self.styles.quote)
            return [Spacer(1, 4), Indenter(left=12), *inner, Indenter(left=-12)]
        if isinstance(block, Table):
            return [self._table(block), Spacer(1, 8)]
        if isinstance(block, CodeBlock):
            return [Preformatted(block.text, self.styles.code, maxLineLength=CODE_LINE)]
        assert isinstance(block, Rule)
        return [HRFlowable(width="40%", thickness=0.5, spaceBefore=6, spaceAfter=10)]

    def _heading(self, block: Heading) -> Flowable:
        self._headings += 1
        level = min(block.level - 1, self._outline + 1)
        self._outline = level
        title = plain(block.content)
        style = self.styles.headings[block.level]
        return _Heading(_markup(block.content), style, title, level, f"h{self._headings}")

    def _list(self, block: ListBlock, style: ParagraphStyle) -> Flowable:
        items: list[Any] = [ListItem(self._blocks(item, style)) for item in block.items]
        if block.ordered:
            return ListFlowable(
                items,
                bulletType="1",
                bulletFormat="%s.",
                start=block.start,
                bulletFontName="Serif",
                bulletFontSize=style.fontSize,
                leftIndent=20,
            )
        return ListFlowable(
            items,
            bulletType="bullet",
            start="•",
            bulletFontName="Serif",
            bulletFontSize=style.fontSize,
            leftIndent=16,
        )

    def _table(self, block: Table) -> Flowable:
        columns = len(block.header)
        cell_styles = {"right": self.styles.cell_right, "center": self.styles.cell_centre}

        def row(cells: tuple[Inline, ...], header: bool) -> list[Flowable]:
            out: list[Flowable] = []
            for index, content in enumerate(cells[:columns]):
                align = block.align[index] if index < len(block.align) else ""
                style = (
                    self.styles.cell_bold if header else cell_styles.get(align, self.styles.cell)
                )
                out.append(PdfParagraph(_markup(content), style))
            return out

        data = [row(block.header, True), *(row(r, False) for r in block.rows)]
        table = PdfTable(data, colWidths=self._widths(block), repeatRows=1, hAlign="LEFT")
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#999999")),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("TOPPADDING", (0, 0), (-1, -1), 3),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                ]
            )
        )
        return table

    def _widths(self, block: Table) -> list[float]:
        """Columns share the width by the length of their longest cell (within bounds)."""
        columns = len(block.header)
        weights = [
            min(max(len(plain(r[i])) if i < len(r) else 0 for r in (block.header, *block.rows)), 60)
            + 6
            for i in range(columns)
        ]
        total = sum(weights)
        return [self.width * w / total for w in weights]


def _link(target: str, text: str) -> str:
    href = escape(target, {'"': "&quot;"})
    return f'<a href="{href}" color="{LINK_COLOUR}"><u>{text}</u></a>'


# ReportLab's paragraph markup, every character of the text escaped.
MARKUP = Markup(
    line_break="<br/>",
    escape=escape,
    code=('<font face="Mono">', "</font>"),
    strike=("<strike>", "</strike>"),
    italic=("<i>", "</i>"),
    bold=("<b>", "</b>"),
    link=_link,
)
_markup = MARKUP.inline
