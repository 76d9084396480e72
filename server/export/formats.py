"""Each export format: its media type and how it is made from the snapshot."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from palabre.server.export.bundle import render_bundle
from palabre.server.export.compose import compose
from palabre.server.export.html_page import render_html
from palabre.server.export.model import ExportDocument, ExportOptions, Snapshot
from palabre.server.export.opendocument import render_odt
from palabre.server.export.pdf import render_pdf
from palabre.server.export.word import render_docx


@dataclass(frozen=True)
class Format:
    name: str
    media_type: str
    render: Callable[[Snapshot, ExportOptions], bytes]


def _document(
    renderer: Callable[[ExportDocument], bytes],
) -> Callable[[Snapshot, ExportOptions], bytes]:
    return lambda snapshot, options: renderer(compose(snapshot, options))


FORMATS = {
    f.name: f
    for f in (
        Format("md", "text/markdown; charset=utf-8", lambda s, o: s.markdown.encode("utf-8")),
        Format("html", "text/html; charset=utf-8", _document(render_html)),
        Format(
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            _document(render_docx),
        ),
        Format("odt", "application/vnd.oasis.opendocument.text", _document(render_odt)),
        Format("pdf", "application/pdf", _document(render_pdf)),
        Format("json", "application/json", render_bundle),
    )
}


def render(snapshot: Snapshot, options: ExportOptions) -> bytes:
    """The export's bytes: the same snapshot and options always give the same bytes."""
    return FORMATS[options.format].render(snapshot, options)
