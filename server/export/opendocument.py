"""The export as an OpenDocument text (.odt), through odfpy: headings as ``text:h`` with their
outline level (and the "Heading N" styles), lists as ``text:list`` with a numbering or bullet
list style, real tables with a repeated header row, block quotes in the "Quotations" style,
hyperlinks, an A4 page with the document, version and page number in the footer.

Deterministic: the meta carries the export's generation time, and the zip is rewritten with
fixed entry times (``archive.py``)."""

from __future__ import annotations

import io
from collections.abc import Callable

from odf import dc, meta, teletype
from odf.element import Element
from odf.namespaces import nsdict
from odf.opendocument import OpenDocumentText
from odf.style import (
    DefaultStyle,
    FontFace,
    Footer,
    ListLevelProperties,
    MasterPage,
    PageLayout,
    PageLayoutProperties,
    ParagraphProperties,
    Style,
    TableCellProperties,
    TableProperties,
    TextProperties,
)
from odf.table import Table as OdfTable
from odf.table import TableCell, TableColumn, TableHeaderRows, TableRow
from odf.text import (
    A,
    H,
    LineBreak,
    List,
    ListItem,
    ListLevelStyleBullet,
    ListLevelStyleNumber,
    ListStyle,
    P,
    PageNumber,
)
from odf.text import Span as OdfSpan
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
    Table,
)

