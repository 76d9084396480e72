"""How long does a 100-page export take, in each format?

Builds a référentiel of about 250,000 characters (headings, paragraphs with accents,
« guillemets », non-breaking spaces and ’ apostrophes, emphasis, links, numbered and nested
lists, tables, quotes, code), stores it as contributions in a fresh SQLite file, has a
committee approve it as v1, then measures, in the same process, what
``GET /api/documents/{id}/export?format=F&version=1`` does (gathering the snapshot from the
store, then rendering) for each format, with the comments and contributors appendices.

Target from issue 5: under 5 s per format. Run: ``python -m tests.benchmarks.export [--runs 5]``.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import statistics
import tempfile
import time
from pathlib import Path

import pypdf
from palabre.domain.actor import acting_member
from palabre.domain.application import PalabreApplication
from palabre.domain.comment import Anchor
from palabre.domain.committee import Choice, canonical_sha256
from palabre.domain.contribution import NewContribution
from palabre.domain.ids import DocumentId
from palabre.domain.roles import Country, Role
from palabre.server.bootstrap import open_services
from palabre.server.crdt.replica import rebuild
from palabre.server.export.formats import FORMATS, render
from palabre.server.export.model import ExportOptions
from palabre.server.export.request import zone
from palabre.server.export.snapshot import Sources
from palabre.server.settings import Settings
from pycrdt import Doc, Text

TARGET_SECONDS = 5.0
CHARACTERS = 250_000
NBSP = "\u00a0"
PARAGRAPH = (
    "Les structures de l’économie sociale et solidaire de Bretagne et du Togo "
    f"partagent leurs pratiques{NBSP}: «{NBSP}faire ensemble{NBSP}», à Lomé, Kpalimé, "
    "Rennes ou Brest. Chacune dit ce qu’elle attend du projet, *ce qu’elle apporte* et "
    "**ce qu’elle demande** aux autres partenaires ; voir [le site](https://example.org/ess). "
)


def section(number: int) -> str:
    """About 2,500 characters: a heading, subheadings, paragraphs, a list, a table, a quote."""
    parts = [
        f"## {number}. Les acteurs de la région n°{NBSP}{number}\n\n",
        PARAGRAPH * 3 + "\n\n",
        f"### Ce qu’attend la structure {number}\n\n",
        "1. Des rencontres régulières entre élus et associations ;\n",
        "2. Un référentiel validé par le comité de pilotage ;\n",
        "   - échanges de jeunes\n   - formations à Lomé\n",
        "3. Des moyens partagés.\n\n",
        "| Structure | Pays | Membres | Attentes |\n|:--|:-:|--:|:--|\n",
        *(
            f"| Structure {number}.{i} | {'France' if i % 2 else 'Togo'} | {i * 7} | "
            f"Mise en réseau, formation |\n"
            for i in range(1, 5)
        ),
        "\n",
        f"> «{NBSP}Le palabre est l’arbre sous lequel on délibère.{NBSP}» — comité n°{number}\n\n",
        PARAGRAPH * 2 + "\n\n",
    ]
    if number % 10 == 0:
        parts.append("```\nindicateur = structures_actives / structures_inscrites\n```\n\n")
    return "".join(parts)


def referentiel() -> list[str]:
    """The document as sections, one contribution each."""
    pieces = ["# Référentiel commun\n\n" + PARAGRAPH + "\n\n"]
    while sum(map(len, pieces)) < CHARACTERS:
        pieces.append(section(len(pieces)))
    return pieces


def typed(pieces: list[str]) -> list[bytes]:
    doc: Doc[Text] = Doc()
    text = doc.get("body", type=Text)
    updates: list[bytes] = []
    doc.observe(lambda event: updates.append(event.update))
    for piece in pieces:
        text.insert(len(str(text).encode("utf-8")), piece)  # pycrdt 0.14 counts UTF-8 bytes
    return updates


def build(application: PalabreApplication) -> tuple[DocumentId, int]:
    """The document, approved as v1 by a committee of three organisations."""
    document = DocumentId(application.create_document("Référentiel commun").id)
    voters = [
        application.add_member(name, org, country, Role.EDITOR, document, votes=True).member.id
        for name, org, country in (
            ("Yann Le Gall", "Chambre régionale de l'ESS", Country.FR),
            ("Afi Mensah", "Fédération des ONG du Togo", Country.TG),
            ("Maëlle Tanguy", "Université Rennes 2", Country.FR),
        )
    ]
    pieces = referentiel()
    updates = typed(pieces)
    batch = [NewContribution(voters[i % 3], "bench", u, 1) for i, u in enumerate(updates)]
    application.append_contributions(document, 0, batch)
    markdown = "".join(pieces)
    assert rebuild(updates).text == markdown
    proposal = application.propose(document, "Version complète", len(updates), _hash(markdown))
    for index, voter in enumerate(voters):
        token = acting_member.set(voter)
        try:
            choice = Choice.OBJECT if index == 1 else Choice.APPROVE
            application.vote(document, proposal.id, choice, "Il manque le calendrier.")
            quote = f"Structure {index + 1}.1"
            application.comment(document, "À préciser.", Anchor.parse(quote, "Les acteurs"))
        finally:
            acting_member.reset(token)
    application.close_proposal(document, proposal.id)
    return document, len(markdown)


def _hash(markdown: str) -> str:
    return canonical_sha256(markdown)


async def measure(
    sources: Sources, document: DocumentId, runs: int
) -> tuple[dict[str, list[float]], int]:
    """Seconds per export, per format; and the PDF's number of pages."""
    timings: dict[str, list[float]] = {name: [] for name in FORMATS}
    pages = 0
    for name in FORMATS:
        options = ExportOptions(
            format=name, zone=zone("Africa/Lome"), comments="all", contributors=True
        )
        for _ in range(runs):
            started = time.perf_counter()
            snapshot = await sources.snapshot(document, 1, None, options)
            body = await sources.store.call(render, snapshot, options)
            timings[name].append(time.perf_counter() - started)
        if name == "pdf":
            pages = len(pypdf.PdfReader(io.BytesIO(body)).pages)
    return timings, pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="exports per format (default 5)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(database=f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
        with open_services(settings) as services:
            document, characters = build(services.application)
            print(f"référentiel of {characters:,} characters, approved as v1")
            sources = services.sources
            timings, pages = asyncio.run(measure(sources, document, args.runs))
    print(f"the PDF has {pages} pages")
    print(f"{'format':<8}{'median (s)':>12}{'max (s)':>10}{'target':>8}")
    for name, seconds in timings.items():
        median = statistics.median(seconds)
        verdict = "PASS" if median < TARGET_SECONDS else "MISS"
        print(f"{name:<8}{median:>12.2f}{max(seconds):>10.2f}{'< 5':>8}  {verdict}")


if __name__ == "__main__":
    main()
