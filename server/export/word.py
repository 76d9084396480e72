"""The export as a Word document (.docx), through python-docx, on Palabre's own template
(``word_template.py``: A4, French, fonts found everywhere, a footer with the page numbers).

Headings in Word's "heading N" styles (with their outline levels); lists as real Word
numbering, each list its own instance and each item at its depth (``w:ilvl``), so the numbers
restart per list and the nesting is Word's own; tables whose columns are sized from their
content (``columns.py``: no word is ever split), laid out fixed, whose rows never split across
pages and whose header row repeats, cells aligned as their column (header included); block
quotes in the "Quote" style (indented, with a rule); hyperlinks. The text is tagged French; an
English cover is tagged English, run by run.

Deterministic: core properties carry the export's generation time, and the zip is rewritten
with fixed entry times (``archive.py``)."""

from __future__ import annotations

import io

import docx
from docx.document import Document as WordDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Twips
from docx.text.paragraph import Paragraph as WordParagraph
from docx.text.run import Run
from palabre.server.export.archive import normalised_zip
from palabre.server.export.columns import CellSizes, column_widths
from palabre.server.export.fonts import office_width
from palabre.server.export.model import (
    Block,
    CodeBlock,
    ExportDocument,
    Heading,
    Inline,
    ListBlock,
    Metadata,
    Paragraph,
    Quote,
    Rule,
    Span,
    Table,
)
from palabre.server.export.word_template import (
    BULLETED,
    LEVELS,
    LIST_STEP,
    NUMBERED,
    TEXT_WIDTH,
    template,
)

ALIGN = {
    "left": WD_ALIGN_PARAGRAPH.LEFT,
    "center": WD_ALIGN_PARAGRAPH.CENTER,
    "right": WD_ALIGN_PARAGRAPH.RIGHT,
}
HEADER_FILL = "EEEEEE"
# Cells: 10 pt text (the "Table Text" style), 85 twips of margin each side, the borders.
CELL = CellSizes(font_size=10, padding=2 * 85 / 20 + 1)


def render_docx(document: ExportDocument) -> bytes:
    writer = _Writer(document.metadata)
    writer.write(document)
    out = io.BytesIO()
    writer.doc.save(out)
    return normalised_zip(out.getvalue(), document.metadata.generated_at)


