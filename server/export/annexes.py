"""Two annexes of an export, as blocks of the format-independent model (``model.py``), in the
reader's language (the committee's words, countries and interview modes, from the shared
vocabulary, ``domain/vocabulary.json``):

- "Évolutions depuis la vN": the change note from version N to the exported text
  (``answers/change_note.py`` writes it in Markdown; it is parsed here like the text);
- "Sources": the interviews the exported text cites (date, organisations heard and their
  country, mode, the sections that draw on them), then the coverage by section (cited
  interviews, and how many heard France and Togo). Never an interview's notes: the facts
  this reads (``SourcesAnnex``) do not hold them.
"""

from __future__ import annotations

from dataclasses import dataclass

from palabre.domain import vocabulary
from palabre.server.export import markdown
from palabre.server.export.labels import long_date
from palabre.server.export.model import (
    Block,
    ChangesSince,
    Heading,
    Paragraph,
    SourcedInterview,
    SourcesAnnex,
    Span,
    Table,
)


@dataclass(frozen=True)
class AnnexWords:
    changes: str  # "Évolutions depuis la v{number}"
    sources: str
    summary: str  # "{recorded} entretien(s) enregistré(s), {cited} cité(s) ..."
    none_cited: str
    cited: str
    cited_columns: tuple[str, str, str, str]
    coverage: str
    coverage_columns: tuple[str, str, str, str]
    preamble: str


FRENCH = AnnexWords(
    changes="Évolutions depuis la v{number}",
    sources="Sources",
    summary=(
        "Entretiens enregistrés\u00a0: {recorded}\u00a0; cités par ce texte\u00a0: {cited}, "
        "dont {fr} avec des structures de France et {tg} avec des structures du Togo."
    ),
    none_cited="Aucun entretien n’est cité par ce texte.",
    cited="Entretiens cités",
    cited_columns=("Date", "Structures entendues", "Mode", "Sections"),
    coverage="Sources par section",
    coverage_columns=("Section", "Entretiens", "France", "Togo"),
    preamble="(introduction)",
)
ENGLISH = AnnexWords(
    changes="Changes since v{number}",
    sources="Sources",
    summary=(
        "Interviews recorded: {recorded}; cited by this text: {cited}, of which {fr} with "
        "organisations from France and {tg} with organisations from Togo."
    ),
    none_cited="No interview is cited by this text.",
    cited="Interviews cited",
    cited_columns=("Date", "Organisations heard", "Mode", "Sections"),
    coverage="Sources by section",
    coverage_columns=("Section", "Interviews", "France", "Togo"),
    preamble="(introduction)",
)
WORDS = {"fr": FRENCH, "en": ENGLISH}


def changes_blocks(changes: ChangesSince, lang: str) -> list[Block]:
    title = WORDS[lang].changes.format(number=changes.number)
    return [Heading(1, (Span(title),)), *markdown.parse(changes.note)]


def sources_blocks(annex: SourcesAnnex, lang: str) -> list[Block]:
    words = WORDS[lang]
    blocks: list[Block] = [Heading(1, (Span(words.sources),))]
    heard = [{country for _, country in i.organisations} for i in annex.cited]
    summary = words.summary.format(
        recorded=annex.recorded,
        cited=len(annex.cited),
        fr=sum("FR" in countries for countries in heard),
        tg=sum("TG" in countries for countries in heard),
    )
    blocks.append(Paragraph((Span(summary),)))
    if not annex.cited:
        blocks.append(Paragraph((Span(words.none_cited),)))
        return blocks
    blocks.append(Heading(2, (Span(words.cited),)))
    rows = tuple(_cited(interview, lang, words) for interview in annex.cited)
    blocks.append(Table(_header(words.cited_columns), rows, ("",) * 4))
    blocks.append(Heading(2, (Span(words.coverage),)))
    coverage = tuple(
        (
            (Span(section.heading or words.preamble),),
            (Span(str(section.interviews)),),
            (Span(str(section.countries.get("FR", 0))),),
            (Span(str(section.countries.get("TG", 0))),),
        )
        for section in annex.sections
    )
    blocks.append(Table(_header(words.coverage_columns), coverage, ("", "right", "right", "right")))
    return blocks


def _cited(
    interview: SourcedInterview, lang: str, words: AnnexWords
) -> tuple[tuple[Span, ...], ...]:
    committee = vocabulary.words(_lang(lang))
    heard = ", ".join(
        f"{name} ({committee.country.get(country, country)})"
        for name, country in interview.organisations
    )
    sections = "\u00a0; " if lang == "fr" else "; "
    return (
        (Span(long_date(interview.date, lang)),),
        (Span(heard),),
        (Span(committee.interview.get(interview.mode, interview.mode)),),
        (Span(sections.join(s or words.preamble for s in interview.sections)),),
    )


def _lang(lang: str) -> vocabulary.Lang:
    return "en" if lang == "en" else "fr"


def _header(columns: tuple[str, ...]) -> tuple[tuple[Span, ...], ...]:
    return tuple((Span(name),) for name in columns)
