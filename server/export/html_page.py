"""The export as one standalone HTML file: embedded CSS, an A4 print layout whose page margins
carry the footer (what the file is, and "page / pages": CSS paged media, which Chromium
prints), no external resource. The page is tagged French (the text's language); an English
cover is tagged English. Everything from the text is escaped, in the CSS too; links keep only
the addresses markdown-it validated (no ``javascript:``)."""

from __future__ import annotations

from html import escape

from palabre.server.export.model import (
    Block,
    CodeBlock,
    ExportDocument,
    Heading,
    Inline,
    ListBlock,
    Markup,
    Paragraph,
    Quote,
    Rule,
    Table,
)

# The page's margins, with the footer (a CSS string, from ``_css_string``) and the page count.
PAGE = """
@page { size: A4; margin: 2cm 2cm 2.2cm;
  @bottom-left { content: FOOTER; font: 7.5pt "DejaVu Sans", Arial, sans-serif; color: #555; }
  @bottom-right { content: counter(page) " / " counter(pages);
    font: 7.5pt "DejaVu Sans", Arial, sans-serif; color: #555; } }
""".strip()
CSS = """
html { font-family: "DejaVu Serif", "Liberation Serif", Georgia, serif; font-size: 11pt; }
body { max-width: 46em; margin: 2em auto; padding: 0 1em; line-height: 1.5; color: #111; }
h1, h2, h3, h4, h5, h6 { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif;
  line-height: 1.25; break-after: avoid; page-break-after: avoid; }
h1 { font-size: 1.7em; } h2 { font-size: 1.4em; } h3 { font-size: 1.2em; }
h4, h5, h6 { font-size: 1em; }
p, li, blockquote, tr { orphans: 3; widows: 3; }
.cover { border: 1px solid #444; padding: 1.5em 2em; margin-bottom: 2em;
  break-after: page; page-break-after: always; }
.cover .title { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 2em; margin: 0; }
.cover .subtitle { font-size: 1.15em; margin-top: 0.3em; }
table { border-collapse: collapse; margin: 1em 0; width: 100%; }
th, td { border: 1px solid #999; padding: 0.3em 0.5em; vertical-align: top; text-align: left; }
th { background: #eee; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
li > p { margin: 0.2em 0; }
blockquote { margin: 1em 0 1em 1em; padding-left: 1em; border-left: 3px solid #888;
  color: #333; }
code, pre { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 0.9em; }
code { overflow-wrap: anywhere; }
pre { background: #f4f4f4; padding: 0.7em; white-space: pre-wrap; }
.appendix { break-before: page; page-break-before: always; }
@media print { html { font-size: 10.5pt; } body { max-width: none; margin: 0; padding: 0;
  line-height: 1.4; } a { color: inherit; } .cover { border: 0; padding: 0; }
  table { font-size: 0.9em; } th, td { padding: 0.15em 0.4em; } }
""".strip()


def render_html(document: ExportDocument) -> bytes:
    meta = document.metadata
    cover = document.cover
    cover_language = (
        f' lang="{meta.cover_language}"' if meta.cover_language != meta.language else ""
    )
    page = PAGE.replace("FOOTER", _css_string(meta.footer))
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{meta.language}">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{escape(meta.title)} — {escape(meta.subject)}</title>",
        '<meta name="generator" content="Palabre">',
        f'<meta name="dcterms.created" content="{meta.generated_at.isoformat()}">',
        f'<meta name="palabre.sha256" content="{meta.identifier}">',
        f"<style>\n{page}\n{CSS}\n</style>",
        "</head>",
        "<body>",
        f'<header class="cover" id="cover"{cover_language}>',
        f'<p class="title">{escape(cover.title)}</p>',
        f'<p class="subtitle">{escape(cover.subtitle)}</p>',
        *(_block(block) for block in cover.blocks),
        "</header>",
        "<main>",
        *(_block(block) for block in document.body),
        "</main>",
    ]
    if document.appendix:
        parts += [
            '<section class="appendix">',
            *(_block(block) for block in document.appendix),
            "</section>",
        ]
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts).encode("utf-8")


def _block(block: Block) -> str:
    if isinstance(block, Heading):
        return f"<h{block.level}>{_inline(block.content)}</h{block.level}>"
    if isinstance(block, Paragraph):
        return f"<p>{_inline(block.content)}</p>"
    if isinstance(block, ListBlock):
        return _list(block)
    if isinstance(block, Quote):
        inner = "\n".join(_block(b) for b in block.blocks)
        return f"<blockquote>\n{inner}\n</blockquote>"
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, CodeBlock):
        return f"<pre><code>{escape(block.text)}</code></pre>"
    assert isinstance(block, Rule)
    return "<hr>"


def _list(block: ListBlock) -> str:
    tag = "ol" if block.ordered else "ul"
    start = f' start="{block.start}"' if block.ordered and block.start != 1 else ""
    items = "\n".join("<li>" + "\n".join(_block(b) for b in item) + "</li>" for item in block.items)
    return f"<{tag}{start}>\n{items}\n</{tag}>"


def _table(block: Table) -> str:
    def cells(row: tuple[Inline, ...], tag: str) -> str:
        out = []
        for index, cell in enumerate(row):
            align = block.align[index] if index < len(block.align) else ""
            style = f' style="text-align:{align}"' if align else ""
            out.append(f"<{tag}{style}>{_inline(cell)}</{tag}>")
        return "<tr>" + "".join(out) + "</tr>"

    body = "\n".join(cells(row, "td") for row in block.rows)
    return (
        f"<table>\n<thead>{cells(block.header, 'th')}</thead>\n<tbody>\n{body}\n</tbody>\n</table>"
    )


def _css_string(text: str) -> str:
    """A CSS string literal that nothing in ``text`` can end, nor the style element."""
    escaped = "".join(
        f"\\{ord(c):x} " if c in '"\\<>&' or ord(c) < 0x20 or ord(c) == 0x7F else c for c in text
    )
    return f'"{escaped}"'


MARKUP = Markup(
    line_break="<br>",
    escape=lambda text: escape(text, quote=False),
    code=("<code>", "</code>"),
    strike=("<s>", "</s>"),
    italic=("<em>", "</em>"),
    bold=("<strong>", "</strong>"),
    link=lambda target, text: f'<a href="{escape(target)}">{text}</a>',
)
_inline = MARKUP.inline
