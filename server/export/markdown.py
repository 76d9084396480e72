"""Markdown to the export's blocks, through markdown-it-py's token stream.

CommonMark plus tables and strikethrough (what people type in the editor). Raw HTML is kept as
text, never passed through: an exported file must not run what someone typed. The text is not
retouched (no typographer): accents, « guillemets », non-breaking spaces and ’ apostrophes
reach every format as typed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from markdown_it import MarkdownIt
from markdown_it.token import Token
from palabre.server.export.model import (
    Block,
    CodeBlock,
    Heading,
    Inline,
    ListBlock,
    Paragraph,
    Quote,
    Rule,
    Span,
    Table,
)

_PARSER = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
_ALIGN = {"text-align:left": "left", "text-align:center": "center", "text-align:right": "right"}


def parse(markdown: str) -> tuple[Block, ...]:
    tokens = _PARSER.parse(markdown)
    blocks, end = _blocks(tokens, 0, None)
    assert end == len(tokens)
    return blocks


def _blocks(tokens: Sequence[Token], at: int, closing: str | None) -> tuple[tuple[Block, ...], int]:
    """The blocks from ``at`` up to the token ``closing`` (or the end); returns them and the
    index just after the closing token."""
    blocks: list[Block] = []
    while at < len(tokens):
        token = tokens[at]
        if token.type == closing:
            return tuple(blocks), at + 1
        block, at = _block(tokens, at)
        if block is not None:
            blocks.append(block)
    return tuple(blocks), at


def _block(tokens: Sequence[Token], at: int) -> tuple[Block | None, int]:
    token = tokens[at]
    kind = token.type
    if kind == "heading_open":
        return Heading(int(token.tag[1:]), _inline(tokens[at + 1])), at + 3
    if kind == "paragraph_open":
        return Paragraph(_inline(tokens[at + 1])), at + 3
    if kind in ("bullet_list_open", "ordered_list_open"):
        return _list(tokens, at)
    if kind == "blockquote_open":
        inner, after = _blocks(tokens, at + 1, "blockquote_close")
        return Quote(inner), after
    if kind == "table_open":
        return _table(tokens, at)
    if kind in ("fence", "code_block"):
        return CodeBlock(token.content.rstrip("\n")), at + 1
    if kind == "hr":
        return Rule(), at + 1
    return None, at + 1  # html_block cannot occur (html off); nothing else is a block


def _list(tokens: Sequence[Token], at: int) -> tuple[ListBlock, int]:
    opening = tokens[at]
    ordered = opening.type == "ordered_list_open"
    closing = "ordered_list_close" if ordered else "bullet_list_close"
    start = int(opening.attrGet("start") or 1) if ordered else 1
    items: list[tuple[Block, ...]] = []
    at += 1
    while tokens[at].type != closing:
        assert tokens[at].type == "list_item_open"
        item, at = _blocks(tokens, at + 1, "list_item_close")
        items.append(item)
    return ListBlock(ordered, start, tuple(items)), at + 1


def _table(tokens: Sequence[Token], at: int) -> tuple[Table, int]:
    header: list[Inline] = []
    rows: list[tuple[Inline, ...]] = []
    align: list[str] = []
    row: list[Inline] = []
    at += 1
    while tokens[at].type != "table_close":
        token = tokens[at]
        if token.type in ("th_open", "td_open"):
            if token.type == "th_open":
                align.append(_ALIGN.get(str(token.attrGet("style") or ""), ""))
            row.append(_inline(tokens[at + 1]))
            at += 3
            continue
        if token.type == "tr_close":
            if header:
                rows.append(tuple(row))
            else:
                header = row
            row = []
        at += 1
    width = len(header)
    padded = tuple(tuple(r) + ((),) * (width - len(r)) for r in rows)
    return Table(tuple(header), padded, tuple(align)), at + 1


def _inline(token: Token) -> Inline:
    """Spans with their styles: emphasis, strong, strikethrough, code and links nest."""
    spans: list[Span] = []
    bold = italic = strike = 0
    links: list[str] = []
    for child in token.children or []:
        kind = child.type
        link = links[-1] if links else None
        style = Span("", bold=bold > 0, italic=italic > 0, strike=strike > 0, link=link)
        if kind == "text":
            if child.content:
                spans.append(replace(style, text=child.content))
        elif kind == "code_inline":
            spans.append(replace(style, text=child.content, code=True))
        elif kind == "softbreak":
            spans.append(replace(style, text=" "))
        elif kind == "hardbreak":
            spans.append(Span("\n"))
        elif kind == "image":  # no images in the text model: keep what they say
            alt = child.content or str(child.attrGet("src") or "")
            spans.append(replace(style, text=alt))
        elif kind in ("strong_open", "strong_close"):
            bold += 1 if kind.endswith("open") else -1
        elif kind in ("em_open", "em_close"):
            italic += 1 if kind.endswith("open") else -1
        elif kind in ("s_open", "s_close"):
            strike += 1 if kind.endswith("open") else -1
        elif kind == "link_open":
            links.append(str(child.attrGet("href") or ""))
        elif kind == "link_close":
            links.pop()
    return _merged(spans)


def _merged(spans: list[Span]) -> Inline:
    """Adjacent spans with the same styles become one: fewer runs in every format."""
    merged: list[Span] = []
    for span in spans:
        last = merged[-1] if merged else None
        if last is not None and span.text != "\n" and last.text != "\n" and _same(last, span):
            merged[-1] = replace(last, text=last.text + span.text)
        else:
            merged.append(span)
    return tuple(merged)


def _same(a: Span, b: Span) -> bool:
    return replace(a, text="") == replace(b, text="")
