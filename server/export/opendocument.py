"""The export as an OpenDocument text (.odt), through odfpy: the content, written with the
styles of ``odt_styles.py``. Headings as ``text:h`` with their outline level (and the "Heading
N" styles); lists as ``text:list``, each nested list with a list style of its own whose levels
follow the Markdown from the outermost list down (numbers where it is ordered, bullets where
not: a reader takes a nested list's marker from its own style at its depth); tables whose
columns are sized from their content (``columns.py``), whose rows do not split across pages and
whose header row repeats, cells aligned as their column (header included); block quotes in the
"Quotations" style; hyperlinks. The text is tagged French (``fr-FR``), an English cover
English.

Deterministic: the meta carries the export's generation time, and the zip is rewritten with
fixed entry times (``archive.py``). It renders in memory and returns bytes: a crash leaves
nothing behind."""

from __future__ import annotations

import io

from odf import dc, meta, teletype
from odf.element import Element
from odf.namespaces import nsdict
from odf.opendocument import OpenDocumentText
from odf.style import Style
from odf.table import Table as OdfTable
from odf.table import TableCell, TableColumn, TableHeaderRows, TableRow
from odf.text import A, H, LineBreak, List, ListItem, P
from odf.text import Span as OdfSpan
from palabre.server.export.archive import normalised_zip
from palabre.server.export.columns import column_widths
from palabre.server.export.fonts import office_width
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
from palabre.server.export.odt_styles import (
    CELL,
    POINTS_PER_CM,
    TEXT_WIDTH_CM,
    Nesting,
    OdtStyles,
)

SPECIAL = ("\n", "\t", "  ")  # text that needs teletype's text:line-break, text:tab, text:s


def render_odt(document: ExportDocument) -> bytes:
    _fixed_namespaces()
    writer = _Writer(document)
    writer.write(document)
    out = io.BytesIO()
    writer.doc.write(out)
    return normalised_zip(out.getvalue(), document.metadata.generated_at)


class _Writer:
    def __init__(self, document: ExportDocument) -> None:
        self.doc = OpenDocumentText()
        self._tables = 0
        self._foreign = False  # writing the cover, in another language than the text
        metadata = document.metadata
        self.styles = OdtStyles(
            self.doc, metadata.footer, metadata.language, metadata.cover_language
        )

    def write(self, document: ExportDocument) -> None:
        self._meta(document)
        text, styles = self.doc.text, self.styles
        cover = document.cover
        self._foreign = document.metadata.cover_language != document.metadata.language
        text.addElement(P(stylename=styles.title, text=cover.title))
        text.addElement(self._inline(P(stylename=styles.subtitle), (Span(cover.subtitle),)))
        self._add_all(text, cover.blocks, ())
        self._foreign = False
        text.addElement(P(stylename=styles.page_break))
        self._add_all(text, document.body, ())
        if document.appendix:
            text.addElement(P(stylename=styles.page_break))
            self._add_all(text, document.appendix, ())

    def _meta(self, document: ExportDocument) -> None:
        metadata = document.metadata
        when = metadata.generated_at.isoformat()
        info = self.doc.meta
        info.addElement(dc.Title(text=metadata.title))
        info.addElement(dc.Subject(text=metadata.subject))
        info.addElement(dc.Language(text=metadata.language))
        info.addElement(meta.InitialCreator(text="Palabre"))
        info.addElement(meta.CreationDate(text=when))
        info.addElement(dc.Date(text=when))
        sha256 = meta.UserDefined(name="sha256", valuetype="string", text=metadata.identifier)
        info.addElement(sha256)

    # Blocks ----------------------------------------------------------------------------------

    def _add_all(self, parent: Element, blocks: tuple[Block, ...], lists: Nesting) -> None:
        for block in blocks:
            for element in self._elements(block, lists):
                parent.addElement(element)

    def _elements(self, block: Block, lists: Nesting, style: Style | None = None) -> list[Element]:
        """The ODF elements of one block: one, except for a quote, whose blocks follow each
        other (ODF text has no quote container; its paragraphs take the Quotations style).
        ``lists`` says, from the outermost list in, whether each enclosing list is ordered."""
        if isinstance(block, Heading):
            heading = H(outlinelevel=block.level, stylename=self.styles.headings[block.level])
            return [self._inline(heading, block.content)]
        if isinstance(block, Paragraph):
            return [self._inline(P(stylename=style or self.styles.body), block.content)]
        if isinstance(block, ListBlock):
            return [self._list(block, lists)]
        if isinstance(block, Quote):
            return [
                e for inner in block.blocks for e in self._elements(inner, lists, self.styles.quote)
            ]
        if isinstance(block, Table):
            return [self._table(block)]
        if isinstance(block, CodeBlock):
            code = P(stylename=self.styles.code)
            teletype.addTextToElement(code, block.text)
            return [code]
        assert isinstance(block, Rule)
        return [P(stylename=self.styles.centred, text="* * *")]

    def _list(self, block: ListBlock, lists: Nesting) -> Element:
        nesting = (*lists, block.ordered)
        odf_list = List(stylename=self.styles.list(nesting))
        for index, item in enumerate(block.items):
            element = ListItem()
            if index == 0 and block.ordered and block.start != 1:
                element.setAttribute("startvalue", block.start)
            for inner in item:
                for child in self._elements(inner, nesting, self.styles.list_body):
                    element.addElement(child)
            odf_list.addElement(element)
        return odf_list

    def _table(self, block: Table) -> Element:
        self._tables += 1
        name = f"Table{self._tables}"
        table = OdfTable(name=name, stylename=self.styles.table)
        available = TEXT_WIDTH_CM * POINTS_PER_CM
        widths = column_widths(block, available, CELL, office_width)
        for index, width in enumerate(widths):
            column = self.styles.column(name, index, width)
            table.addElement(TableColumn(stylename=column))
        header = TableHeaderRows()
        header.addElement(self._row(block.header, block, header=True))
        table.addElement(header)
        for row in block.rows:
            table.addElement(self._row(row, block, header=False))
        return table

    def _row(self, row: tuple[Inline, ...], block: Table, header: bool) -> Element:
        element = TableRow(stylename=self.styles.row)
        for index, content in enumerate(row[: len(block.header)]):
            cell = TableCell(valuetype="string", stylename=self.styles.borders[header, index == 0])
            align = block.align[index] if index < len(block.align) else ""
            style = self.styles.cells[header, align if align in ("center", "right") else ""]
            cell.addElement(self._inline(P(stylename=style), content))
            element.addElement(cell)
        return element

    # Inline ----------------------------------------------------------------------------------

    def _inline(self, element: Element, content: Inline) -> Element:
        for span in content:
            if span.text == "\n":
                element.addElement(LineBreak())
                continue
            target: Element = element
            if span.link is not None:
                target = A(href=span.link, type="simple")
                element.addElement(target)
            key = (span.bold, span.italic, span.code, span.strike, self._foreign)
            if any(key):
                styled = OdfSpan(stylename=self.styles.text(key))
                target.addElement(styled)
                target = styled
            _add_text(target, span.text)
        return element


def _add_text(element: Element, text: str) -> None:
    if any(special in text for special in SPECIAL):
        teletype.addTextToElement(element, text)
    else:
        element.addText(text)


def _fixed_namespaces() -> None:
    """odfpy declares, on each XML root it writes, every namespace its process has met so far,
    in the order it met them: a class-level dictionary, so the bytes would depend on what the
    process did before. Every known namespace is declared, sorted, before writing."""
    known = Element.namespaces | nsdict
    if list(Element.namespaces) != sorted(known):
        Element.namespaces = dict(sorted(known.items()))
