"""The words of an export, in French (the default) and English, and dates in the reader's
time zone, always with the zone shown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from palabre.domain.vocabulary import words
from palabre.server.export.minutes import MONTHS, NBSP, WEEKDAYS

FR, EN = words("fr"), words("en")  # the committee's words, shared with the minutes and the page

MONTHS_EN = (
    *("January", "February", "March", "April", "May", "June"),
    *("July", "August", "September", "October", "November", "December"),
)
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Labels:
    lang: str
    language: str  # BCP 47, for the files' language tags: "fr-FR", "en-GB"
    colon: str  # French puts a (non-breaking) space before the colon
    semicolon: str  # likewise
    version: str  # "Version validée v{number} : « {label} »"
    state: str  # "État au {date}, après {contributions}"
    current: str  # "Texte en cours, état au {date}, après {contributions}"
    contributions: tuple[str, str, str]  # none, one, many ("{n} contributions")
    footer_state: str  # "état au {date}": a point of the history, in the footer
    file_state: str  # file names: "etat" (then the day and time)
    decision: str
    no_decision: str
    decided: str  # "adoptée par le comité le {date}" (the vocabulary's word)
    closed_by: str  # "vote clos par"
    operator: str
    meeting: str
    no_meeting: str
    rule: str
    rule_words: str  # "quorum {quorum}, {mode}, {ballot}"
    modes: dict[str, str]
    ballots: dict[str, str]
    result: str
    quorum_met: tuple[str, str]  # (not met, met)
    voted: tuple[str, str, str]  # none, one, many of {total} voting {noun} voted
    organisations: tuple[str, str]  # the {noun} above, agreeing with {total}
    tally: dict[str, tuple[str, str]]  # per choice: (one, many), "{n} objection(s)"
    not_voted: tuple[str, str]  # the field naming who did not vote: one, many
    votes_heading: str
    vote_columns: tuple[str, str, str, str]
    reason_for: dict[str, str]  # "Motif de l’objection", before "— organisation (voter) : …"
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
    fates: dict[str, str]  # per status: "acceptée le {date} par " (then who)...
    by_committee: str
    amendments: str  # the cover's field: amendments decided in the meeting
    amendment_outcomes: dict[str, str]
    not_applied: str

    def plural(self, forms: tuple[str, str], count: int) -> str:
        """The form for ``count``: French counts 0 and 1 as singular, English only 1."""
        one = count in (0, 1) if self.lang == "fr" else count == 1
        return (forms[0] if one else forms[1]).format(n=count, nbsp=NBSP)

    def counted(self, forms: tuple[str, str, str], count: int, **values: object) -> str:
        """``forms`` for none, one, many: "aucune contribution", "1 contribution", "{n} …"."""
        form = forms[0] if count == 0 else forms[1] if count == 1 else forms[2]
        return form.format(n=count, nbsp=NBSP, **values)


FRENCH = Labels(
    lang="fr",
    language="fr-FR",
    colon=NBSP + ":",
    semicolon=NBSP + ";",
    version="Version validée v{number}\u00a0: «\u00a0{label}\u00a0»",
    state="État au {date}, après {contributions}",
    current="Texte en cours, état au {date}, après {contributions}",
    contributions=("aucune contribution", "1 contribution", "{n} contributions"),
    footer_state="état au {date}",
    file_state="etat",
    decision="Décision",
    no_decision="aucune : ce texte n’est pas une version validée",
    decided=FR.decision["accepted"] + " par le comité le {date}",
    closed_by="vote clos par",
    operator="l’opérateur (ligne de commande)",
    meeting="Séance",
    no_meeting="hors séance",
    rule="Règle",
    rule_words="quorum {quorum}, {mode}, {ballot}",
    modes=FR.mode,
    ballots=FR.ballot,
    result="Résultat",
    quorum_met=(FR.quorum["missed"], FR.quorum["met"]),
    voted=(
        "aucune des {total} structures ayant voix n’a donné son avis",
        "1 structure sur {total} ayant voix a donné son avis",
        "{n} structures sur {total} ayant voix ont donné leur avis",
    ),
    organisations=("structure", "structures"),
    tally={
        "approve": ("{n} pour", "{n} pour"),
        "abstain": ("{n} abstention", "{n} abstentions"),
        "object": ("{n} objection", "{n} objections"),
    },
    not_voted=("Structure ayant voix qui n’a pas voté", "Structures ayant voix qui n’ont pas voté"),
    votes_heading="Avis par structure",
    vote_columns=("Structure", "Pays", "Votant", "Avis"),
    reason_for={
        "approve": "Motif de l’avis favorable",
        "abstain": "Motif de l’abstention",
        "object": "Motif de l’objection",
    },
    choices=FR.choice,
    countries=FR.country,
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
        "accepted": "acceptée le {date} par ",
        "rejected": "rejetée le {date} par ",
        "withdrawn": "retirée le {date}",
    },
    by_committee="le comité, par un vote sur les amendements",
    amendments="Amendements décidés en séance",
    amendment_outcomes={"accepted": "adopté", "rejected": "rejeté"},
    not_applied="non appliqué : le passage avait changé",
)

ENGLISH = Labels(
    lang="en",
    language="en-GB",
    colon=":",
    semicolon=";",
    version="Approved version v{number}: “{label}”",
    state="As of {date}, after {contributions}",
    current="Current text, as of {date}, after {contributions}",
    contributions=("no contribution", "1 contribution", "{n} contributions"),
    footer_state="as of {date}",
    file_state="state",
    decision="Decision",
    no_decision="none: this text is not an approved version",
    decided=EN.decision["accepted"] + " by the committee on {date}",
    closed_by="vote closed by",
    operator="the operator (command line)",
    meeting="Meeting",
    no_meeting="outside any meeting",
    rule="Rule",
    rule_words="quorum {quorum}, {mode}, {ballot}",
    modes=EN.mode,
    ballots=EN.ballot,
    result="Result",
    quorum_met=(EN.quorum["missed"], EN.quorum["met"]),
    voted=(
        "none of the {total} voting {noun} voted",
        "1 of {total} voting {noun} voted",
        "{n} of {total} voting {noun} voted",
    ),
    organisations=("organisation", "organisations"),
    tally={
        "approve": ("{n} approval", "{n} approvals"),
        "abstain": ("{n} abstention", "{n} abstentions"),
        "object": ("{n} objection", "{n} objections"),
    },
    not_voted=("Voting organisation that did not vote", "Voting organisations that did not vote"),
    votes_heading="Votes by organisation",
    vote_columns=("Organisation", "Country", "Voter", "Vote"),
    reason_for={
        "approve": "Reason for the approval",
        "abstain": "Reason for the abstention",
        "object": "Reason for the objection",
    },
    choices=EN.choice,
    countries=EN.country,
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
        "accepted": "accepted on {date} by ",
        "rejected": "rejected on {date} by ",
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


def short_datetime(when: datetime, zone: ZoneInfo, lang: str) -> str:
    """For a footer: ``23/11/2026 14:02 (UTC+01:00)``, ``2026-11-23 14:02 (UTC)``."""
    local = when.astimezone(zone)
    day = f"{local:%d/%m/%Y}" if lang == "fr" else local.date().isoformat()
    offset = local.strftime("%z")
    shown = "UTC" if zone.key == "UTC" else f"UTC{offset[:3]}:{offset[3:]}"
    return f"{day} {local:%H:%M} ({shown})"


def percent(share: float, lang: str) -> str:
    number = f"{share * 100:.4g}"
    return f"{number.replace('.', ',')}{NBSP}%" if lang == "fr" else f"{number}%"
