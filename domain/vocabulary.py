"""The committee's words, in French and English: vote choices, decisions, rule modes and
ballots, quorum, countries, how an interview was held. One data file (``vocabulary.json``,
beside this module) is read here by the server's French and English labels (meeting minutes,
exports, change notes) and bundled into the web page by its build, so a decision reads
"adoptée" and an objection "Objection" everywhere.

The keys are the API's values (``approve``, ``accepted``, ``majority``...); a missing word is a
packaging error and fails loudly (KeyError), never falls back to English.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources
from typing import Literal

Lang = Literal["fr", "en"]
LANGUAGES: tuple[Lang, ...] = ("fr", "en")
SECTIONS = ("choice", "decision", "mode", "ballot", "quorum", "country", "interview")


@dataclass(frozen=True)
class Words:
    """One language's committee words, each a mapping from the API's value to the word."""

    choice: dict[str, str]  # approve, abstain, object
    decision: dict[str, str]  # accepted, rejected
    mode: dict[str, str]  # majority, consent
    ballot: dict[str, str]  # open, secret: the whole phrase ("scrutin public")
    quorum: dict[str, str]  # met, missed
    country: dict[str, str]  # FR, TG
    interview: dict[str, str]  # on_site, video, phone: an interview's mode


@functools.cache
def words(lang: Lang) -> Words:
    source = resources.files(__package__).joinpath("vocabulary.json").read_text("utf-8")
    entries = json.loads(source)[lang]
    return Words(**{section: dict(entries[section]) for section in SECTIONS})


def capitalised(word: str) -> str:
    """``adoptée`` → ``Adoptée`` (a word opening a sentence)."""
    return word[:1].upper() + word[1:]
