"""Meeting minutes [procès-verbal]: a meeting's record rendered as French Markdown."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from palabre.domain.vocabulary import capitalised, words

MONTHS = (
    *("janvier", "février", "mars", "avril", "mai", "juin"),
    *("juillet", "août", "septembre", "octobre", "novembre", "décembre"),
)
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
FRENCH = words("fr")  # the committee's words, shared with the exports and the web page
COUNTRIES = FRENCH.country
CHOICES = FRENCH.choice
MODES = FRENCH.mode
BALLOTS = FRENCH.ballot
NBSP = "\u00a0"


def render_minutes(document_title: str, record: Mapping[str, Any]) -> str:
    """The procès-verbal of one meeting, from its JSON record (so both always agree)."""
    status = "close" if record["status"] == "closed" else "en cours"
    lines = [
        f"# Procès-verbal : {record['title']}",
        "",
        f"- Référentiel : {document_title}",
        f"- Date : {french_date(record['date'])}",
        f"- Séance : {status}",
        "",
        *_minutes_attendance(record["attendance"]),
        "## Propositions",
        "",
    ]
    if not record["proposals"]:
        lines += ["Aucune proposition n'a été soumise pendant cette séance.", ""]
    for proposal in record["proposals"]:
        lines += _minutes_proposal(proposal)
    return "\n".join(lines).rstrip("\n") + "\n"


def french_date(iso: str) -> str:
    day = date.fromisoformat(iso)
    number = "1er" if day.day == 1 else str(day.day)
    return f"{WEEKDAYS[day.weekday()]} {number} {MONTHS[day.month - 1]} {day.year}"


def _minutes_attendance(attendance: list[Mapping[str, Any]]) -> list[str]:
    people = sum(len(row["members"]) for row in attendance)
    lines = ["## Présents par structure", ""]
    if not attendance:
        return [*lines, "Aucune présence enregistrée.", ""]
    lines += [f"{people} présent(s), {len(attendance)} structure(s) représentée(s).", ""]
    for country in ("FR", "TG"):
        rows = [row for row in attendance if row["country"] == country]
        if rows:
            lines += [f"### {COUNTRIES[country]}", ""]
            for row in rows:
                names = ", ".join(m["name"] for m in row["members"])
                lines.append(f"- {row['organisation']} : {names}")
            lines.append("")
    return lines


def _minutes_proposal(proposal: Mapping[str, Any]) -> list[str]:
    rule = (proposal["tally"] or {}).get("rule")
    lines = [
        f"### Proposition n°{NBSP}{proposal['number']} : {proposal['label']}",
        "",
        f"- Texte proposé : position {proposal['position']} de l'historique, "
        f"empreinte SHA-256 `{proposal['sha256']}`",
        f"- Statut : {'ouverte' if proposal['status'] == 'open' else 'close'}",
    ]
    if rule is not None:
        lines.append(f"- Règle : {_rule_words(rule)}")
    lines += ["", "#### Avis", "", *_minutes_votes(proposal), "#### Décision", ""]
    return [*lines, *_minutes_decision(proposal), ""]


def _minutes_votes(proposal: Mapping[str, Any]) -> list[str]:
    votes = proposal["votes"]
    if not votes:
        return ["Aucun avis exprimé.", ""]
    if proposal["status"] == "open" and proposal["ballot"] == "secret":
        return [
            f"Scrutin secret en cours : {len(votes)} structure(s) ont donné leur avis ; "
            "le sens des avis sera publié à la clôture.",
            "",
        ]
    lines = ["| Structure | Pays | Avis | Motif |", "|---|---|---|---|"]
    for vote in votes:
        cells = [vote["organisation"], COUNTRIES[vote["country"]], CHOICES[vote["vote"]]]
        lines.append("| " + " | ".join(_cell(c) for c in [*cells, vote["reason"]]) + " |")
    return [*lines, ""]


def _minutes_decision(proposal: Mapping[str, Any]) -> list[str]:
    tally = proposal["tally"]
    if proposal["decision"] is None or tally is None:
        return ["Décision en attente."]
    if proposal["decision"] == "accepted":
        adopted = capitalised(FRENCH.decision["accepted"])
        verdict = f"**{adopted}** : le texte devient la version validée v{proposal['version']}."
    else:
        verdict = f"**{capitalised(FRENCH.decision['rejected'])}** : le texte n'est pas validé."
    quorum = capitalised(FRENCH.quorum["met" if tally["quorum_met"] else "missed"])
    counts = ", ".join(f"{CHOICES[choice]} : {tally[choice]}" for choice in CHOICES)
    return [
        verdict,
        "",
        f"{quorum} : {tally['voted']} structure(s) sur {tally['voting_organisations']} "
        f"ayant voix. {counts}.",
    ]


def _rule_words(rule: Mapping[str, Any]) -> str:
    quorum = f"{float(rule['quorum']) * 100:.4g}{NBSP}%"
    return f"quorum {quorum}, {MODES[rule['mode']]}, {BALLOTS[rule['ballot']]}"


def _cell(value: object) -> str:
    return " ".join(str(value).split()).replace("|", "\\|")
