"""The pure parts of sources and change notes, on the edges a page meets while people type:
no heading at all, an empty text, a passage spanning sections, a preamble."""

from __future__ import annotations

from palabre.projections.coverage import Source, coverage, sections
from palabre.projections.section_changes import compare, parts


def source(interview: str, countries: set[str], *ranges: tuple[int, int]) -> Source:
    return Source(interview, (interview + "-org",), frozenset(countries), tuple(ranges))


def test_a_text_without_headings_is_one_section_and_an_empty_one_too() -> None:
    text = "Préambule. # pas un titre\nRelier les acteurs."
    assert [(s.heading, s.start, s.end) for s in sections(text)] == [("", 0, len(text))]
    assert [(s.heading, s.start, s.end) for s in sections("")] == [("", 0, 0)]
    found = coverage(text, [source("a", {"FR"}, (26, 44))])
    assert [(s.heading, s.interviews, s.countries) for s in found.sections] == [
        ("", ["a"], {"FR": 1, "TG": 0})
    ]


def test_a_passage_spanning_sections_counts_for_each_and_an_interview_once() -> None:
    text = "Intro\n# Un\nalpha beta\n## Deux\ngamma\n## Trois\ndelta\n"
    across = (text.index("beta"), text.index("gamma") + 5)
    again = (text.index("alpha"), text.index("alpha") + 5)
    found = coverage(text, [source("a", {"FR", "TG"}, across, again), source("b", {"TG"})])
    assert [(s.heading, s.interviews, s.countries, s.links) for s in found.sections] == [
        ("", [], {"FR": 0, "TG": 0}, 0),
        ("Un", ["a"], {"FR": 1, "TG": 1}, 2),
        ("Deux", ["a"], {"FR": 1, "TG": 1}, 1),
        ("Trois", [], {"FR": 0, "TG": 0}, 0),
    ]
    assert found.cited == {"a": [1, 2], "b": []}
    assert found.headings([2, 1, 2]) == ["Un", "Deux"]


def test_section_changes_without_headings_and_from_nothing() -> None:
    assert parts("") == []
    assert [(p.heading, p.start, p.body_start) for p in parts("Juste du texte.")] == [("", 0, 0)]
    born = compare("", "# Titre\nUn texte.\n")
    assert [(c.heading, c.change, c.words) for c in born.changes] == [("Titre", "added", 3)]
    edited = compare("Un texte.", "Un texte revu.")
    assert [(c.heading, c.change, c.added, c.removed) for c in edited.changes] == [
        ("", "modified", 2, 1)  # "texte." became "texte revu."
    ]
