"""The words of an export, in French (the default) and English, and dates in the reader's
time zone, always with the zone shown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from palabre.server.export.minutes import MONTHS, NBSP, WEEKDAYS

MONTHS_EN = (
    *("January", "February", "March", "April", "May", "June"),
    *("July", "August", "September", "October", "November", "December"),
)
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Labels:
    lang: str
    colon: str  # French puts a (non-breaking) space before the colon
    version: str  # "Version validée v{number} : « {label} »"
    state: str  # "État au {date}, position {position} de l'historique"
    current: str  # "Texte en cours, état au {date}, position {position} de l'historique"
    file_state: str  # file names: "etat-{position}"
    decision: str
    no_decision: str
    accepted: str  # "acceptée le {date}"
    by: str
    operator: str
    meeting: str
    no_meeting: str
    rule: str
    rule_words: str  # "quorum {quorum}, {mode}, scrutin {ballot}"
    modes: dict[str, str]
    ballots: dict[str, str]
    result: str  # the tally sentence
    quorum_met: tuple[str, str]  # (not met, met)
    votes_heading: str
    vote_columns: tuple[str, str, str, str, str]
    choices: dict[str, str]
    countries: dict[str, str]
    sha256: str
    pinned: str
    mismatch: str
    chain: str
    chain_sealed: str  # "{link} (notification {position}), sealed by the decision"
    chain_now: str
    chain_missing: str
    notes_heading: str
    notes_open_heading: str
    status: dict[str, str]
    replies: str
    section: str
    contributors_heading: str
    contributor_columns: tuple[str, str, str, str]
    no_contributors: str
    suggestions_heading: str
    suggestions_open_heading: str
    no_suggestions: str
    insertion: str  # "Insérer"
    deletion: str  # "Supprimer"
    suggestion_reason: str
    fate: str
    fates: dict[str, str]  # per status: "acceptée le {date}"...
    by_committee: str
    amendments: str  # the cover's field: amendments decided in the meeting
    amendment_outcomes: dict[str, str]
    not_applied: str


FRENCH = Labels(
    lang="fr",
    colon=NBSP + ":",
    version="Version validée v{number}\u00a0: «\u00a0{label}\u00a0»",
    state="État au {date}, position {position} de l’historique",
    current="Texte en cours, état au {date}, position {position} de l’historique",
    file_state="etat",
    decision="Décision",
    no_decision="aucune : ce texte n’est pas une version validée",
    accepted="acceptée le {date}",
    by="par",
    operator="l’opérateur (ligne de commande)",
    meeting="Séance",
    no_meeting="hors séance",
    rule="Règle",
    rule_words="quorum {quorum}, {mode}, scrutin {ballot}",
    modes={"majority": "majorité", "consent": "consentement"},
    ballots={"open": "public", "secret": "secret"},
    result="Résultat",
    quorum_met=("quorum non atteint", "quorum atteint"),
    votes_heading="Avis par structure",
    vote_columns=("Structure", "Pays", "Votant", "Avis", "Motif"),
    choices={"approve": "Pour", "abstain": "Abstention", "object": "Objection"},
    countries={"FR": "France", "TG": "Togo"},
    sha256="Empreinte SHA-256 du texte",
    pinned="Empreinte épinglée par la proposition",
    mismatch="ATTENTION : le texte reconstruit ne correspond pas à l’empreinte validée",
    chain="Tête de la chaîne d’audit",
    chain_sealed="{link} (événement n°{nbsp}{position}), scellée par la décision",
    chain_now="{link} (événement n°{nbsp}{position}), au moment de l’export",
    chain_missing="non enregistrée (décision antérieure à la chaîne d’audit)",
    notes_heading="Commentaires",
    notes_open_heading="Commentaires ouverts",
    status={"open": "ouvert", "resolved": "résolu"},
    replies="Réponses",
    section="section",
    contributors_heading="Contributeurs par structure",
    contributor_columns=("Structure", "Pays", "Membre", "Caractères"),
    no_contributors="Aucun caractère de ce texte n’est attribué.",
    suggestions_heading="Suggestions",
    suggestions_open_heading="Suggestions en attente",
    no_suggestions="Aucune suggestion.",
    insertion="Insérer",
    deletion="Supprimer",
    suggestion_reason="Motif",
    fate="Suite donnée",
    fates={
        "open": "en attente de décision",
        "accepted": "acceptée le {date}",
        "rejected": "rejetée le {date}",
        "withdrawn": "retirée le {date}",
    },
    by_committee="le comité, par un vote sur les amendements",
    amendments="Amendements décidés en séance",
    amendment_outcomes={"accepted": "adopté", "rejected": "rejeté"},
    not_applied="non appliqué : le passage avait changé",
)

ENGLISH = Labels(
    lang="en",
    colon=":",
    version="Approved version v{number}: “{label}”",
    state="As of {date}, position {position} of the history",
    current="Current text, as of {date}, position {position} of the history",
    file_state="state",
    decision="Decision",
    no_decision="none: this text is not an approved version",
    accepted="accepted on {date}",
    by="by",
    operator="the operator (command line)",
    meeting="Meeting",
    no_meeting="outside any meeting",
    rule="Rule",
    rule_words="quorum {quorum}, {mode}, {ballot} ballot",
    modes={"majority": "majority", "consent": "consent"},
    ballots={"open": "open", "secret": "secret"},
    result="Result",
    quorum_met=("quorum not met", "quorum met"),
    votes_heading="Votes by organisation",
    vote_columns=("Organisation", "Country", "Voter", "Vote", "Reason"),
    choices={"approve": "Approve", "abstain": "Abstain", "object": "Object"},
    countries={"FR": "France", "TG": "Togo"},
    sha256="SHA-256 of the text",
    pinned="SHA-256 pinned by the proposal",
    mismatch="WARNING: the rebuilt text does not match the approved hash",
    chain="Audit chain head",
    chain_sealed="{link} (event no.{nbsp}{position}), sealed by the decision",
    chain_now="{link} (event no.{nbsp}{position}), when exported",
    chain_missing="not recorded (the decision predates the audit chain)",
    notes_heading="Comments",
    notes_open_heading="Open comments",
    status={"open": "open", "resolved": "resolved"},
    replies="Replies",
    section="section",
    contributors_heading="Contributors by organisation",
    contributor_columns=("Organisation", "Country", "Member", "Characters"),
    no_contributors="No character of this text is attributed.",
    suggestions_heading="Suggestions",
    suggestions_open_heading="Pending suggestions",
    no_suggestions="No suggestion.",
    insertion="Insert",
    deletion="Delete",
    suggestion_reason="Reason",
    fate="Outcome",
    fates={
        "open": "awaiting a decision",
        "accepted": "accepted on {date}",
        "rejected": "rejected on {date}",
        "withdrawn": "withdrawn on {date}",
    },
    by_committee="the committee, by a vote on amendments",
    amendments="Amendments decided in the meeting",
    amendment_outcomes={"accepted": "adopted", "rejected": "rejected"},
    not_applied="not applied: the passage had changed",
)

LABELS = {"fr": FRENCH, "en": ENGLISH}


def labels(lang: str) -> Labels:
    return LABELS[lang]


def zone_name(zone: ZoneInfo, when: datetime) -> str:
    """``UTC``, or the zone's name with its offset at that moment: ``Africa/Lome, UTC+00:00``."""
    if zone.key == "UTC":
        return "UTC"
    offset = when.astimezone(zone).strftime("%z")
    return f"{zone.key}, UTC{offset[:3]}:{offset[3:]}"


