"""Coverage and balance of sources: which interviews each section of the text draws on, which
organisations they heard, and how many of them heard French and Togolese voices.

Pure standard library, over plain shapes: the text, and for each interview its id, the
organisations it heard, their countries, and where its linked passages stand now (character
ranges; detached links are left out by the caller). Sections are the level-1/2 Markdown
headings (``headings.HEADING``), named as plain text (``headings.plain_heading``: "Le
comité", never "Le **comité**"), as the page and the sessions name them; a passage spanning
several sections counts for each.

Counting, per section: ``interviews`` are the distinct interviews with at least one passage
in it; ``countries[C]`` is how many of those heard at least one organisation of country C (an
interview that heard both countries counts for both); ``organisations`` are the distinct
organisations those interviews heard.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from palabre.projections.authorship import PREAMBLE
from palabre.projections.headings import HEADING, plain_heading

COUNTRIES = ("FR", "TG")


@dataclass(frozen=True)
class Source:
    interview_id: str
    organisations: tuple[str, ...]  # ids of the organisations heard
    countries: frozenset[str]
    ranges: tuple[tuple[int, int], ...]  # [start, end) of each attached passage


@dataclass(frozen=True)
class Section:
    heading: str
    start: int  # character offset of its heading (0 for the preamble)
    end: int


@dataclass
class SectionCoverage:
    heading: str
    interviews: list[str] = field(default_factory=list)  # in the order of the sources
    organisations: list[str] = field(default_factory=list)
    countries: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTRIES, 0))
    links: int = 0


def sections(text: str) -> list[Section]:
    """The text's sections in order; the text before the first heading is one too when it
    holds more than blanks."""
    found = list(HEADING.finditer(text))
    starts = [match.start() for match in found]
    ends = [*starts[1:], len(text)] if starts else []
    listed = [
        Section(plain_heading(match.group(1)), start, end)
        for match, start, end in zip(found, starts, ends, strict=True)
    ]
    first = starts[0] if starts else len(text)
    if text[:first].strip() or not listed:
        listed.insert(0, Section(PREAMBLE, 0, first))
    return listed


def spanned(listed: Sequence[Section], start: int, end: int) -> list[int]:
    """Indexes of the sections a passage ``[start, end)`` touches."""
    return [i for i, section in enumerate(listed) if section.start < end and start < section.end]


@dataclass(frozen=True)
class Coverage:
    sections: list[SectionCoverage]
    cited: dict[str, list[int]]  # interview id -> indexes of the sections citing it, in order

    def headings(self, indexes: Iterable[int]) -> list[str]:
        """The headings of these sections, each once, in text order."""
        return [self.sections[i].heading for i in sorted(set(indexes))]


def coverage(text: str, sources: Sequence[Source]) -> Coverage:
    listed = sections(text)
    found = [SectionCoverage(section.heading) for section in listed]
    cited: dict[str, list[int]] = {}
    for source in sources:
        touched: dict[int, int] = {}
        for start, end in source.ranges:
            for index in spanned(listed, start, end):
                touched[index] = touched.get(index, 0) + 1
        for index in sorted(touched):
            _count(found[index], source, touched[index])
        cited[source.interview_id] = sorted(set(touched) | set(cited.get(source.interview_id, [])))
    return Coverage(found, cited)


def _count(section: SectionCoverage, source: Source, links: int) -> None:
    section.links += links
    if source.interview_id in section.interviews:
        return
    section.interviews.append(source.interview_id)
    for organisation in source.organisations:
        if organisation not in section.organisations:
            section.organisations.append(organisation)
    for country in source.countries:
        section.countries[country] = section.countries.get(country, 0) + 1
