"""The export as a PDF, through ReportLab's Platypus: A4 pages, DejaVu fonts (every accent,
« guillemet », ’ apostrophe and Ewe letter: ɖ ɛ ɔ ŋ ƒ ʋ), one bookmark per heading in an
outline that opens shown, numbered and bulleted lists (•, ◦, ▪ by depth), tables whose columns
are sized from their content (``columns.py``: no word is ever split) and whose header row
repeats on each page, quotes, links, and a footer naming the document, the version (or the
date of the point) and "page / pages".

French typography: ReportLab breaks lines at U+202F, the narrow no-break space French puts
before ; ? ! » and after «; :func:`_keep_narrow_spaces` makes its paragraph module break only
at breakable spaces (tested: no line of the PDF starts with a narrow space's punctuation).

Deterministic: ReportLab's invariant mode, the creation date set to the export's generation
time, and the file identifier derived from the text's SHA-256 and that time. Every font the
file names is embedded (the canvas starts in Serif, not ReportLab's unembedded Helvetica).

Not tagged for accessibility: ReportLab writes no structure tree. The fonts come from
``fonts.py`` (Debian's ``fonts-dejavu-core`` and ``fonts-dejavu-extra``)."""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Callable
from datetime import UTC
from typing import Any, Literal
from xml.sax.saxutils import escape

from palabre.server.export.columns import CellSizes, column_widths
from palabre.server.export.fonts import Fonts, pdf_width
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
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.lib.utils import TimeStamp
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
from reportlab.platypus import paragraph as reportlab_paragraph

LINK_COLOUR = "#1f4e99"
CODE_LINE = 92  # characters per line of a code block before it wraps
MARGIN = 2 * cm
BULLETS = ("•", "◦", "▪")  # by depth, as browsers draw nested lists
CELL = CellSizes(font_size=9, padding=12)  # ReportLab's cell padding: 6 pt each side
ALIGNMENTS: dict[str, Literal[0, 1, 2]] = {  # ReportLab compares them as numbers
    "left": TA_LEFT,
    "center": TA_CENTER,
    "right": TA_RIGHT,
    "": TA_LEFT,
}
FOOTER_FONT = ("Sans", 7.5)
FOOTER_COLOUR = "#555555"


def render_pdf(document: ExportDocument, fonts: Fonts | None = None) -> bytes:
    (fonts or Fonts()).register()
    _keep_narrow_spaces()
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
        lang=meta.language,
        invariant=1,
        initialFontName="Serif",
    )
    story = _Story(styles, template.width).build(document)
    footer = _footer(meta)
    template.build(story, onFirstPage=footer, onLaterPages=footer, canvasmaker=_canvas(meta))
    return out.getvalue()


# ReportLab and French typography -------------------------------------------------------------

_patch_lock = threading.Lock()


def _keep_narrow_spaces() -> None:
    """ReportLab's paragraph module splits words at every Unicode space, U+202F included (a
    *no-break* space): a line could then start with ";" or "»". Its ``split`` is replaced, once,
    by the same function that does not split there; nothing else changes (with a U+00A0 in the
    text, ReportLab already splits with a pattern and keeps empty words; without, like
    ``str.split``)."""
    with _patch_lock:
        module: Any = reportlab_paragraph
        if getattr(module.split, "keeps_narrow_spaces", False):
            return
        breakable = module._wsc.replace("\u202f", "")
        pattern = re.compile(f"[{re.escape(breakable)}]+")
        original: Callable[..., list[str]] = module.split

        def split(text: Any, delim: Any = None) -> list[str]:
            if delim is not None or not isinstance(text, str):
                return original(text, delim)
            words = pattern.split(text)
            return words if "\xa0" in text else [word for word in words if word]

        split.keeps_narrow_spaces = True  # type: ignore[attr-defined]
        module._wsc = breakable
        module._wsc_re_split = pattern.split
        module._wsc_end_search = re.compile(f"[{re.escape(breakable)}]+$").search
        module.split = split


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
    """The footer: what the file is on the left; "page / pages" on the right, a form per page
    that the canvas draws once the number of pages is known."""

    def draw(canvas: Canvas, template: Any) -> None:
        canvas.saveState()
        canvas.setFont(*FOOTER_FONT)
        canvas.setFillColor(colors.HexColor(FOOTER_COLOUR))
        canvas.drawString(MARGIN, 1.2 * cm, meta.footer)
        canvas.translate(A4[0] - MARGIN, 1.2 * cm)
        canvas.doForm(_page_form(canvas.getPageNumber()))
        canvas.restoreState()

    return draw


