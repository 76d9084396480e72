"""The export as a Word document (.docx), through python-docx: headings in Word's "Heading N"
styles, lists in "List Bullet"/"List Number" with their own numbering (each ordered list
restarts at its first number), real tables, block quotes in the "Quote" style, hyperlinks.

Deterministic: core properties carry the export's generation time, and the zip is rewritten
with fixed entry times (``archive.py``)."""

from __future__ import annotations

import io

import docx
from docx.document import Document as WordDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor
from docx.table import Table as WordTable
from docx.text.paragraph import Paragraph as WordParagraph
from docx.text.run import Run
from palabre.server.export.archive import normalised_zip
from palabre.server.export.model import (
    Block,
    CodeBlock,
    ExportDocument,
    Heading,
    Inline,
    ListBlock,
    Paragraph,
    Quote,
    Rule,
    Span,
    Table,
)

MONO = "DejaVu Sans Mono"
SERIF = "DejaVu Serif"
LIST_DEPTH = 3  # the default template's list styles: List Bullet, List Bullet 2, 3
ALIGN = {
    "left": WD_ALIGN_PARAGRAPH.LEFT,
    "center": WD_ALIGN_PARAGRAPH.CENTER,
    "right": WD_ALIGN_PARAGRAPH.RIGHT,
}


def render_docx(document: ExportDocument) -> bytes:
    writer = _Writer()
    writer.write(document)
    out = io.BytesIO()
    writer.doc.save(out)
    return normalised_zip(out.getvalue(), document.metadata.generated_at)


