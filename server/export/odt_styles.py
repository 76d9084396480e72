"""The styles of the OpenDocument export (.odt): one :class:`OdtStyles` owns every style of an
odfpy document. It declares the fonts, the French (or the text's) default paragraph style, the
named paragraph styles a reader recognises ("Text body", "Heading N", "Quotations", "Table
Contents"...), the cell, row and table styles, the page break, and the A4 page whose footer
names the document, the version (or the date of the point) and "page / pages". The styles
that depend on the content are made on first use and cached: one text style per combination
of bold, italic, code, struck through and foreign (the cover in another language than the
text), one list style per nesting of numbered and bulleted lists, one column style per table
column. ``opendocument.py`` writes the content with them.

Deterministic: styles get fixed names, and each is added to the document the first time the
writer asks for it, so the same content always gives the same styles in the same order. It
only builds elements in memory: nothing is written until the writer saves the document."""

from __future__ import annotations

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
from odf.text import (
    ListLevelStyleBullet,
    ListLevelStyleNumber,
    ListStyle,
    P,
    PageCount,
    PageNumber,
    Tab,
)
from palabre.server.export.columns import CellSizes

SERIF = "DejaVu Serif"
SANS = "DejaVu Sans"
MONO = "DejaVu Sans Mono"
HEADING_SIZES = {1: "20pt", 2: "16pt", 3: "14pt", 4: "12pt", 5: "11pt", 6: "11pt"}
LIST_LEVELS = 10
BULLETS = ("•", "◦", "▪")  # by depth, as browsers draw nested lists
TEXT_WIDTH_CM = 17.0  # A4 less two 2 cm margins
POINTS_PER_CM = 72 / 2.54
# Cells: 10 pt text, 0.1 cm padding each side and a 0.5 pt border.
CELL = CellSizes(font_size=10, padding=0.2 * POINTS_PER_CM + 1)

Nesting = tuple[bool, ...]  # from the outermost list in: is each enclosing list ordered?
TextKey = tuple[bool, bool, bool, bool, bool]  # bold, italic, code, struck through, foreign


