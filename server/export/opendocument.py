"""The export as an OpenDocument text (.odt), through odfpy: headings as ``text:h`` with their
outline level (and the "Heading N" styles); lists as ``text:list``, each nested list with a list
style of its own whose levels follow the Markdown from the outermost list down (numbers where it
is ordered, bullets where not: a reader takes a nested list's marker from its own style at its
depth); tables whose columns are sized from their content (``columns.py``), whose rows do not
split across pages and whose header row repeats, cells aligned as their column (header
included); block quotes in the "Quotations" style; hyperlinks; an A4 page whose footer names
the document, the version (or the date of the point) and "page / pages". The text is tagged
French (``fr-FR``), an English cover English.

Deterministic: the meta carries the export's generation time, and the zip is rewritten with
fixed entry times (``archive.py``).

Why one file of over 400 lines: one renderer per format (``export/``); the ODF styles and the
body that uses them belong together."""

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
    TableColumnProperties,
    TableProperties,
    TableRowProperties,
    TabStop,
    TabStops,
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
    PageCount,
    PageNumber,
    Tab,
)
from odf.text import Span as OdfSpan
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
    Paragraph,
    Quote,
    Rule,
    Span,
    Table,
)

SERIF = "DejaVu Serif"
SANS = "DejaVu Sans"
MONO = "DejaVu Sans Mono"
HEADING_SIZES = {1: "20pt", 2: "16pt", 3: "14pt", 4: "12pt", 5: "11pt", 6: "11pt"}
LIST_LEVELS = 10
BULLETS = ("•", "◦", "▪")  # by depth, as browsers draw nested lists
SPECIAL = ("\n", "\t", "  ")  # text that needs teletype's text:line-break, text:tab, text:s
TEXT_WIDTH_CM = 17.0  # A4 less two 2 cm margins
POINTS_PER_CM = 72 / 2.54
# Cells: 10 pt text, 0.1 cm padding each side and a 0.5 pt border.
CELL = CellSizes(font_size=10, padding=0.2 * POINTS_PER_CM + 1)


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
        self._text_styles: dict[tuple[bool, bool, bool, bool, bool], Style] = {}
        self._list_styles: dict[tuple[bool, ...], ListStyle] = {}
        self._tables = 0
        self._foreign = False  # writing the cover, in another language than the text
        metadata = document.metadata
        self._cover_language = metadata.cover_language
        self._styles(metadata.footer, metadata.language)

    def write(self, document: ExportDocument) -> None:
        self._meta(document)
        text = self.doc.text
        cover = document.cover
        self._foreign = document.metadata.cover_language != document.metadata.language
        text.addElement(P(stylename=self.title, text=cover.title))
        text.addElement(self._inline(P(stylename=self.subtitle), (Span(cover.subtitle),)))
        self._add_all(text, cover.blocks, ())
        self._foreign = False
        text.addElement(P(stylename=self.page_break))
        self._add_all(text, document.body, ())
        if document.appendix:
            text.addElement(P(stylename=self.page_break))
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
            heading = H(outlinelevel=block.level, stylename=self.headings[block.level])
            return [self._inline(heading, block.content)]
        if isinstance(block, Paragraph):
            return [self._inline(P(stylename=style or self.body), block.content)]
        if isinstance(block, ListBlock):
            return [self._list(block, lists)]
        if isinstance(block, Quote):
            return [e for inner in block.blocks for e in self._elements(inner, lists, self.quote)]
        if isinstance(block, Table):
            return [self._table(block)]
        if isinstance(block, CodeBlock):
            code = P(stylename=self.code)
            teletype.addTextToElement(code, block.text)
            return [code]
        assert isinstance(block, Rule)
        return [P(stylename=self.centred, text="* * *")]

    def _list(self, block: ListBlock, lists: Nesting) -> Element:
        nesting = (*lists, block.ordered)
        odf_list = List(stylename=self._list_style(nesting))
        for index, item in enumerate(block.items):
            element = ListItem()
            if index == 0 and block.ordered and block.start != 1:
                element.setAttribute("startvalue", block.start)
            for inner in item:
                for child in self._elements(inner, nesting, self.list_body):
                    element.addElement(child)
            odf_list.addElement(element)
        return odf_list

    def _list_style(self, nesting: Nesting) -> ListStyle:
        """The list style of a list at ``len(nesting)`` levels deep: level k numbered or
        bulleted as the k-th list from the outside is; one style per distinct nesting."""
        if nesting not in self._list_styles:
            name = "L" + "".join("n" if ordered else "b" for ordered in nesting)
            style = _list_style(name, nesting)
            self.doc.automaticstyles.addElement(style)
            self._list_styles[nesting] = style
        return self._list_styles[nesting]

    def _table(self, block: Table) -> Element:
        self._tables += 1
        name = f"Table{self._tables}"
        table = OdfTable(name=name, stylename=self.table)
        available = TEXT_WIDTH_CM * POINTS_PER_CM
        widths = column_widths(block, available, CELL, office_width)
        for index, width in enumerate(widths):
            column = Style(name=f"{name}.C{index + 1}", family="table-column")
            column.addElement(
                TableColumnProperties(
                    columnwidth=f"{width / POINTS_PER_CM:.3f}cm",
                    relcolumnwidth=f"{round(width * 100)}*",
                )
            )
            self.doc.automaticstyles.addElement(column)
            table.addElement(TableColumn(stylename=column))
        header = TableHeaderRows()
        header.addElement(self._row(block.header, block, header=True))
        table.addElement(header)
        for row in block.rows:
            table.addElement(self._row(row, block, header=False))
        return table

    def _row(self, row: tuple[Inline, ...], block: Table, header: bool) -> Element:
        element = TableRow(stylename=self.row)
        for index, content in enumerate(row[: len(block.header)]):
            cell = TableCell(valuetype="string", stylename=self.borders[header, index == 0])
            align = block.align[index] if index < len(block.align) else ""
            style = self.cells[header, align if align in ("center", "right") else ""]
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
                styled = OdfSpan(stylename=self._text_style(key))
                target.addElement(styled)
                target = styled
            _add_text(target, span.text)
        return element

    def _text_style(self, key: tuple[bool, bool, bool, bool, bool]) -> Style:
        if key not in self._text_styles:
            bold, italic, code, strike, foreign = key
            properties: dict[str, str] = {}
            if bold:
                properties |= {"fontweight": "bold", "fontweightasian": "bold"}
            if italic:
                properties |= {"fontstyle": "italic", "fontstyleasian": "italic"}
            if code:
                properties["fontname"] = MONO
            if strike:
                properties |= {"textlinethroughstyle": "solid", "textlinethroughtype": "single"}
            if foreign:
                properties |= _language(self._cover_language)
            name = "T" + "".join(c for c, on in zip("bicsl", key, strict=True) if on)
            style = Style(name=name, family="text")
            style.addElement(TextProperties(**properties))
            self.doc.automaticstyles.addElement(style)
            self._text_styles[key] = style
        return self._text_styles[key]

    # Styles ----------------------------------------------------------------------------------

    def _styles(self, footer: str, language: str) -> None:
        doc = self.doc
        for name, family in ((SERIF, "roman"), (SANS, "swiss"), (MONO, "modern")):
            pitch = "fixed" if name == MONO else "variable"
            face = FontFace(name=name, fontfamily=f"'{name}'", fontfamilygeneric=family)
            face.setAttribute("fontpitch", pitch)
            doc.fontfacedecls.addElement(face)
        default = DefaultStyle(family="paragraph")
        default.addElement(TextProperties(fontname=SERIF, fontsize="11pt", **_language(language)))
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
        contents = add("Table_20_Contents", "Table Contents", size="10pt", margin=("0cm", "0cm"))
        heading = add(
            "Table_20_Heading", "Table Heading", size="10pt", bold=True, margin=("0cm", "0cm")
        )
        self.cells = {(False, ""): contents, (True, ""): heading}
        for header, parent in ((False, contents), (True, heading)):
            for align, value in (("center", "center"), ("right", "end")):
                style = Style(
                    name=f"{'TH' if header else 'TC'}_{align}",
                    family="paragraph",
                    parentstylename=parent,
                )
                style.addElement(ParagraphProperties(textalign=value))
                doc.automaticstyles.addElement(style)
                self.cells[header, align] = style
        self.page_break = Style(name="PageBreak", family="paragraph")
        self.page_break.addElement(ParagraphProperties(breakafter="page"))
        doc.automaticstyles.addElement(self.page_break)
        self.table = Style(name="TableWide", family="table")
        self.table.addElement(
            TableProperties(width=f"{TEXT_WIDTH_CM}cm", align="margins", marginbottom="0.28cm")
        )
        doc.automaticstyles.addElement(self.table)
        self.row = Style(name="Row", family="table-row")
        self.row.addElement(TableRowProperties(keeptogether="always"))
        doc.automaticstyles.addElement(self.row)
        self.borders = {
            (top, left): self._cell_style(top, left)
            for top in (False, True)
            for left in (False, True)
        }
        self._page(footer)

    def _cell_style(self, top: bool, left: bool) -> Style:
        """Each cell draws its right and bottom borders, the first row its top and the first
        column its left: one line between two cells, not two."""
        line = "0.5pt solid #999999"
        style = Style(name=f"Cell{'T' if top else ''}{'L' if left else ''}", family="table-cell")
        style.addElement(
            TableCellProperties(
                padding="0.1cm",
                borderright=line,
                borderbottom=line,
                bordertop=line if top else "none",
                borderleft=line if left else "none",
                **({"backgroundcolor": "#eeeeee"} if top else {}),
            )
        )
        self.doc.automaticstyles.addElement(style)
        return style

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
        footer_style = Style(name="Footer", displayname="Footer", family="paragraph")
        properties = ParagraphProperties()
        stops = TabStops()
        stops.addElement(TabStop(position=f"{TEXT_WIDTH_CM}cm", type="right"))
        properties.addElement(stops)
        footer_style.addElement(properties)
        footer_style.addElement(TextProperties(fontsize="8pt", fontname=SANS))
        self.doc.styles.addElement(footer_style)
        master = MasterPage(name="Standard", pagelayoutname=layout)
        footer = Footer()
        line = P(stylename=footer_style, text=footer_text)
        line.addElement(Tab())
        line.addElement(PageNumber(selectpage="current"))
        line.addText(" / ")
        line.addElement(PageCount())
        footer.addElement(line)
        master.addElement(footer)
        self.doc.masterstyles.addElement(master)


Nesting = tuple[bool, ...]  # from the outermost list in: is each enclosing list ordered?


def _list_style(name: str, nesting: Nesting) -> ListStyle:
    """Levels 1 to len(nesting) as the lists from the outside in; deeper levels (unused: a
    deeper list has a style of its own) repeat the innermost kind."""
    style = ListStyle(name=name)
    for level in range(1, LIST_LEVELS + 1):
        ordered = nesting[min(level, len(nesting)) - 1]
        indent = f"{0.6 * level:.1f}cm"
        if ordered:
            entry = ListLevelStyleNumber(level=level, numformat="1", numsuffix=".")
        else:
            bullet = BULLETS[(level - 1) % len(BULLETS)]
            entry = ListLevelStyleBullet(level=level, bulletchar=bullet)
        entry.addElement(ListLevelProperties(spacebefore=indent, minlabelwidth="0.6cm"))
        style.addElement(entry)
    return style


def _language(tag: str) -> dict[str, str]:
    """``fr-FR`` as ODF's fo:language and fo:country."""
    language, _, country = tag.partition("-")
    return {"language": language, "country": country} if country else {"language": language}


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
