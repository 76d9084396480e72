"""Each export format: its media type and how it is made from the snapshot; and the one place
where a renderer's failure becomes an error the edges answer in their documented shape."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from palabre.domain.errors import PalabreError
from palabre.server.export.bundle import render_bundle
from palabre.server.export.compose import compose
from palabre.server.export.errors import ExportFailed
from palabre.server.export.fonts import Fonts
from palabre.server.export.html_page import render_html
from palabre.server.export.model import ExportOptions, Snapshot
from palabre.server.export.opendocument import render_odt
from palabre.server.export.pdf import render_pdf
from palabre.server.export.word import render_docx

log = logging.getLogger("palabre.export")

Renderer = Callable[[Snapshot, ExportOptions, Fonts], bytes]


@dataclass(frozen=True)
class Format:
    name: str
    media_type: str
    render: Renderer


FORMATS = {
    f.name: f
    for f in (
        Format("md", "text/markdown; charset=utf-8", lambda s, o, f: s.markdown.encode("utf-8")),
        Format("html", "text/html; charset=utf-8", lambda s, o, f: render_html(compose(s, o))),
        Format(
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            lambda s, o, f: render_docx(compose(s, o)),
        ),
        Format(
            "odt",
            "application/vnd.oasis.opendocument.text",
            lambda s, o, f: render_odt(compose(s, o)),
        ),
        Format("pdf", "application/pdf", lambda s, o, f: render_pdf(compose(s, o), f)),
        Format("json", "application/json", lambda s, o, f: render_bundle(s, o)),
    )
}


def render(snapshot: Snapshot, options: ExportOptions, fonts: Fonts | None = None) -> bytes:
    """The export's bytes: the same snapshot and options always give the same bytes. A
    failure is a PalabreError (ExportFailed, MissingFonts) whose message says what went wrong;
    an unexpected one is logged with its traceback first."""
    try:
        return FORMATS[options.format].render(snapshot, options, fonts or Fonts())
    except PalabreError:
        raise
    except Exception as error:
        log.exception("the %s export of document %s failed", options.format, snapshot.document_id)
        raise ExportFailed(
            f"the {options.format} export could not be made: {type(error).__name__}: {error}"
        ) from error