class _Writer:
    def __init__(self, meta: Metadata) -> None:
        self.doc: WordDocument = docx.Document(io.BytesIO(template()))
        self._style_ids: dict[str, str] = {}
        self._foreign: str | None = None  # the cover's language, when not the text's
        self._break_before = False  # the next paragraph starts a page
        self._after_table = False  # the next paragraph keeps a gap from the table above
        self._properties(meta)
        self._footer(meta.footer)

    def write(self, document: ExportDocument) -> None:
        meta = document.metadata
        cover = document.cover
        if meta.cover_language != meta.language:
            self._foreign = meta.cover_language
        self._inline(self._paragraph("Title"), (Span(cover.title),))
        self._inline(self._paragraph("Subtitle"), (Span(cover.subtitle),))
        for block in cover.blocks:
            self._block(block, 0)
        self._foreign = None
        self._break_before = True
        for block in document.body:
            self._block(block, 0)
        self._break_before = bool(document.appendix)
        for block in document.appendix:
            self._block(block, 0)

    def _properties(self, meta: Metadata) -> None:
        core = self.doc.core_properties
        core.title = meta.title
        core.subject = meta.subject
        core.author = "Palabre"
        core.last_modified_by = "Palabre"
        core.identifier = meta.identifier
        core.language = meta.language
        core.revision = 1
        core.created = core.modified = meta.generated_at.replace(tzinfo=None)

    def _footer(self, text: str) -> None:
        """What the file is, then "page / pages" against the right margin (Word fields)."""
        paragraph = self.doc.sections[0].footer.paragraphs[0]
        paragraph.add_run(text)
        paragraph.add_run().add_tab()
        _field(paragraph, "PAGE")
        paragraph.add_run(" / ")
        _field(paragraph, "NUMPAGES")

    # Blocks ----------------------------------------------------------------------------------

    def _block(self, block: Block, depth: int, style: str | None = None) -> None:
        """``depth``: how many lists enclose the block (its paragraphs are indented as the
        text of their item)."""
        if isinstance(block, Heading):
            self._inline(self._paragraph(f"heading {block.level}"), block.content)
        elif isinstance(block, Paragraph):
            self._inline(self._indented(style, depth), block.content)
        elif isinstance(block, ListBlock):
            self._list(block, depth)
        elif isinstance(block, Quote):
            for inner in block.blocks:
                self._block(inner, depth, "Quote")
        elif isinstance(block, Table):
            self._table(block)
        elif isinstance(block, CodeBlock):
            self._indented("Code", depth).add_run(block.text)
        else:
            assert isinstance(block, Rule)
            rule = self._paragraph(None)
            rule.add_run("* * *")
            rule.alignment = WD_ALIGN_PARAGRAPH.CENTER

    def _list(self, block: ListBlock, depth: int) -> None:
        """One numbering instance per list (numbered ones restart at their first number),
        each item's first paragraph numbered at level ``depth``; the item's other blocks
        follow, indented as its text."""
        level = min(depth, LEVELS - 1)
        num_id = self._numbering(block, level)
        for item in block.items:
            first = True
            for inner in item:
                if first and isinstance(inner, Paragraph):
                    paragraph = self._paragraph("List Paragraph")
                    _number(paragraph, num_id, level)
                    self._inline(paragraph, inner.content)
                else:
                    self._block(inner, depth + 1, "List Paragraph")
                first = False

    def _numbering(self, block: ListBlock, level: int) -> int:
        numbering = self.doc.part.numbering_part.element
        num = numbering.add_num(NUMBERED if block.ordered else BULLETED)
        if block.ordered:
            num.add_lvlOverride(ilvl=level).add_startOverride(block.start)
        return int(num.numId)

    def _table(self, block: Table) -> None:
        columns = len(block.header)
        widths = [round(w * 20) for w in column_widths(block, TEXT_WIDTH / 20, CELL, office_width)]
        if self._break_before:
            self._paragraph(None)  # a table cannot start a page itself
        table = self.doc.add_table(rows=1 + len(block.rows), cols=columns)
        table.style = self.doc.styles["Table Grid"]
        table.autofit = False  # fixed layout: the widths below, not Word's guess
        preferred = table._tbl.tblPr.find(qn("w:tblW"))  # python-docx writes one, "auto"
        preferred.set(qn("w:w"), str(sum(widths)))
        preferred.set(qn("w:type"), "dxa")
        for grid_column, width in zip(table._tbl.tblGrid.gridCol_lst, widths, strict=True):
            grid_column.w = Twips(width)
        for index, row in enumerate(table.rows):
            properties = row._tr.get_or_add_trPr()
            properties.append(OxmlElement("w:cantSplit"))  # a row stays on one page
            if index == 0:
                properties.append(OxmlElement("w:tblHeader"))  # repeated on every page
        cells = table._cells  # once: python-docx recomputes the whole grid on each cell(r, c)
        text_style = self._style_id("Table Text")
        for row_index, row in enumerate((block.header, *block.rows)):
            for column, content in enumerate(row[:columns]):
                cell = cells[row_index * columns + column]
                cell._tc.width = Twips(widths[column])
                paragraph = cell.paragraphs[0]
                paragraph._p.style = text_style
                if column < len(block.align) and block.align[column] in ALIGN:
                    paragraph.alignment = ALIGN[block.align[column]]
                if row_index == 0:
                    _shade(cell._tc.get_or_add_tcPr(), HEADER_FILL)
                self._inline(paragraph, content, bold=row_index == 0)
        self._after_table = True

    # Inline ----------------------------------------------------------------------------------

    def _inline(self, paragraph: WordParagraph, content: Inline, bold: bool = False) -> None:
        for span in content:
            if span.text == "\n":
                paragraph.add_run().add_break()
            elif span.link is not None:
                self._hyperlink(paragraph, span, bold)
            else:
                self._style(paragraph.add_run(span.text), span, bold)

    def _hyperlink(self, paragraph: WordParagraph, span: Span, bold: bool) -> None:
        rel = paragraph.part.relate_to(span.link or "", RELATIONSHIP_TYPE.HYPERLINK, True)
        link = OxmlElement("w:hyperlink")
        link.set(qn("r:id"), rel)
        run = paragraph.add_run(span.text)
        run._r.style = self._style_id("Hyperlink")
        self._style(run, span, bold)
        link.append(run._r)  # moved from the paragraph into the hyperlink
        paragraph._p.append(link)

    def _style(self, run: Run, span: Span, bold: bool) -> None:
        """Only what is on: setting a property off would add an empty run property element."""
        if span.bold or bold:
            run.bold = True
        if span.italic:
            run.italic = True
        if span.strike:
            run.font.strike = True
        if span.code:
            run.font.name = "Courier New"
        if self._foreign is not None:
            language = OxmlElement("w:lang")
            language.set(qn("w:val"), self._foreign)
            run._r.get_or_add_rPr().append(language)  # the last run property in use

    # Paragraphs and styles -------------------------------------------------------------------

    def _paragraph(self, style: str | None) -> WordParagraph:
        """A new paragraph in the named style, its id looked up once per style: python-docx
        would scan every style of the document for each paragraph."""
        paragraph = self.doc.add_paragraph()
        if style is not None:
            paragraph._p.style = self._style_id(style)
        if self._break_before:
            paragraph.paragraph_format.page_break_before = True
            self._break_before = False
        if self._after_table and not (style or "").startswith("heading"):
            paragraph.paragraph_format.space_before = Twips(160)
        self._after_table = False
        return paragraph

    def _indented(self, style: str | None, depth: int) -> WordParagraph:
        paragraph = self._paragraph(style)
        if depth:
            paragraph.paragraph_format.left_indent = Twips(LIST_STEP * min(depth, LEVELS))
        return paragraph

    def _style_id(self, name: str) -> str:
        if name not in self._style_ids:
            self._style_ids[name] = self.doc.styles[name].style_id
        return self._style_ids[name]


def _number(paragraph: WordParagraph, num_id: int, level: int) -> None:
    numbering = paragraph._p.get_or_add_pPr().get_or_add_numPr()
    numbering.get_or_add_ilvl().val = level
    numbering.get_or_add_numId().val = num_id


def _shade(properties: BaseOxmlElement, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    properties.append(shading)  # after the cell's width, its only other property


def _field(paragraph: WordParagraph, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES) that readers compute, shown as "1" until they do."""
    for kind, text in (("begin", None), (None, f" {instruction} "), ("separate", None)):
        run = paragraph.add_run()
        if kind is None:
            code = OxmlElement("w:instrText")
            code.set(qn("xml:space"), "preserve")
            code.text = text
            run._r.append(code)
        else:
            mark = OxmlElement("w:fldChar")
            mark.set(qn("w:fldCharType"), kind)
            run._r.append(mark)
    paragraph.add_run("1")
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    paragraph.add_run()._r.append(end)