SERIF = "DejaVu Serif"
SANS = "DejaVu Sans"
MONO = "DejaVu Sans Mono"
HEADING_SIZES = {1: "20pt", 2: "16pt", 3: "14pt", 4: "12pt", 5: "11pt", 6: "11pt"}
LIST_LEVELS = 10
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
        self._text_styles: dict[tuple[bool, bool, bool, bool], Style] = {}
        self._tables = 0
        self._styles(document.metadata.footer)

    def write(self, document: ExportDocument) -> None:
        self._meta(document)
        text = self.doc.text
        cover = document.cover
        text.addElement(P(stylename=self.title, text=cover.title))
        text.addElement(P(stylename=self.subtitle, text=cover.subtitle))
        self._add_all(text, cover.blocks, 0)
        text.addElement(P(stylename=self.page_break))
        self._add_all(text, document.body, 0)
        if document.appendix:
            text.addElement(P(stylename=self.page_break))
            self._add_all(text, document.appendix, 0)

    def _meta(self, document: ExportDocument) -> None:
        metadata = document.metadata
        when = metadata.generated_at.isoformat()
        info = self.doc.meta
        info.addElement(dc.Title(text=metadata.title))
        info.addElement(dc.Subject(text=metadata.subject))
        info.addElement(dc.Language(text=metadata.lang))
        info.addElement(meta.InitialCreator(text="Palabre"))
        info.addElement(meta.CreationDate(text=when))
        info.addElement(dc.Date(text=when))
        sha256 = meta.UserDefined(name="sha256", valuetype="string", text=metadata.identifier)
        info.addElement(sha256)

    # Blocks ----------------------------------------------------------------------------------

    def _add_all(self, parent: Element, blocks: tuple[Block, ...], depth: int) -> None:
        for block in blocks:
            for element in self._elements(block, depth):
                parent.addElement(element)

    def _elements(self, block: Block, depth: int, style: Style | None = None) -> list[Element]:
        """The ODF elements of one block: one, except for a quote, whose blocks follow each
        other (ODF text has no quote container; its paragraphs take the Quotations style)."""
        if isinstance(block, Heading):
            heading = H(outlinelevel=block.level, stylename=self.headings[block.level])
            return [self._inline(heading, block.content)]
        if isinstance(block, Paragraph):
            return [self._inline(P(stylename=style or self.body), block.content)]
        if isinstance(block, ListBlock):
            return [self._list(block, depth)]
        if isinstance(block, Quote):
            return [e for inner in block.blocks for e in self._elements(inner, depth, self.quote)]
        if isinstance(block, Table):
            return [self._table(block)]
        if isinstance(block, CodeBlock):
            code = P(stylename=self.code)
            teletype.addTextToElement(code, block.text)
            return [code]
        assert isinstance(block, Rule)
        return [P(stylename=self.centred, text="* * *")]

    def _list(self, block: ListBlock, depth: int) -> Element:
        style = self.numbered if block.ordered else self.bulleted
        odf_list = List(stylename=style) if depth == 0 else List()
        for index, item in enumerate(block.items):
            element = ListItem()
            if index == 0 and block.ordered and block.start != 1:
                element.setAttribute("startvalue", block.start)
            for inner in item:
                for child in self._elements(inner, depth + 1, self.list_body):
                    element.addElement(child)
            odf_list.addElement(element)
        return odf_list

    def _table(self, block: Table) -> Element:
        self._tables += 1
        columns = len(block.header)
        table = OdfTable(name=f"Table{self._tables}", stylename=self.table)
        table.addElement(TableColumn(numbercolumnsrepeated=columns))
        header = TableHeaderRows()
        header.addElement(self._row(block.header, block, self.header_cell))
        table.addElement(header)
        for row in block.rows:
            table.addElement(self._row(row, block, self.body))
        return table

    def _row(self, row: tuple[Inline, ...], block: Table, style: Style) -> Element:
        element = TableRow()
        for index, content in enumerate(row[: len(block.header)]):
            cell = TableCell(valuetype="string", stylename=self.cell)
            align = block.align[index] if index < len(block.align) else ""
            paragraph_style = self.right if align == "right" and style is self.body else style
            cell.addElement(self._inline(P(stylename=paragraph_style), content))
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
            key = (span.bold, span.italic, span.code, span.strike)
            if any(key):
                styled = OdfSpan(stylename=self._text_style(key))
                target.addElement(styled)
                target = styled
            _add_text(target, span.text)
        return element

    def _text_style(self, key: tuple[bool, bool, bool, bool]) -> Style:
        if key not in self._text_styles:
            bold, italic, code, strike = key
            properties: dict[str, str] = {}
            if bold:
                properties |= {"fontweight": "bold", "fontweightasian": "bold"}
            if italic:
                properties |= {"fontstyle": "italic", "fontstyleasian": "italic"}
            if code:
                properties["fontname"] = MONO
            if strike:
                properties |= {"textlinethroughstyle": "solid", "textlinethroughtype": "single"}
            name = "T" + "".join(c for c, on in zip("bics", key, strict=True) if on)
            style = Style(name=name, family="text")
            style.addElement(TextProperties(**properties))
            self.doc.automaticstyles.addElement(style)
            self._text_styles[key] = style
        return self._text_styles[key]

    # Styles ----------------------------------------------------------------------------------

    def _styles(self, footer: str) -> None:
        doc = self.doc
        for name, family in ((SERIF, "roman"), (SANS, "swiss"), (MONO, "modern")):
            pitch = "fixed" if name == MONO else "variable"
            face = FontFace(name=name, fontfamily=f"'{name}'", fontfamilygeneric=family)
            face.setAttribute("fontpitch", pitch)
            doc.fontfacedecls.addElement(face)
        default = DefaultStyle(family="paragraph")
        default.addElement(TextProperties(fontname=SERIF, fontsize="11pt", language="fr"))
        doc.styles.addElement(default)
        add: Callable[..., Style] = self._paragraph_style
        self.body = add("Text_20_body", "Text body", margin=("0cm", "0.21cm"))
        self.list_body = add("List_20_Contents", "List Contents", margin=("0cm", "0.1cm"))
        self.title = add("Title", "Title", size="24pt", bold=True, font=SANS, center=True)
        self.subtitle = add(
            "Subtitle", "Subtitle", size="14pt", center=True, margin=("0.2cm", "0.6cm")
        )
        self.headings = {
            level: add(
                f"Heading_20_{level}",
                f"Heading {level}",
                size=size,
                bold=True,
                font=SANS,
                outline=level,
                margin=("0.42cm", "0.21cm"),
            )
            for level, size in HEADING_SIZES.items()
        }
        self.code = add("Preformatted_20_Text", "Preformatted Text", font=MONO, size="9pt")
        self.quote = add("Quotations", "Quotations", quote=True)
        self.centred = add("Centred", "Centred", center=True)
        self.right = add("Table_20_Contents_20_Right", "Table Contents Right", right=True)
        self.header_cell = add("Table_20_Heading", "Table Heading", bold=True)
        self.page_break = Style(name="PageBreak", family="paragraph")
        self.page_break.addElement(ParagraphProperties(breakafter="page"))
        doc.automaticstyles.addElement(self.page_break)
        self.numbered = _list_style("Numbering_20_123", numbered=True)
        self.bulleted = _list_style("List_20_1", numbered=False)
        doc.styles.addElement(self.numbered)
        doc.styles.addElement(self.bulleted)
        self.table = Style(name="TableWide", family="table")
        self.table.addElement(TableProperties(width="17cm", align="margins"))
        doc.automaticstyles.addElement(self.table)
        self.cell = Style(name="Cell", family="table-cell")
        self.cell.addElement(TableCellProperties(border="0.5pt solid #999999", padding="0.1cm"))
        doc.automaticstyles.addElement(self.cell)
        self._page(footer)

    def _paragraph_style(
        self,
        name: str,
        display: str,
        *,
        size: str | None = None,
        bold: bool = False,
        font: str | None = None,
        center: bool = False,
        right: bool = False,
        outline: int | None = None,
        quote: bool = False,
        margin: tuple[str, str] | None = None,
    ) -> Style:
        style = Style(name=name, displayname=display, family="paragraph")
        if outline is not None:
            style.setAttribute("defaultoutlinelevel", outline)
            style.setAttribute("nextstylename", "Text_20_body")
        paragraph: dict[str, str] = {}
        if margin is not None:
            paragraph |= {"margintop": margin[0], "marginbottom": margin[1]}
        if center or right:
            paragraph["textalign"] = "center" if center else "end"
        if quote:
            paragraph |= {
                "marginleft": "1cm",
                "marginright": "0.5cm",
                "borderleft": "1.5pt solid #888888",
                "padding": "0.15cm",
            }
        if outline is not None:
            paragraph["keepwithnext"] = "always"
        if paragraph:
            style.addElement(ParagraphProperties(**paragraph))
        text: dict[str, str] = {}
        if size is not None:
            text["fontsize"] = size
        if bold:
            text |= {"fontweight": "bold", "fontweightasian": "bold"}
        if font is not None:
            text["fontname"] = font
        if text:
            style.addElement(TextProperties(**text))
        self.doc.styles.addElement(style)
        return style

    def _page(self, footer_text: str) -> None:
        layout = PageLayout(name="A4")
        layout.addElement(
            PageLayoutProperties(
                pagewidth="21cm",
                pageheight="29.7cm",
                printorientation="portrait",
                margintop="2cm",
                marginbottom="1.5cm",
                marginleft="2cm",
                marginright="2cm",
            )
        )
        self.doc.automaticstyles.addElement(layout)
        footer_style = Style(name="Footer", family="paragraph")
        footer_style.addElement(ParagraphProperties(textalign="center"))
        footer_style.addElement(TextProperties(fontsize="8pt", fontname=SANS))
        self.doc.styles.addElement(footer_style)
        master = MasterPage(name="Standard", pagelayoutname=layout)
        footer = Footer()
        line = P(stylename=footer_style, text=f"{footer_text} — ")
        line.addElement(PageNumber(selectpage="current"))
        footer.addElement(line)
        master.addElement(footer)
        self.doc.masterstyles.addElement(master)


def _list_style(name: str, numbered: bool) -> ListStyle:
    style = ListStyle(name=name)
    for level in range(1, LIST_LEVELS + 1):
        indent = f"{0.6 * level:.1f}cm"
        if numbered:
            entry = ListLevelStyleNumber(level=level, numformat="1", numsuffix=".")
        else:
            entry = ListLevelStyleBullet(level=level, bulletchar="•" if level % 2 else "◦")
        entry.addElement(ListLevelProperties(spacebefore=indent, minlabelwidth="0.6cm"))
        style.addElement(entry)
    return style


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
