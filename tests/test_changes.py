"""Change notes [notes d'évolution] on a seeded history (SQLite and PostgreSQL): between two
approved versions and between the last one and the current text, with sections added,
renamed, edited and removed, the organisations that wrote the changes and the comments
resolved in between; the exact notes in French and English, over HTTP and from the command
line; the seam for amendments."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from html import unescape
from typing import Any
from uuid import UUID

import docx as docx_reader
import orjson
import pytest
from palabre.client import PalabreClient, PalabreHTTPError
from palabre.client.exports import Exports
from palabre.domain.application import PalabreApplication
from palabre.domain.comment import Anchor
from palabre.domain.committee import Choice, canonical_sha256
from palabre.domain.contribution import NewContribution
from palabre.domain.ids import DocumentId
from palabre.domain.roles import Country, Role
from palabre.server.answers.change_note import change_note
from palabre.server.answers.changes import AcceptedAmendment, Changes
from palabre.server.answers.history import HistoryReports
from palabre.server.bootstrap import open_services
from palabre.server.crdt.replica import BODY
from palabre.server.settings import Settings
from pycrdt import Doc, Text

from tests.support.people import acting
from tests.support.server import ServerProcess
from tests.test_cli import palabre

NB = "\u00a0"
V1_TEXT = (
    "# Référentiel commun\n\n"
    "Le projet relie des structures de Bretagne et du Togo.\n\n"
    "## Les acteurs\n\n"
    "Les structures françaises et togolaises coopèrent depuis 2020.\n\n"
    "## Annexe\n\n"
    "Liste des sigles utilisés dans le document.\n\n"
    "## Calendrier\n\n"
    "Deux ans de travail.\n"
)
ANNEXE = "## Annexe\n\nListe des sigles utilisés dans le document.\n\n"
ATTENTES = "\n## Les attentes\n\nDes échanges de jeunes et des formations.\n"
FR_MONTHS = "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"
EN_MONTHS = "January February March April May June July August September October November December"


class Typist:
    """One replica; each edit becomes one contribution by its author."""

    def __init__(self) -> None:
        self.doc: Doc[Text] = Doc()
        self.text = self.doc.get(BODY, type=Text)
        self.edits: list[tuple[UUID, bytes]] = []

    def _bytes(self, index: int) -> int:
        return len(str(self.text)[:index].encode("utf-8"))

    def _edit(self, author: UUID, change: Any) -> None:
        before = self.doc.get_state()
        change()
        self.edits.append((author, self.doc.get_update(before)))

    def insert(self, author: UUID, index: int, value: str) -> None:
        self._edit(author, lambda: self.text.insert(self._bytes(index), value))

    def insert_after(self, author: UUID, anchor: str, value: str) -> None:
        self.insert(author, str(self.text).index(anchor) + len(anchor), value)

    def delete(self, author: UUID, passage: str) -> None:
        start = str(self.text).index(passage)
        end = start + len(passage)
        self._edit(
            author, lambda: self.text.__delitem__(slice(self._bytes(start), self._bytes(end)))
        )


@dataclass
class History:
    application: PalabreApplication
    document_id: DocumentId
    coordinator: str  # token
    yann: UUID  # Chambre régionale de l'ESS, FR
    afi: UUID  # Fédération des ONG du Togo, TG
    typist: Typist = field(default_factory=Typist)
    stored: int = 0

    def store(self) -> int:
        """Store the edits made since the last call, one contribution each."""
        fresh = self.typist.edits[self.stored :]
        batch = [NewContribution(author, "session", update, 1) for author, update in fresh]
        self.application.append_contributions(self.document_id, self.stored, batch)
        self.stored = len(self.typist.edits)
        return self.stored

    def approve(self, label: str) -> None:
        app, doc = self.application, self.document_id
        position = self.store()
        proposal = app.propose(doc, label, position, canonical_sha256(str(self.typist.text)))
        for voter in (self.yann, self.afi):
            with acting(voter):
                app.vote(doc, proposal.id, Choice.APPROVE, "")
        assert app.close_proposal(doc, proposal.id).version is not None

    def comment(self, section: str, quote: str, resolve: bool = True) -> None:
        with acting(self.afi):
            thread = self.application.comment(
                self.document_id, "À revoir", Anchor.parse(quote, section)
            )
            if resolve:
                self.application.resolve_comment(self.document_id, thread.id)


@pytest.fixture
def history(application: PalabreApplication) -> History:
    """v1, then a section renamed, one edited, one removed and one added (v2), then one more
    edit (the current text); comments resolved before v1, between v1 and v2, after v2."""
    doc = DocumentId(application.create_document("Référentiel commun").id)
    coordinator = application.add_member(
        "Awa Koffi", "Coordination Lomé", Country.TG, Role.COORDINATOR
    ).token

    def voter(name: str, organisation: str, country: Country) -> UUID:
        return application.add_member(name, organisation, country, Role.EDITOR, doc, True).member.id

    seeded = History(
        application,
        doc,
        coordinator,
        yann=voter("Yann Le Gall", "Chambre régionale de l'ESS", Country.FR),
        afi=voter("Afi Mensah", "Fédération des ONG du Togo", Country.TG),
    )
    typist = seeded.typist
    typist.insert(seeded.afi, 0, V1_TEXT)
    seeded.comment("Calendrier", "Deux ans")  # resolved before v1: in no note
    seeded.approve("Première lecture")
    seeded.comment("Les acteurs", "coopèrent")
    seeded.comment("Annexe", "sigles")
    typist.insert_after(seeded.yann, "des structures ", "solidaires ")
    typist.insert_after(seeded.yann, "## Les acteurs", " du projet")
    typist.delete(seeded.afi, ANNEXE)
    typist.insert(seeded.afi, len(str(typist.text)), ATTENTES)
    seeded.approve("Deuxième lecture")
    seeded.comment("Calendrier", "travail")
    seeded.comment("Les attentes", "jeunes", resolve=False)
    typist.insert_after(seeded.yann, "de travail", " en commun")
    seeded.store()
    return seeded


def day(when: str, lang: str) -> str:
    moment = datetime.fromisoformat(when)
    if lang == "fr":
        number = "1er" if moment.day == 1 else str(moment.day)
        return f"{number} {FR_MONTHS.split()[moment.month - 1]} {moment.year}"
    return f"{moment.day} {EN_MONTHS.split()[moment.month - 1]} {moment.year}"


def q(text: str) -> str:
    return f"«{NB}{text}{NB}»"


def french_v1_v2(days: Sequence[str]) -> str:
    return (
        "# Évolutions de la v1 à la v2\n\n"
        f"De la v1 {q('Première lecture')} (adoptée le {days[0]}) "
        f"à la v2 {q('Deuxième lecture')} (adoptée le {days[1]}).\n\n"
        "## Sections\n\n"
        f"- Section modifiée {q('Référentiel commun')}{NB}: 1 mot ajouté.\n"
        f"- Section renommée{NB}: {q('Les acteurs')} devient {q('Les acteurs du projet')}.\n"
        f"- Section supprimée {q('Annexe')}{NB}: 8 mots.\n"
        f"- Nouvelle section {q('Les attentes')}{NB}: 9 mots.\n\n"
        "1 section inchangée.\n\n"
        "## Contributions par structure\n\n"
        f"- Fédération des ONG du Togo (Togo){NB}: 48 caractères, dans {q('Les attentes')}.\n"
        f"- Chambre régionale de l'ESS (France){NB}: 18 caractères, dans "
        f"{q('Référentiel commun')} et {q('Les acteurs du projet')}.\n\n"
        "## Commentaires résolus\n\n"
        f"2 commentaires résolus depuis la v1{NB}: 1 dans {q('Les acteurs')}, "
        f"1 dans {q('Annexe')}.\n"
    )


def english_v1_v2(days: Sequence[str]) -> str:
    return (
        "# Changes from v1 to v2\n\n"
        f"From v1 “Première lecture” (accepted on {days[0]}) "
        f"to v2 “Deuxième lecture” (accepted on {days[1]}).\n\n"
        "## Sections\n\n"
        "- Modified section “Référentiel commun”: 1 word added.\n"
        "- Renamed section: “Les acteurs” becomes “Les acteurs du projet”.\n"
        "- Removed section “Annexe”: 8 words.\n"
        "- New section “Les attentes”: 9 words.\n\n"
        "1 section unchanged.\n\n"
        "## Contributions by organisation\n\n"
        "- Fédération des ONG du Togo (Togo): 48 characters, in “Les attentes”.\n"
        "- Chambre régionale de l'ESS (France): 18 characters, in “Référentiel commun” and "
        "“Les acteurs du projet”.\n\n"
        "## Resolved comments\n\n"
        "2 comments resolved since v1: 1 in “Les acteurs”, 1 in “Annexe”.\n"
    )


def french_v2_current(decided: str, position: int) -> str:
    return (
        "# Évolutions depuis la v2\n\n"
        f"De la v2 {q('Deuxième lecture')} (adoptée le {decided}) "
        f"au texte en cours (position {position} de l’historique).\n\n"
        "## Sections\n\n"
        f"- Section modifiée {q('Calendrier')}{NB}: 3 mots ajoutés, 1 mot supprimé.\n\n"
        "3 sections inchangées.\n\n"
        "## Contributions par structure\n\n"
        f"- Chambre régionale de l'ESS (France){NB}: 8 caractères, dans {q('Calendrier')}.\n\n"
        "## Commentaires résolus\n\n"
        f"1 commentaire résolu depuis la v2{NB}: 1 dans {q('Calendrier')}.\n"
    )


async def test_change_notes_between_versions_and_to_the_current_text(
    history: History, database_url: str
) -> None:
    server = ServerProcess(database_url).start()
    try:
        async with PalabreClient(server.base_url, history.coordinator) as http:
            doc = str(history.document_id)
            versions = await http.versions(doc)
            decided = [v["decided_at"] for v in versions]
            french = await http.changes(doc, 1, 2)
            again = await http.changes(doc, 1, 2)
            english = await http.changes(doc, 1, 2, lang="en")
            current = await http.changes(doc, 2, "current")
            with pytest.raises(PalabreHTTPError) as backwards:
                await http.changes(doc, 2, 1)
            missing = await http._http.get(f"/api/documents/{doc}/versions/1/changes/3")
            bad = await http._http.get(f"/api/documents/{doc}/versions/1/changes/2?lang=de")
    finally:
        server.kill()
    assert french["text"] == french_v1_v2([day(d, "fr") for d in decided])
    assert english["text"] == english_v1_v2([day(d, "en") for d in decided])
    assert again == french  # the same versions, the same note
    assert [(s["heading"], s["change"], s["words"]) for s in french["sections"]] == [
        ("Référentiel commun", "modified", 1),
        ("Les acteurs du projet", "renamed", 0),
        ("Annexe", "removed", 8),
        ("Les attentes", "added", 9),
    ]
    assert french["sections"][1]["previous"] == "Les acteurs"
    assert (french["from"], french["to"], current["to"]) == (1, 2, "current")
    assert current["text"] == french_v2_current(day(decided[1], "fr"), history.stored)
    assert backwards.value.status == 400
    assert missing.status_code == 404
    assert bad.status_code == 400


def test_the_command_line_prints_the_note(history: History, database_url: str) -> None:
    doc = str(history.document_id)
    printed = palabre(database_url, "versions", "changes", doc, "1", "2", "--lang", "en")
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.startswith("# Changes from v1 to v2\n\nFrom v1 “Première lecture”")
    assert "- Removed section “Annexe”: 8 words.\n" in printed.stdout
    current = palabre(database_url, "versions", "changes", doc, "1", "current")
    assert current.returncode == 0, current.stderr
    assert current.stdout.startswith("# Évolutions depuis la v1\n")
    refused = palabre(database_url, "versions", "changes", doc, "current", "2")
    assert refused.returncode == 2
    assert "n is a version number" in refused.stderr


@dataclass
class RecordedAmendments:
    """A recording fake of the seam suggestions will fill."""

    calls: list[tuple[UUID, datetime, datetime | None]] = field(default_factory=list)

    def accepted(
        self, document_id: UUID, after: datetime, upto: datetime | None
    ) -> Sequence[AcceptedAmendment]:
        self.calls.append((document_id, after, upto))
        return [AcceptedAmendment("Les attentes", "ajoute les formations", after)]


async def test_accepted_amendments_come_through_their_seam(
    history: History, database_url: str
) -> None:
    amendments = RecordedAmendments()
    with open_services(Settings(database=database_url)) as services:
        reports = HistoryReports(services.application, services.history)
        changes = Changes(services.store, services.texts, services.versions, reports, amendments)
        facts = await changes.facts(history.document_id, 1, 2)
        versions = services.versions.versions(history.document_id)
    note = change_note(facts, "fr")
    assert amendments.calls == [
        (history.document_id, versions[0].decided_at, versions[1].decided_at)
    ]
    assert note.endswith(
        f"## Amendements acceptés\n\n- {q('Les attentes')}{NB}: ajoute les formations\n"
    )


def test_no_change_says_so(history: History, database_url: str) -> None:
    same = palabre(database_url, "versions", "changes", str(history.document_id), "2", "2")
    assert same.returncode == 0, same.stderr
    assert "## Sections\n\nAucune modification du texte.\n\n4 sections inchangées.\n" in same.stdout
    assert "Commentaires" not in same.stdout


async def test_a_version_exported_with_its_changes_since_an_earlier_one(
    history: History, database_url: str
) -> None:
    server = ServerProcess(database_url).start()
    try:
        async with PalabreClient(server.base_url, history.coordinator) as http:
            doc = str(history.document_id)
            html = await Exports(http).export(doc, "html", version=2, changes="1")
            docx = await Exports(http).export(doc, "docx", version=2, changes="1", lang="en")
            bundle = await Exports(http).export(doc, "json", changes="2")
            refused = await http._http.get(
                f"/api/documents/{doc}/export", params={"format": "md", "version": 1, "changes": 1}
            )
    finally:
        server.kill()
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", html.content.decode())).split())
    assert "Évolutions depuis la v1 De la v1 « Première lecture »" in text
    assert "Section supprimée « Annexe » : 8 mots." in text
    assert "Chambre régionale de l'ESS (France) : 18 caractères" in text
    paragraphs = [p.text for p in docx_reader.Document(io.BytesIO(docx.content)).paragraphs]
    assert "Changes since v1" in paragraphs
    assert "Removed section “Annexe”: 8 words." in paragraphs
    changes = orjson.loads(bundle.content)["changes"]
    assert changes["since"] == 2
    assert changes["note"].startswith("De la v2 «")
    assert refused.status_code == 400


async def test_a_proposal_shows_what_it_would_change_since_the_version_before_it(
    history: History, database_url: str
) -> None:
    app, doc = history.application, history.document_id
    opened = app.propose(doc, "Troisième lecture", history.stored, "0" * 64)
    first, second = (
        p.id for p in sorted(app.committee(doc).proposals.values(), key=lambda p: p.number)[:2]
    )
    server = ServerProcess(database_url).start()
    try:
        async with PalabreClient(server.base_url, history.coordinator) as http:
            path = f"/api/documents/{doc}/proposals/{{}}/changes"
            proposed = await http._json("GET", path.format(opened.id))
            accepted = await http._json("GET", path.format(second))
            before_any = await http._http.get(path.format(first))
            decided = [v["decided_at"] for v in await http.versions(str(doc))]
    finally:
        server.kill()
    assert proposed["text"].startswith(
        "# Évolutions proposées depuis la v2\n\n"
        f"De la v2 {q('Deuxième lecture')} (adoptée le {day(decided[1], 'fr')}) au texte de la "
        f"proposition n°{NB}3 {q('Troisième lecture')} (position {history.stored} de "
        "l’historique).\n\n## Sections\n\n"
        f"- Section modifiée {q('Calendrier')}{NB}: 3 mots ajoutés, 1 mot supprimé.\n"
    )
    assert (proposed["from"], proposed["to"], proposed["proposal"]) == (2, None, 3)
    assert accepted["text"] == french_v1_v2([day(d, "fr") for d in decided])
    assert before_any.status_code == 404
