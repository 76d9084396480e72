"""What a reader sees on each page of a PDF, read back with poppler: ``pdftotext -bbox-layout``
gives every word with its box and the lines poppler groups them into, in reading order.

Used to check any PDF the same way, whoever made it (Palabre's ReportLab, LibreOffice from the
DOCX or ODT, Chromium from the HTML): page numbers, list markers, line starts, split words."""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

XHTML = "{http://www.w3.org/1999/xhtml}"
# Separators between words in the source: every space, breakable or not.
SPACES = re.compile(r"[\s\u00a0\u2007\u202f\u2060]+")
PUNCTUATION = "«»“”\"'’‘;:,.!?()[]…—–-/*=_|"
BREAKS_AFTER = re.compile(r"(?<=[-–—/])")  # where a line may end inside a word


@dataclass(frozen=True)
class Word:
    text: str
    x: float  # left edge, points from the page's left
    y: float  # top edge, points from the page's top
    right: float
    bottom: float

    @property
    def middle(self) -> float:
        return (self.y + self.bottom) / 2

    @property
    def centre(self) -> float:
        return (self.x + self.right) / 2


@dataclass(frozen=True)
class Line:
    words: tuple[Word, ...]

    @property
    def text(self) -> str:
        return " ".join(word.text for word in self.words)


def pages(pdf: Path) -> list[list[Line]]:
    """Each page's lines, top to bottom as poppler reads them."""
    xml = subprocess.run(
        ["pdftotext", "-bbox-layout", str(pdf), "-"],
        check=True,
        capture_output=True,
        timeout=60,
    ).stdout
    root = ElementTree.fromstring(xml)
    found: list[list[Line]] = []
    for page in root.iter(f"{XHTML}page"):
        lines = []
        for line in page.iter(f"{XHTML}line"):
            words = tuple(
                Word(
                    w.text or "",
                    float(w.attrib["xMin"]),
                    float(w.attrib["yMin"]),
                    float(w.attrib["xMax"]),
                    float(w.attrib["yMax"]),
                )
                for w in line.iter(f"{XHTML}word")
            )
            if words:
                lines.append(Line(words))
        found.append(lines)
    return found


def tokens(text: str) -> list[str]:
    """Words as a reader would look them up: split at every space, punctuation stripped."""
    return [word for raw in SPACES.split(text) if (word := raw.strip(PUNCTUATION))]


def vocabulary(texts: list[str]) -> set[str]:
    """Every word of the texts, and what a line may legitimately end or start with inside one:
    the parts on either side of a hyphen or dash ("d’Ille-et-" and "Vilaine")."""
    words: set[str] = set()
    for text in texts:
        for word in tokens(text):
            pieces = [piece for piece in BREAKS_AFTER.split(word) if piece]
            for start in range(len(pieces)):
                for end in range(start + 1, len(pieces) + 1):
                    if part := "".join(pieces[start:end]).strip(PUNCTUATION):
                        words.add(part)
    return words