def _page_form(page: int) -> str:
    return f"page{page}"


def _canvas(meta: Metadata) -> type[Canvas]:
    """A canvas whose creation date is the export's generation time, whose file identifier
    derives from the text's hash and that time (not from the clock), that opens with the
    outline shown, and that draws each page's "page / pages" once every page is known."""
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
            self.showOutline()

        def save(self) -> None:
            pages = self.getPageNumber() - 1  # save() follows the last showPage()
            for page in range(1, pages + 1):
                # Drawn leftwards from the margin: the box reaches 100 pt to the left.
                self.beginForm(_page_form(page), lowerx=-100, lowery=-4, upperx=1, uppery=10)
                self.setFont(*FOOTER_FONT)
                self.setFillColor(colors.HexColor(FOOTER_COLOUR))
                self.drawRightString(0, 0, f"{page} / {pages}")
                self.endForm()
            super().save()

    return _Canvas


# Styles --------------------------------------------------------------------------------------


class _Styles:
    def __init__(self) -> None:
        self.body = ParagraphStyle(
            "Body", fontName="Serif", fontSize=10.5, leading=14.5, spaceAfter=6
        )
        self.cells = {
            (header, align): ParagraphStyle(
                f"Cell{'Head' if header else ''}{align.title()}",
                parent=self.body,
                fontName="Serif-Bold" if header else "Serif",
                fontSize=CELL.font_size,
                leading=11.5,
                spaceAfter=0,
                alignment=ALIGNMENTS[align],
            )
            for header in (False, True)
            for align in ALIGNMENTS
        }
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

    def _blocks(
        self, blocks: tuple[Block, ...], style: ParagraphStyle, depth: int = 0
    ) -> list[Flowable]:
        return [f for block in blocks for f in self._block(block, style, depth)]

    def _block(self, block: Block, style: ParagraphStyle, depth: int) -> list[Flowable]:
        if isinstance(block, Heading):
            return [self._heading(block)]
        if isinstance(block, Paragraph):
            return [PdfParagraph(_markup(block.content), style)]
        if isinstance(block, ListBlock):
            return [self._list(block, style, depth)]
        if isinstance(block, Quote):
            inner = self._blocks(block.blocks, self.styles.quote, depth)
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

    def _list(self, block: ListBlock, style: ParagraphStyle, depth: int) -> Flowable:
        """Numbers where the Markdown numbers, bullets where it does not, whatever the
        nesting; the bullet's shape by depth among the bulleted lists."""
        items: list[Any] = [ListItem(self._blocks(item, style, depth + 1)) for item in block.items]
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
            start=BULLETS[depth % len(BULLETS)],
            bulletFontName="Serif",
            bulletFontSize=style.fontSize,
            leftIndent=20,  # as the numbered lists: each depth starts at the same place
        )

    def _table(self, block: Table) -> Flowable:
        columns = len(block.header)
        align = [block.align[i] if i < len(block.align) else "" for i in range(columns)]

        def row(cells: tuple[Inline, ...], header: bool) -> list[Flowable]:
            return [
                PdfParagraph(_markup(content), self.styles.cells[header, align[index]])
                for index, content in enumerate(cells[:columns])
            ]

        data = [row(block.header, True), *(row(r, False) for r in block.rows)]
        widths = column_widths(block, self.width, CELL, pdf_width("Serif"))
        table = PdfTable(data, colWidths=list(widths), repeatRows=1, hAlign="LEFT")
        table.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), "Serif"),  # not ReportLab's Helvetica
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#999999")),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("TOPPADDING", (0, 0), (-1, -1), 3),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                ]
            )
        )
        return table


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