class OdtStyles:
    """Every style of ``doc``: the fixed ones are made here, the others on first use."""

    def __init__(
        self, doc: OpenDocumentText, footer: str, language: str, cover_language: str
    ) -> None:
        self._doc = doc
        self._cover_language = cover_language
        self._text_styles: dict[TextKey, Style] = {}
        self._list_styles: dict[Nesting, ListStyle] = {}
        self._fonts(language)
        self._paragraphs()
        self._cells()
        self._tables()
        self._page(footer)

    # Made on first use -------------------------------------------------------------------------

    def text(self, key: TextKey) -> Style:
        """The text style of a span: bold, italic, code, struck through, in the cover's
        language."""
        if key not in self._text_styles:
            name = "T" + "".join(c for c, on in zip("bicsl", key, strict=True) if on)
            style = Style(name=name, family="text")
            style.addElement(TextProperties(**self._text_properties(key)))
            self._doc.automaticstyles.addElement(style)
            self._text_styles[key] = style
        return self._text_styles[key]

    def _text_properties(self, key: TextKey) -> dict[str, str]:
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
        return properties

    def list(self, nesting: Nesting) -> ListStyle:
        """The list style of a list at ``len(nesting)`` levels deep: level k numbered or
        bulleted as the k-th list from the outside is; one style per distinct nesting."""
        if nesting not in self._list_styles:
            name = "L" + "".join("n" if ordered else "b" for ordered in nesting)
            style = _list_style(name, nesting)
            self._doc.automaticstyles.addElement(style)
            self._list_styles[nesting] = style
        return self._list_styles[nesting]

    def column(self, table: str, index: int, width: float) -> Style:
        """The style of a table's column ``index`` (from 0), ``width`` points wide."""
        column = Style(name=f"{table}.C{index + 1}", family="table-column")
        column.addElement(
            TableColumnProperties(
                columnwidth=f"{width / POINTS_PER_CM:.3f}cm",
                relcolumnwidth=f"{round(width * 100)}*",
            )
        )
        self._doc.automaticstyles.addElement(column)
        return column

    # Fixed -----------------------------------------------------------------------------------

    def _fonts(self, language: str) -> None:
        doc = self._doc
        for name, family in ((SERIF, "roman"), (SANS, "swiss"), (MONO, "modern")):
            pitch = "fixed" if name == MONO else "variable"
            face = FontFace(name=name, fontfamily=f"'{name}'", fontfamilygeneric=family)
            face.setAttribute("fontpitch", pitch)
            doc.fontfacedecls.addElement(face)
        default = DefaultStyle(family="paragraph")
        default.addElement(TextProperties(fontname=SERIF, fontsize="11pt", **_language(language)))
        doc.styles.addElement(default)

    def _paragraphs(self) -> None:
        add = self._paragraph_style
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

    def _cells(self) -> None:
        """The paragraph styles of table cells: (header row?, alignment) -> style."""
        add = self._paragraph_style
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
                self._doc.automaticstyles.addElement(style)
                self.cells[header, align] = style

    def _tables(self) -> None:
        automatic = self._doc.automaticstyles
        self.page_break = Style(name="PageBreak", family="paragraph")
        self.page_break.addElement(ParagraphProperties(breakafter="page"))
        automatic.addElement(self.page_break)
        self.table = Style(name="TableWide", family="table")
        self.table.addElement(
            TableProperties(width=f"{TEXT_WIDTH_CM}cm", align="margins", marginbottom="0.28cm")
        )
        automatic.addElement(self.table)
        self.row = Style(name="Row", family="table-row")
        self.row.addElement(TableRowProperties(keeptogether="always"))
        automatic.addElement(self.row)
        self.borders = {
            (top, left): self._cell_style(top, left)
            for top in (False, True)
            for left in (False, True)
        }

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
        self._doc.automaticstyles.addElement(style)
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
        outline: int | None = None,
        quote: bool = False,
        margin: tuple[str, str] | None = None,
    ) -> Style:
        style = Style(name=name, displayname=display, family="paragraph")
        if outline is not None:
            style.setAttribute("defaultoutlinelevel", outline)
            style.setAttribute("nextstylename", "Text_20_body")
        paragraph = _paragraph_properties(center, outline, quote, margin)
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
        self._doc.styles.addElement(style)
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
        self._doc.automaticstyles.addElement(layout)
        footer_style = Style(name="Footer", displayname="Footer", family="paragraph")
        properties = ParagraphProperties()
        stops = TabStops()
        stops.addElement(TabStop(position=f"{TEXT_WIDTH_CM}cm", type="right"))
        properties.addElement(stops)
        footer_style.addElement(properties)
        footer_style.addElement(TextProperties(fontsize="8pt", fontname=SANS))
        self._doc.styles.addElement(footer_style)
        master = MasterPage(name="Standard", pagelayoutname=layout)
        footer = Footer()
        line = P(stylename=footer_style, text=footer_text)
        line.addElement(Tab())
        line.addElement(PageNumber(selectpage="current"))
        line.addText(" / ")
        line.addElement(PageCount())
        footer.addElement(line)
        master.addElement(footer)
        self._doc.masterstyles.addElement(master)


def _paragraph_properties(
    center: bool, outline: int | None, quote: bool, margin: tuple[str, str] | None
) -> dict[str, str]:
    paragraph: dict[str, str] = {}
    if margin is not None:
        paragraph |= {"margintop": margin[0], "marginbottom": margin[1]}
    if center:
        paragraph["textalign"] = "center"
    if quote:
        paragraph |= {
            "marginleft": "1cm",
            "marginright": "0.5cm",
            "borderleft": "1.5pt solid #888888",
            "padding": "0.15cm",
        }
    if outline is not None:
        paragraph["keepwithnext"] = "always"
    return paragraph


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
