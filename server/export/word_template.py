"""Palabre's own Word template, written from code (no binary asset), in place of python-docx's
default (US Letter, US English, a blank thumbnail, "Microsoft Macintosh Word", DejaVu Serif).

- A4 portrait, 2 cm margins, one section whose footer the renderer fills (the document, the
  version or date, then a right-aligned "PAGE / NUMPAGES").
- Every style's text tagged French (``w:lang`` fr-FR in the document defaults, and
  ``w:themeFontLang``), so that Word and LibreOffice spell-check and hyphenate it as French.
- Fonts found on Windows and macOS, and on Linux as their metric-compatible Liberation faces:
  Times New Roman for the text, Arial for titles and headings, Courier New for code; the font
  table names DejaVu as each one's alternative, what Linux falls back to without Liberation.
- Word's built-in style names (Title, Subtitle, heading 1–6 with their outline levels, Quote
  with an indent and a left rule, List Paragraph, Table Grid, footer, Hyperlink), which pandoc
  and LibreOffice also recognise; a "Table Text" and a "Code" paragraph style.
- Two abstract numberings, one bulleted (•, ◦, ▪ by level) and one numbered (1., at every
  level), each with nine levels (``w:ilvl`` 0–8): every list gets its own instance of one of
  them, so numbering restarts per list and Word's promote and demote move items between
  levels.
- Properties that say Palabre made it, and no thumbnail.

Built once per process (the bytes never change) and opened by python-docx for each export."""

from __future__ import annotations

import functools
import io
import zipfile

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE = "application/vnd.openxmlformats-officedocument"
DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

BODY_FONT = "Times New Roman"
HEADING_FONT = "Arial"
CODE_FONT = "Courier New"
# (name, its alternative, PANOSE, family, pitch)
FONTS = (
    (BODY_FONT, "DejaVu Serif", "02020603050405020304", "roman", "variable"),
    (HEADING_FONT, "DejaVu Sans", "020B0604020202020204", "swiss", "variable"),
    (CODE_FONT, "DejaVu Sans Mono", "02070309020205020404", "modern", "fixed"),
)
LANGUAGE = "fr-FR"

# Twentieths of a point ("twips"): A4 is 11906 × 16838; 2 cm is 1134.
PAGE_WIDTH, PAGE_HEIGHT, MARGIN = 11906, 16838, 1134
TEXT_WIDTH = PAGE_WIDTH - 2 * MARGIN
LIST_STEP = 397  # 0.7 cm of indent per list level
LEVELS = 9
BULLETS = ("•", "◦", "▪")
BULLETED, NUMBERED = 0, 1  # the abstract numberings' ids

TEMPLATE_TIME = (2026, 1, 1, 0, 0, 0)  # zip entries' time; the export rewrites them anyway