class _Writer:
    def __init__(self) -> None:
        self.doc: WordDocument = docx.Document()
        self._styles()

    def write(self, document: ExportDocument) -> None:
        meta = document.metadata
        core = self.doc.core_properties
        core.title = meta.title
        core.subject = meta.subject
        core.author = "Palabre"
        core.last_modified_by = "Palabre"
        core.identifier = meta.identifier
        core.language = meta.lang
        core.revision = 1
        core.created = core.modified = meta.generated_at.replace(tzinfo=None)
        core.last_printed = meta.generated_at.replace(tzinfo=None)
        core.comments = ""
        self.doc.styles["Normal"].font.name = SERIF
        cover = document.cover
        self._paragraph("Title").add_run(cover.title)
        self._paragraph("Subtitle").add_run(cover.subtitle)
        for block in cover.blocks:
            self._block(block, 0)
        self.doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        for block in document.body:
            self._block(block, 0)
        if document.appendix:
            self.doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        for block in document.appendix:
            self._block(block, 0)

    # Blocks ----------------------------------------------------------------------------------

    def _block(self, block: Block, depth: int, style: str | None = None) -> None:
        if isinstance(block, Heading):
            self._inline(self._paragraph(f"Heading {block.level}"), block.content)
        elif isinstance(block, Paragraph):
            self._inline(self._paragraph(style), block.content)
        elif isinstance(block, ListBlock):
            self._list(block, depth)
        elif isinstance(block, Quote):
            for inner in block.blocks:
                self._block(inner, depth, "Quote")
        elif isinstance(block, Table):
            self._table(block)
        elif isinstance(block, CodeBlock):
            self._paragraph("Code").add_run(block.text)
        else:
            assert isinstance(block, Rule)
            self.doc.add_paragraph("* * *").alignment = WD_ALIGN_PARAGRAPH.CENTER

    def _list(self, block: ListBlock, depth: int) -> None:
        level = min(depth, LIST_DEPTH - 1)
        kind = "List Number" if block.ordered else "List Bullet"
        style = kind if level == 0 else f"{kind} {level + 1}"
        number = self._numbering(style, block.start) if block.ordered else None
        for item in block.items:
            first = True
            for inner in item:
                if isinstance(inner, ListBlock):
                    self._list(inner, depth + 1)
                    continue
                if first and isinstance(inner, Paragraph):
                    paragraph = self._paragraph(style)
                    if number is not None:
                        _number(paragraph, number)
                    self._inline(paragraph, inner.content)
                else:
                    continuation = "List Continue" if level == 0 else f"List Continue {level + 1}"
                    self._block(inner, depth + 1, continuation)
                first = False

    def _numbering(self, style: str, start: int) -> int:
        """A new numbering instance for one ordered list, on the abstract numbering of the
        style, restarted at ``start``: Word would otherwise go on counting across lists."""
        numbering = self.doc.part.numbering_part.element
        style_num = self.doc.styles[style].element.pPr.numPr.numId.val
        abstract = next(n.abstractNumId.val for n in numbering.num_lst if n.numId == style_num)
        num = numbering.add_num(abstract)
        override = num.add_lvlOverride(ilvl=0)
        override.add_startOverride(start)
        return int(num.numId)

    def _table(self, block: Table) -> None:
        columns = len(block.header)
        table: WordTable = self.doc.add_table(rows=1 + len(block.rows), cols=columns)
        table.style = self._table_style
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        header_row = table.rows[0]
        properties = header_row._tr.get_or_add_trPr()
        repeat = OxmlElement("w:tblHeader")  # repeat the header row on every page
        properties.append(repeat)
        cells = table._cells  # once: python-docx recomputes the whole grid on each cell(r, c)
        for row_index, row in enumerate((block.header, *block.rows)):
            for column, content in enumerate(row[:columns]):
                paragraph = cells[row_index * columns + column].paragraphs[0]
                if column < len(block.align) and block.align[column] in ALIGN:
                    paragraph.alignment = ALIGN[block.align[column]]
                bold = row_index == 0
                self._inline(paragraph, content, bold)

    # Inline ----------------------------------------------------------------------------------

    def _inline(self, paragraph: WordParagraph, content: Inline, bold: bool = False) -> None:
        for span in content:
            if span.text == "\n":
                paragraph.add_run().add_break()
            elif span.link is not None:
                self._hyperlink(paragraph, span, bold)
            else:
                _style(paragraph.add_run(span.text), span, bold)

    def _hyperlink(self, paragraph: WordParagraph, span: Span, bold: bool) -> None:
        rel = paragraph.part.relate_to(span.link or "", RELATIONSHIP_TYPE.HYPERLINK, True)
        link = OxmlElement("w:hyperlink")
        link.set(qn("r:id"), rel)
        run = paragraph.add_run(span.text)
        _style(run, span, bold)
        run._r.style = self._style_id("Hyperlink")
        link.append(run._r)  # moved from the paragraph into the hyperlink
        paragraph._p.append(link)

    # Styles ----------------------------------------------------------------------------------

    def _paragraph(self, style: str | None) -> WordParagraph:
        """A new paragraph in the named style, its id looked up once per style: python-docx
        would scan every style of the document for each paragraph."""
        paragraph = self.doc.add_paragraph()
        if style is not None:
            paragraph._p.style = self._style_id(style)
        return paragraph

    def _style_id(self, name: str) -> str:
        if name not in self._style_ids:
            self._style_ids[name] = self.doc.styles[name].style_id
        return self._style_ids[name]

    def _styles(self) -> None:
        self._style_ids: dict[str, str] = {}
        self._table_style = self.doc.styles["Table Grid"]
        styles = self.doc.styles
        code = styles.add_style("Code", WD_STYLE_TYPE.PARAGRAPH)
        code.base_style = styles["No Spacing"]
        code.font.name = MONO
        code.font.size = Pt(9)
        link = styles.add_style("Hyperlink", WD_STYLE_TYPE.CHARACTER)
        link.font.color.rgb = RGBColor(0x1F, 0x4E, 0x99)
        link.font.underline = True


def _style(run: Run, span: Span, bold: bool) -> None:
    """Only what is on: setting a property off would add an empty run property element."""
    if span.bold or bold:
        run.bold = True
    if span.italic:
        run.italic = True
    if span.strike:
        run.font.strike = True
    if span.code:
        run.font.name = MONO


def _number(paragraph: WordParagraph, num_id: int) -> None:
    properties = paragraph._p.get_or_add_pPr()
    numbering = properties.get_or_add_numPr()
    numbering.get_or_add_ilvl().val = 0
    numbering.get_or_add_numId().val = num_id