def long_datetime(when: datetime, zone: ZoneInfo, lang: str) -> str:
    """``23 novembre 2026 à 14:02 (Europe/Paris, UTC+01:00)``; ``23 November 2026 at 14:02
    (UTC)``."""
    local = when.astimezone(zone)
    clock = f"{local:%H:%M}"
    if lang == "fr":
        day = "1er" if local.day == 1 else str(local.day)
        text = f"{day} {MONTHS[local.month - 1]} {local.year} à {clock}"
    else:
        text = f"{local.day} {MONTHS_EN[local.month - 1]} {local.year} at {clock}"
    return f"{text} ({zone_name(zone, when)})"


def long_date(iso: str, lang: str) -> str:
    """A calendar date (a meeting's): ``lundi 23 novembre 2026``, ``Monday 23 November 2026``."""
    day = date.fromisoformat(iso)
    if lang == "fr":
        number = "1er" if day.day == 1 else str(day.day)
        return f"{WEEKDAYS[day.weekday()]} {number} {MONTHS[day.month - 1]} {day.year}"
    return f"{WEEKDAYS_EN[day.weekday()]} {day.day} {MONTHS_EN[day.month - 1]} {day.year}"


def percent(share: float, lang: str) -> str:
    number = f"{share * 100:.4g}"
    return f"{number.replace('.', ',')}{NBSP}%" if lang == "fr" else f"{number}%"