@functools.cache
def template() -> bytes:
    """The .docx template's bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in _parts().items():
            archive.writestr(zipfile.ZipInfo(name, date_time=TEMPLATE_TIME), content)
    return out.getvalue()


def _parts() -> dict[str, str]:
    return {
        "[Content_Types].xml": _content_types(),
        "_rels/.rels": _relationships(
            ("rId1", "officeDocument", "word/document.xml"),
            ("rId2", "metadata/core-properties", "docProps/core.xml"),
            ("rId3", "extended-properties", "docProps/app.xml"),
        ),
        "docProps/app.xml": _app(),
        "docProps/core.xml": _core(),
        "word/_rels/document.xml.rels": _relationships(
            ("rId1", "styles", "styles.xml"),
            ("rId2", "numbering", "numbering.xml"),
            ("rId3", "settings", "settings.xml"),
            ("rId4", "fontTable", "fontTable.xml"),
            ("rId5", "footer", "footer1.xml"),
        ),
        "word/document.xml": _document(),
        "word/footer1.xml": _footer(),
        "word/fontTable.xml": _font_table(),
        "word/numbering.xml": _numbering(),
        "word/settings.xml": _settings(),
        "word/styles.xml": _styles(),
    }


# Package ---------------------------------------------------------------------------------------


def _content_types() -> str:
    overrides = {
        "/word/document.xml": "wordprocessingml.document.main+xml",
        "/word/styles.xml": "wordprocessingml.styles+xml",
        "/word/numbering.xml": "wordprocessingml.numbering+xml",
        "/word/settings.xml": "wordprocessingml.settings+xml",
        "/word/fontTable.xml": "wordprocessingml.fontTable+xml",
        "/word/footer1.xml": "wordprocessingml.footer+xml",
        "/docProps/app.xml": "extended-properties+xml",
    }
    return (
        DECLARATION
        + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        + '<Default Extension="rels" ContentType="application/'
        + 'vnd.openxmlformats-package.relationships+xml"/>'
        + '<Default Extension="xml" ContentType="application/xml"/>'
        + "".join(
            f'<Override PartName="{part}" ContentType="{OFFICE}.{kind}"/>'
            for part, kind in overrides.items()
        )
        + '<Override PartName="/docProps/core.xml" ContentType="application/'
        + 'vnd.openxmlformats-package.core-properties+xml"/>'
        + "</Types>"
    )


def _relationships(*links: tuple[str, str, str]) -> str:
    def kind(name: str) -> str:
        if name.startswith("metadata/"):
            return f"http://schemas.openxmlformats.org/package/2006/relationships/{name}"
        return f"{R}/{name}"

    return (
        DECLARATION
        + f'<Relationships xmlns="{PACKAGE_RELATIONSHIPS}">'
        + "".join(
            f'<Relationship Id="{rid}" Type="{kind(name)}" Target="{target}"/>'
            for rid, name, target in links
        )
        + "</Relationships>"
    )


def _app() -> str:
    return (
        DECLARATION
        + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
        + 'extended-properties">'
        + "<Application>Palabre</Application><DocSecurity>0</DocSecurity>"
        + "<ScaleCrop>false</ScaleCrop><LinksUpToDate>false</LinksUpToDate>"
        + "<SharedDoc>false</SharedDoc><HyperlinksChanged>false</HyperlinksChanged>"
        + "</Properties>"
    )


def _core() -> str:
    return (
        DECLARATION
        + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
        + 'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        + 'xmlns:dcterms="http://purl.org/dc/terms/" '
        + 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        + "<dc:creator>Palabre</dc:creator>"
        + f"<dc:language>{LANGUAGE}</dc:language>"
        + "</cp:coreProperties>"
    )


def _root(tag: str, body: str) -> str:
    return f'{DECLARATION}<w:{tag} xmlns:w="{W}" xmlns:r="{R}">{body}</w:{tag}>'


# The document and its footer -------------------------------------------------------------------


def _document() -> str:
    section = (
        '<w:sectPr><w:footerReference w:type="default" r:id="rId5"/>'
        f'<w:pgSz w:w="{PAGE_WIDTH}" w:h="{PAGE_HEIGHT}"/>'
        f'<w:pgMar w:top="{MARGIN}" w:right="{MARGIN}" w:bottom="{MARGIN}" w:left="{MARGIN}" '
        'w:header="567" w:footer="567" w:gutter="0"/><w:cols w:space="708"/></w:sectPr>'
    )
    return _root("document", f"<w:body>{section}</w:body>")


def _footer() -> str:
    return _root("ftr", '<w:p><w:pPr><w:pStyle w:val="Footer"/></w:pPr></w:p>')


def _font_table() -> str:
    fonts = "".join(
        f'<w:font w:name="{name}"><w:altName w:val="{alternative}"/>'
        f'<w:panose1 w:val="{panose}"/><w:charset w:val="00"/><w:family w:val="{family}"/>'
        f'<w:pitch w:val="{pitch}"/></w:font>'
        for name, alternative, panose, family, pitch in FONTS
    )
    return _root("fonts", fonts)


def _settings() -> str:
    return _root(
        "settings",
        '<w:zoom w:percent="100"/><w:defaultTabStop w:val="709"/>'
        '<w:characterSpacingControl w:val="doNotCompress"/>'
        '<w:compat><w:compatSetting w:name="compatibilityMode" '
        'w:uri="http://schemas.microsoft.com/office/word" w:val="15"/></w:compat>'
        f'<w:themeFontLang w:val="{LANGUAGE}"/>'
        '<w:decimalSymbol w:val=","/><w:listSeparator w:val=";"/>',
    )


# Numbering ---------------------------------------------------------------------------------------


def _numbering() -> str:
    def level(ilvl: int, ordered: bool) -> str:
        if ordered:
            kind, text, font = "decimal", f"%{ilvl + 1}.", ""
        else:
            kind, text = "bullet", BULLETS[ilvl % len(BULLETS)]
            font = f'<w:rPr><w:rFonts w:ascii="{HEADING_FONT}" w:hAnsi="{HEADING_FONT}"/></w:rPr>'
        left = LIST_STEP * (ilvl + 1)
        return (
            f'<w:lvl w:ilvl="{ilvl}"><w:start w:val="1"/><w:numFmt w:val="{kind}"/>'
            f'<w:lvlText w:val="{text}"/><w:lvlJc w:val="left"/>'
            f'<w:pPr><w:ind w:left="{left}" w:hanging="{LIST_STEP}"/></w:pPr>{font}</w:lvl>'
        )

    def abstract(number: int, ordered: bool) -> str:
        levels = "".join(level(ilvl, ordered) for ilvl in range(LEVELS))
        return (
            f'<w:abstractNum w:abstractNumId="{number}">'
            f'<w:multiLevelType w:val="hybridMultilevel"/>{levels}</w:abstractNum>'
        )

    return _root(
        "numbering",
        abstract(BULLETED, ordered=False)
        + abstract(NUMBERED, ordered=True)
        + f'<w:num w:numId="1"><w:abstractNumId w:val="{BULLETED}"/></w:num>'
        + f'<w:num w:numId="2"><w:abstractNumId w:val="{NUMBERED}"/></w:num>',
    )


# Styles ------------------------------------------------------------------------------------------


def _fonts(name: str) -> str:
    return f'<w:rFonts w:ascii="{name}" w:hAnsi="{name}" w:eastAsia="{name}" w:cs="{name}"/>'


def _style(
    kind: str,
    style_id: str,
    name: str,
    *,
    based: str | None = "Normal",
    paragraph: str = "",
    run: str = "",
    extra: str = "",
    default: bool = False,
) -> str:
    is_default = ' w:default="1"' if default else ""
    parts = [f'<w:style w:type="{kind}"{is_default} w:styleId="{style_id}">']
    parts.append(f'<w:name w:val="{name}"/>')
    if based is not None:
        parts.append(f'<w:basedOn w:val="{based}"/>')
    if kind == "paragraph" and style_id.startswith(("Heading", "Title", "Subtitle")):
        parts.append('<w:next w:val="Normal"/>')
    parts.append("<w:qFormat/>")
    if paragraph:
        parts.append(f"<w:pPr>{paragraph}</w:pPr>")
    if run:
        parts.append(f"<w:rPr>{run}</w:rPr>")
    parts.append(extra)
    parts.append("</w:style>")
    return "".join(parts)


HEADING_SIZES = (36, 30, 26, 24, 22, 22)  # half-points: 18 pt down to 11 pt


def _styles() -> str:
    defaults = (
        "<w:docDefaults><w:rPrDefault><w:rPr>"
        f'{_fonts(BODY_FONT)}<w:sz w:val="22"/><w:szCs w:val="22"/>'
        f'<w:lang w:val="{LANGUAGE}" w:eastAsia="{LANGUAGE}" w:bidi="ar-SA"/>'
        "</w:rPr></w:rPrDefault><w:pPrDefault><w:pPr>"
        '<w:spacing w:after="120" w:line="264" w:lineRule="auto"/>'
        "</w:pPr></w:pPrDefault></w:docDefaults>"
    )
    tight = '<w:spacing w:after="0" w:line="240" w:lineRule="auto"/>'
    cell_margins = (
        '<w:tblCellMar><w:top w:w="28" w:type="dxa"/><w:left w:w="85" w:type="dxa"/>'
        '<w:bottom w:w="28" w:type="dxa"/><w:right w:w="85" w:type="dxa"/></w:tblCellMar>'
    )
    borders = "".join(
        f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="999999"/>'
        for side in ("top", "left", "bottom", "right", "insideH", "insideV")
    )
    styles = [
        _style("paragraph", "Normal", "Normal", based=None, default=True),
        _style(
            "character", "DefaultParagraphFont", "Default Paragraph Font", based=None, default=True
        ),
        _style(
            "table",
            "TableNormal",
            "Normal Table",
            based=None,
            default=True,
            extra=f'<w:tblPr><w:tblInd w:w="0" w:type="dxa"/>{cell_margins}</w:tblPr>',
        ),
        _style("numbering", "NoList", "No List", based=None, default=True),
        _style(
            "paragraph",
            "Title",
            "Title",
            paragraph='<w:keepNext/><w:spacing w:after="120"/>',
            run=f'{_fonts(HEADING_FONT)}<w:b/><w:bCs/><w:sz w:val="48"/><w:szCs w:val="48"/>',
        ),
        _style(
            "paragraph",
            "Subtitle",
            "Subtitle",
            paragraph='<w:keepNext/><w:pBdr><w:bottom w:val="single" w:sz="6" w:space="6" '
            'w:color="444444"/></w:pBdr><w:spacing w:after="240"/>',
            run=f'{_fonts(HEADING_FONT)}<w:sz w:val="26"/><w:szCs w:val="26"/>',
        ),
        *(
            _style(
                "paragraph",
                f"Heading{level}",
                f"heading {level}",
                paragraph=(
                    f'<w:keepNext/><w:keepLines/><w:spacing w:before="{size * 8}" '
                    f'w:after="{size * 4}"/><w:outlineLvl w:val="{level - 1}"/>'
                ),
                run=f'{_fonts(HEADING_FONT)}<w:b/><w:bCs/><w:sz w:val="{size}"/>'
                f'<w:szCs w:val="{size}"/>',
            )
            for level, size in enumerate(HEADING_SIZES, start=1)
        ),
        _style(
            "paragraph",
            "Quote",
            "Quote",
            paragraph='<w:pBdr><w:left w:val="single" w:sz="12" w:space="8" '
            'w:color="888888"/></w:pBdr><w:ind w:left="567" w:right="567"/>',
            run='<w:color w:val="333333"/>',
        ),
        _style(
            "paragraph",
            "ListParagraph",
            "List Paragraph",
            paragraph='<w:spacing w:after="60"/><w:ind w:left="720"/>',
        ),
        _style(
            "paragraph",
            "TableText",
            "Table Text",
            paragraph=tight,
            run='<w:sz w:val="20"/><w:szCs w:val="20"/>',
        ),
        _style(
            "paragraph",
            "Code",
            "Code",
            paragraph=f'<w:shd w:val="clear" w:color="auto" w:fill="F4F4F4"/>{tight}',
            run=f'{_fonts(CODE_FONT)}<w:sz w:val="18"/><w:szCs w:val="18"/>',
        ),
        _style(
            "paragraph",
            "Footer",
            "footer",
            paragraph=f'<w:tabs><w:tab w:val="right" w:pos="{TEXT_WIDTH}"/></w:tabs>{tight}',
            run=f'{_fonts(HEADING_FONT)}<w:color w:val="555555"/><w:sz w:val="16"/>'
            '<w:szCs w:val="16"/>',
        ),
        _style(
            "character",
            "Hyperlink",
            "Hyperlink",
            based="DefaultParagraphFont",
            run='<w:color w:val="1F4E99"/><w:u w:val="single"/>',
        ),
        _style(
            "table",
            "TableGrid",
            "Table Grid",
            based="TableNormal",
            extra=f"<w:tblPr><w:tblBorders>{borders}</w:tblBorders>{cell_margins}</w:tblPr>",
        ),
    ]
    return _root("styles", defaults + "".join(styles))
