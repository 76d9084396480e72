"""The change note [note d'évolution], written for a reader, in French (the default) or in
English: from the facts ``answers/changes.py`` gathers, a short Markdown text that says which
sections were added, removed, renamed or modified and how many words each touched, which
organisations wrote the changes, which comments were resolved and (once suggestions exist)
which amendments were accepted.

The committee's words (a decision "adoptée", the countries) come from the shared vocabulary
(``domain/vocabulary.json``), as in the minutes, the exports and the page.

Deterministic: no clock is read, lists are in a fixed order, dates are days in the reader's
zone (``tz``, default UTC). The same facts and options give the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from palabre.domain import vocabulary
from palabre.domain.errors import InvalidInput
from palabre.projections.section_changes import SectionChange
from palabre.server.answers.changes import ChangeFacts, Contribution, Endpoint
from palabre.server.export.labels import MONTHS_EN
from palabre.server.export.minutes import MONTHS, NBSP
from palabre.server.export.request import zone


@dataclass(frozen=True)
class Words:
    lang: vocabulary.Lang
    title: Callable[[Endpoint, Endpoint], str]
    from_version: str  # "De la v{number} «{label}» (adoptée le {date})"
    to_version: str  # "à la v{number} ..."
    to_current: str  # "au texte en cours (position {position} de l’historique)"
    to_proposal: str  # "au texte de la proposition n°{number} {label}(position ...)"
    proposed: str  # the title for a proposal: "Évolutions proposées depuis la v{number}"
    sections: str
    no_change: str
    added: str  # "Nouvelle section {heading}"
    removed: str
    renamed: str  # "Section renommée : {previous} devient {heading}"
    modified: str
    counted: str  # "{heading} : {words}"
    word: tuple[str, str]  # singular, plural
    word_added: tuple[str, str]
    word_removed: tuple[str, str]
    unchanged: tuple[str, str]  # "{n} section inchangée", ...
    contributions: str
    characters: tuple[str, str]
    in_sections: str  # "dans {sections}"
    and_: str
    comments: str
    comments_resolved: tuple[str, str]  # "{n} commentaire résolu depuis la v{number}"
    in_section: str  # "{n} dans {heading}"
    no_section: str  # a comment that named no section
    preamble: str
    amendments: str
    quote: Callable[[str], str]
    colon: str
    day: Callable[[datetime], str]


def _french_day(when: datetime) -> str:
    number = "1er" if when.day == 1 else str(when.day)
    return f"{number} {MONTHS[when.month - 1]} {when.year}"


def _english_day(when: datetime) -> str:
    return f"{when.day} {MONTHS_EN[when.month - 1]} {when.year}"


def _french_title(old: Endpoint, new: Endpoint) -> str:
    if new.number is None:
        return f"Évolutions depuis la v{old.number}"
    return f"Évolutions de la v{old.number} à la v{new.number}"


def _english_title(old: Endpoint, new: Endpoint) -> str:
    if new.number is None:
        return f"Changes since v{old.number}"
    return f"Changes from v{old.number} to v{new.number}"


FRENCH = Words(
    lang="fr",
    title=_french_title,
    from_version="De la v{number} {label}({accepted} le {date})",
    to_version="à la v{number} {label}({accepted} le {date})",
    to_current="au texte en cours (position {position} de l’historique)",
    to_proposal=(
        "au texte de la proposition n°{nbsp}{number} {label}(position {position} de l’historique)"
    ),
    proposed="Évolutions proposées depuis la v{number}",
    sections="Sections",
    no_change="Aucune modification du texte.",
    added="Nouvelle section {heading}",
    removed="Section supprimée {heading}",
    renamed="Section renommée{colon} {previous} devient {heading}",
    modified="Section modifiée {heading}",
    counted="{what}{colon} {words}.",
    word=("mot", "mots"),
    word_added=("mot ajouté", "mots ajoutés"),
    word_removed=("mot supprimé", "mots supprimés"),
    unchanged=("{n} section inchangée.", "{n} sections inchangées."),
    contributions="Contributions par structure",
    characters=("caractère", "caractères"),
    in_sections="dans {sections}",
    and_="et",
    comments="Commentaires résolus",
    comments_resolved=(
        "{n} commentaire résolu depuis la v{number}",
        "{n} commentaires résolus depuis la v{number}",
    ),
    in_section="{n} dans {heading}",
    no_section="hors section",
    preamble="l’introduction",
    amendments="Amendements acceptés",
    quote=lambda text: f"«{NBSP}{text}{NBSP}»",
    colon=f"{NBSP}:",
    day=_french_day,
)
ENGLISH = Words(
    lang="en",
    title=_english_title,
    from_version="From v{number} {label}({accepted} on {date})",
    to_version="to v{number} {label}({accepted} on {date})",
    to_current="to the current text (position {position} of the history)",
    to_proposal=(
        "to the text of proposal no.{nbsp}{number} {label}(position {position} of the history)"
    ),
    proposed="Changes proposed since v{number}",
    sections="Sections",
    no_change="No change to the text.",
    added="New section {heading}",
    removed="Removed section {heading}",
    renamed="Renamed section{colon} {previous} becomes {heading}",
    modified="Modified section {heading}",
    counted="{what}{colon} {words}.",
    word=("word", "words"),
    word_added=("word added", "words added"),
    word_removed=("word removed", "words removed"),
    unchanged=("{n} section unchanged.", "{n} sections unchanged."),
    contributions="Contributions by organisation",
    characters=("character", "characters"),
    in_sections="in {sections}",
    and_="and",
    comments="Resolved comments",
    comments_resolved=(
        "{n} comment resolved since v{number}",
        "{n} comments resolved since v{number}",
    ),
    in_section="{n} in {heading}",
    no_section="outside any section",
    preamble="the introduction",
    amendments="Accepted amendments",
    quote=lambda text: f"“{text}”",
    colon=":",
    day=_english_day,
)
WORDS = {"fr": FRENCH, "en": ENGLISH}
PARAMETERS = ("lang", "tz")


def note_options(params: Mapping[str, str]) -> tuple[str, ZoneInfo]:
    """``lang`` (fr or en) and ``tz`` (an IANA zone, for the days of the decisions), from a
    query string or a command line; InvalidInput (400) for anything else."""
    unknown = sorted(set(params) - set(PARAMETERS))
    if unknown:
        raise InvalidInput(f"unknown parameter {unknown[0]!r}; expected lang, tz")
    lang = params.get("lang", "fr")
    if lang not in WORDS:
        raise InvalidInput(f"lang is fr or en, not {lang!r}")
    return lang, zone(params.get("tz", "UTC"))


def change_note(facts: ChangeFacts, lang: str = "fr", zone: ZoneInfo | None = None) -> str:
    """The note, Markdown, ending with one newline."""
    words = WORDS[lang]
    where = zone or ZoneInfo("UTC")
    title = (
        words.title(facts.old, facts.new)
        if facts.new.proposal is None
        else words.proposed.format(number=facts.old.number)
    )
    lines = [f"# {title}", ""]
    old = _endpoint(facts.old, words.from_version, words, where)
    new = _endpoint(facts.new, words.to_version, words, where)
    lines += [f"{old} {new}.", "", f"## {words.sections}", ""]
    lines += _sections(facts, words)
    if facts.contributions:
        lines += ["", f"## {words.contributions}", ""]
        lines += [_contribution(c, words) for c in facts.contributions]
    if facts.comments:
        lines += ["", f"## {words.comments}", "", _comments(facts, words)]
    if facts.amendments:
        lines += ["", f"## {words.amendments}", ""]
        lines += [
            f"- {_heading(a.section, words)}{words.colon} {a.summary}" for a in facts.amendments
        ]
    return "\n".join(lines) + "\n"


def _endpoint(endpoint: Endpoint, template: str, words: Words, zone: ZoneInfo) -> str:
    label = f"{words.quote(endpoint.label)} " if endpoint.label else ""
    if endpoint.proposal is not None:
        return words.to_proposal.format(
            nbsp=NBSP, number=endpoint.proposal, label=label, position=endpoint.position
        )
    if endpoint.number is None:
        return words.to_current.format(position=endpoint.position)
    assert endpoint.decided_at is not None
    day = words.day(endpoint.decided_at.astimezone(zone))
    accepted = vocabulary.words(words.lang).decision["accepted"]
    return template.format(number=endpoint.number, label=label, date=day, accepted=accepted)


def _sections(facts: ChangeFacts, words: Words) -> list[str]:
    changes = facts.comparison.changes
    lines = [f"- {_change(change, words)}" for change in changes]
    if not changes:
        lines.append(words.no_change)
    unchanged = facts.comparison.unchanged
    if unchanged:
        lines += ["", _plural(unchanged, words.unchanged, words).format(n=unchanged)]
    return lines


def _change(change: SectionChange, words: Words) -> str:
    heading = _heading(change.heading, words)
    if change.change in ("added", "removed"):
        what = (words.added if change.change == "added" else words.removed).format(heading=heading)
        total = change.added or change.removed
        count = _count(total, words.word, words)
        return words.counted.format(what=what, colon=words.colon, words=count)
    counts = _counts(change, words)
    if change.change == "renamed":
        previous = _heading(change.previous or "", words)
        what = words.renamed.format(colon=words.colon, previous=previous, heading=heading)
        return f"{what} ({counts})." if counts else f"{what}."
    what = words.modified.format(heading=heading)
    return words.counted.format(what=what, colon=words.colon, words=counts)


def _counts(change: SectionChange, words: Words) -> str:
    said = []
    if change.added:
        said.append(_count(change.added, words.word_added, words))
    if change.removed:
        said.append(_count(change.removed, words.word_removed, words))
    return ", ".join(said)


def _contribution(contribution: Contribution, words: Words) -> str:
    countries = vocabulary.words(words.lang).country
    country = countries.get(contribution.country, contribution.country)
    chars = _count(contribution.characters, words.characters, words)
    where = words.in_sections.format(
        sections=_enumerated([_heading(s, words) for s in contribution.sections], words)
    )
    return f"- {contribution.organisation} ({country}){words.colon} {chars}, {where}."


def _comments(facts: ChangeFacts, words: Words) -> str:
    per_section: dict[str, int] = {}
    for comment in facts.comments:
        per_section[comment.section] = per_section.get(comment.section, 0) + 1
    total = len(facts.comments)
    said = _plural(total, words.comments_resolved, words).format(n=total, number=facts.old.number)
    places = ", ".join(
        words.in_section.format(n=n, heading=words.quote(section) if section else words.no_section)
        for section, n in per_section.items()
    )
    return f"{said}{words.colon} {places}."


def _enumerated(items: list[str], words: Words) -> str:
    """``a``, ``a et b``, ``a, b et c``."""
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} {words.and_} {items[-1]}"


def _heading(heading: str, words: Words) -> str:
    return words.quote(heading) if heading else words.preamble


def _count(n: int, forms: tuple[str, str], words: Words) -> str:
    return f"{n} {_plural(n, forms, words)}"


def _plural(n: int, forms: tuple[str, str], words: Words) -> str:
    """French takes the singular for 0 and 1, English for 1 only."""
    singular = n < 2 if words.lang == "fr" else n == 1
    return forms[0] if singular else forms[1]
