"""A référentiel as a committee secretary sends it: about thirteen A4 pages of French with
headings on four levels, lists nested three deep in every combination (bullets in numbers,
numbers in bullets), tables of the sixteen partner organisations, « guillemets » and the narrow
no-break spaces of French typography before ; ? ! and », Ewe letters (ɖ ɛ ɔ ŋ ƒ ʋ), a quote,
code and links; decided on as v1 by sixteen organisations with a vote, one objecting with a
long reason, two abstaining, three not voting.

Built in memory (no store, no server), so the page-by-page tests render it in milliseconds and
spend their time in LibreOffice, pandoc and poppler."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from palabre.server.export.model import (
    Approval,
    ChainSeal,
    Decision,
    Meeting,
    NonVoter,
    Person,
    Snapshot,
    Vote,
)

NBSP = "\u00a0"
NNBSP = "\u202f"  # narrow no-break space: before ; ? ! » and after « in French typography

# (name, country, city, role): sixteen organisations, names as long as real ones.
ORGANISATIONS = (
    ("Département d’Ille-et-Vilaine", "FR", "Rennes", "Financeur, élus"),
    ("Chambre régionale de l’économie sociale et solidaire de Bretagne", "FR", "Rennes", "Réseau"),
    ("Réseau Bretagne Solidaire", "FR", "Lorient", "Solidarité internationale"),
    ("Pôle ESS du Pays de Fougères", "FR", "Fougères", "Accompagnement"),
    ("Université Rennes 2, laboratoire ESO", "FR", "Rennes", "Recherche"),
    ("Coordination Bretagne–Togo", "FR", "Brest", "Coordination"),
    ("Maison des solidarités", "FR", "Quimperlé", "Éducation populaire"),
    ("Collectif des tiers-lieux bretons", "FR", "Saint-Brieuc", "Mise en réseau"),
    ("Fédération des organisations non gouvernementales du Togo", "TG", "Lomé", "Réseau"),
    ("Association Akwaba", "TG", "Atakpamé", "Jeunesse"),
    ("Union des coopératives agricoles", "TG", "Kpalimé", "Production"),
    ("Coordination Lomé", "TG", "Lomé", "Coordination"),
    ("Réseau des femmes entrepreneures", "TG", "Sokodé", "Entrepreneuriat"),
    ("ONG Ɖekawɔwɔ", "TG", "Aného", "Santé communautaire"),
    ("Association Ŋutifafa", "TG", "Tsévié", "Paix et médiation"),
    ("Mutuelle ʋɔdu de Kara", "TG", "Kara", "Protection sociale"),
)
VOTERS = (
    "Gwenaëlle Le Bihan",
    "Yann Le Gall",
    "Soizic Tanguy",
    "Ronan Cadiou",
    "Maëlle Guéguen",
    "Erwan Le Goff",
    "Nolwenn Riou",
    "Loïc Hamon",
    "Afi Mensah",
    "Kodjo Amegah",
    "Yawa Agbeko",
    "Awa Koffi",
    "Ablavi Ekué",
    "Mawuli Dzokoto",
    "Ɛfua Adjo",
    "Komlan Ŋotsè",
)
# Thirteen of the sixteen voted: ten for, two abstentions, one objection.
CHOICES = ("approve",) * 8 + ("object", "abstain", "approve", "approve", "abstain")
OBJECTION = (
    "La place des jeunes et des femmes dans la gouvernance du projet n’est pas assez décrite"
    f"{NNBSP}; nous demandons une section à part entière, avec des engagements chiffrés et un "
    "calendrier, avant la prochaine séance du comité de pilotage à Lomé."
)
TITLE = "Référentiel commun"
WHEN = datetime(2026, 11, 23, 13, 2, tzinfo=UTC)


SENTENCES = (
    "Les structures de l’économie sociale et solidaire de Bretagne et du Togo partagent "
    f"leurs pratiques{NNBSP}: «{NNBSP}faire ensemble{NNBSP}», à Lomé, Kpalimé, Rennes ou "
    "Fougères.",
    f"Que veut dire coopérer à distance{NNBSP}?",
    "Chacune dit ce qu’elle attend du projet, *ce qu’elle apporte* et **ce qu’elle demande** "
    f"aux autres partenaires{NNBSP}; la séance n°{NBSP}NUMBER l’a rappelé{NNBSP}!",
    f"Les noms ewe s’écrivent avec leurs lettres{NNBSP}: Ɖekawɔwɔ, Ŋutifafa, ʋɔdu, Ɛfua, ƒe.",
    f"Un partenaire l’a dit{NNBSP}: «{NNBSP}nous avançons ensemble, pas à pas{NNBSP}».",
    f"Qui finance quoi{NNBSP}? Qui décide{NNBSP}? Le comité{NNBSP}; puis les structures.",
    "Voir [le site du projet](https://example.org/ess/NUMBER).",
)


def _paragraph(number: int) -> str:
    """Sentences in an order that changes with ``number``, so that lines break at different
    places (many of them next to a narrow no-break space)."""
    count = len(SENTENCES)
    chosen = [SENTENCES[(number * 3 + i * (1 + number % 3)) % count] for i in range(count)]
    return " ".join(chosen).replace("NUMBER", str(number)) + "\n\n"


def _organisations_table() -> str:
    rows = [
        "| Structure | Pays | Ville | Rôle dans le projet | Membres |\n",
        "|:--|:-:|:--|:--|--:|\n",
    ]
    for index, (name, country, city, role) in enumerate(ORGANISATIONS, start=1):
        country_name = "France" if country == "FR" else "Togo"
        rows.append(f"| {name} | {country_name} | {city} | {role} | {index * 7} |\n")
    return "".join(rows) + "\n"


def _nested_lists() -> str:
    return (
        "1. Renforcer les coopérations entre structures\n"
        "   - échanges de jeunes entre Fougères et Atakpamé\n"
        "   - formations croisées\n"
        "     1. à Lomé, en février\n"
        "     2. à Rennes, en juin\n"
        "2. Partager les pratiques\n"
        "   1. un guide commun\n"
        "   2. des visites\n"
        "      - de coopératives\n"
        "      - de tiers-lieux\n"
        "3. Évaluer ensemble\n\n"
        "- Des rencontres régulières\n"
        "  1. une séance par trimestre\n"
        "  2. un compte rendu partagé\n"
        "     - en français\n"
        "     - résumé en ewe\n"
        "- Un référentiel validé\n"
        "  - par le comité de pilotage\n"
        "    1. lecture\n"
        "    2. avis des structures\n"
        "- Des moyens partagés\n\n"
    )


def markdown() -> str:
    """The text: six sections of about two pages each."""
    parts = [
        f"# {TITLE}\n\n",
        _paragraph(0),
        f"> «{NNBSP}Le palabre est l’arbre sous lequel on délibère.{NNBSP}» — proverbe ewe\n\n",
    ]
    for number in range(1, 7):
        parts += [
            f"## {number}. Les enjeux du volet n°{NBSP}{number}\n\n",
            _paragraph(number) * 2,
            f"### Ce qu’attendent les structures{NNBSP}?\n\n",
            _nested_lists(),
            _paragraph(number),
            "#### Les structures partenaires\n\n",
            _organisations_table(),
            _paragraph(number),
        ]
        if number == 3:
            parts.append("```\nindicateur = structures_actives / structures_inscrites\n```\n\n")
        if number == 5:
            parts.append("---\n\n")
    return "".join(parts)


def decision() -> Decision:
    votes = tuple(
        Vote(name, country, VOTERS[index], choice, OBJECTION if choice == "object" else "")
        for index, ((name, country, _, _), choice) in enumerate(
            zip(ORGANISATIONS, CHOICES, strict=False)
        )
    )
    silent = tuple(NonVoter(name, country) for name, country, _, _ in ORGANISATIONS[13:])
    return Decision(
        proposal_id="proposal-1",
        outcome="accepted",
        decided_at=WHEN,
        decided_by=Person("Awa Koffi", "Coordination Lomé", "TG"),
        meeting=Meeting("meeting-1", "Comité de pilotage n°\u00a03", "2026-11-23"),
        rule={"quorum": 0.5, "mode": "majority", "ballot": "open"},
        voting_organisations=len(ORGANISATIONS),
        voted=len(votes),
        quorum_met=True,
        approve=CHOICES.count("approve"),
        abstain=CHOICES.count("abstain"),
        object=CHOICES.count("object"),
        votes=votes,
        not_voted=silent,
    )


def snapshot(approved: bool = True) -> Snapshot:
    """v1 as the committee approved it, or (``approved=False``) the same text as a point of
    the history that is not a version."""
    text = markdown()
    sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
    approval = Approval(1, "Première lecture", sha256, True, "", decision()) if approved else None
    return Snapshot(
        document_id="00000000-0000-4000-8000-000000000001",
        title=TITLE,
        markdown=text,
        sha256=sha256,
        position=34,
        current=False,
        at=WHEN,
        approval=approval,
        chain=ChainSeal("c0ffee" + "0" * 58, 412, sealed_by_decision=approved),
    )
