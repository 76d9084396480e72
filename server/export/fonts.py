"""The fonts of the exports: where the PDF's DejaVu TrueType files are, their registration with
ReportLab, and the text metrics that size table columns in every format.

- :class:`Fonts` names the folders searched (the ``PALABRE_EXPORT_FONTS`` setting; Debian's
  ``/usr/share/fonts/truetype/dejavu`` by default). :meth:`Fonts.register` checks that every
  face is there, every time, and raises :class:`MissingFonts` naming each missing file, the
  folders and the Debian packages, which the HTTP and command-line edges show as an error.
- :func:`pdf_width` measures with the registered faces (the PDF's own fonts);
  :func:`office_width` measures without any font file, from the metrics ReportLab carries for
  Helvetica and Courier, widened so that a column fits its longest word in each font a reader of
  the DOCX or ODT may end with (Times New Roman, Arial, Liberation, DejaVu: the widest).

Registration is process-wide in ReportLab (fonts are found by name); a lock keeps it whole.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

from palabre.server.export.columns import Width
from palabre.server.export.errors import MissingFonts
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

DEFAULT_FOLDERS = (Path("/usr/share/fonts/truetype/dejavu"),)
PACKAGES = "fonts-dejavu-core fonts-dejavu-extra"
# ReportLab's family name: the files' stem, then the bold, italic and bold italic suffixes.
FAMILIES = {
    "Serif": ("DejaVuSerif", "-Bold", "-Italic", "-BoldItalic"),
    "Sans": ("DejaVuSans", "-Bold", "-Oblique", "-BoldOblique"),
    "Mono": ("DejaVuSansMono", "-Bold", "-Oblique", "-BoldOblique"),
}
FACES = ("", "-Bold", "-Italic", "-BoldItalic")
# DejaVu Serif is up to a fifth wider than Helvetica on French words (Times New Roman and
# Arial are narrower still), and more on a few narrow letters (i, l, t): a quarter wider, and
# a quarter of an em more per word. DejaVu Sans Mono and Courier New: both 0.6 em a letter.
OFFICE_WIDENING = 1.25
OFFICE_MARGIN = 0.25
MONO_WIDENING = 1.02

_lock = threading.Lock()
_registered: dict[str, Path] = {}  # ReportLab font name -> the file registered under it


@dataclass(frozen=True)
class Fonts:
    folders: tuple[Path, ...] = DEFAULT_FOLDERS

    @classmethod
    def from_setting(cls, value: str) -> Fonts:
        """Folders separated by ``:`` (``os.pathsep``); empty: the default."""
        folders = tuple(Path(part) for part in value.split(os.pathsep) if part.strip())
        return cls(folders or DEFAULT_FOLDERS)

    def files(self) -> dict[str, Path]:
        """ReportLab font name (``Serif-Bold``) -> its file, or MissingFonts naming them all."""
        found: dict[str, Path] = {}
        missing: list[str] = []
        for family, (stem, *suffixes) in FAMILIES.items():
            for face, suffix in zip(FACES, ("", *suffixes), strict=True):
                name = f"{stem}{suffix}.ttf"
                path = next((f / name for f in self.folders if (f / name).is_file()), None)
                if path is None:
                    missing.append(name)
                else:
                    found[family + face] = path
        if missing:
            raise MissingFonts(
                f"PDF exports need the DejaVu fonts: {', '.join(missing)} not found in "
                f"{', '.join(map(str, self.folders))} (Debian: apt-get install {PACKAGES}; "
                "or point PALABRE_EXPORT_FONTS at the folder that holds them)"
            )
        return found

    def register(self) -> None:
        """Make the faces known to ReportLab as Serif, Sans and Mono (with -Bold, -Italic,
        -BoldItalic), from these folders."""
        files = self.files()
        with _lock:
            for name, path in files.items():
                if _registered.get(name) != path:
                    pdfmetrics.registerFont(TTFont(name, str(path)))
                    _registered[name] = path
            for family in FAMILIES:
                pdfmetrics.registerFontFamily(
                    family,
                    normal=family,
                    bold=family + "-Bold",
                    italic=family + "-Italic",
                    boldItalic=family + "-BoldItalic",
                )


def pdf_width(family: str) -> Width:
    """Widths in em in the PDF's registered faces of ``family`` (``Serif``; code in Mono)."""

    def width(text: str, bold: bool, code: bool) -> float:
        face = ("Mono" if code else family) + ("-Bold" if bold else "")
        return pdfmetrics.stringWidth(text, face, 1)

    return width


def office_width(text: str, bold: bool, code: bool) -> float:
    """Widths in em that no reader's font exceeds on ordinary words (see the module's notes)."""
    if code:
        return pdfmetrics.stringWidth(text, "Courier", 1) * MONO_WIDENING
    face = "Helvetica-Bold" if bold else "Helvetica"
    margin = 0.0 if text.isspace() else OFFICE_MARGIN
    return pdfmetrics.stringWidth(text, face, 1) * OFFICE_WIDENING + margin
