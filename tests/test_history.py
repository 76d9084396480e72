"""History of the text: at any position or time, diffs between positions, authorship from the
CRDT's own deltas, and editing sessions; on SQLite and PostgreSQL alike, with real pycrdt
updates from two replicas typing concurrently and merging.

Why one file of over 400 lines: the history's readers (authorship, text at a position or time,
diffs, sessions) are tested against the same two typing replicas and story, defined once at the
top."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from palabre.client import PalabreClient, PalabreHTTPError
from palabre.client.history import History
from palabre.domain.application import PalabreApplication
from palabre.domain.contribution import Contributed, NewContribution
from palabre.domain.errors import InvalidInput
from palabre.domain.ids import DocumentId
from palabre.domain.roles import Country, Role
from palabre.projections.authorship import Authorship, Run, Sections, shares
from palabre.projections.headings import plain_heading
from palabre.projections.history import Edit, SessionTracker, sessions
from palabre.projections.history_index import HistoryIndex
from palabre.projections.history_replay import Resume, follow
from palabre.server.answers.history import HistoryReports, diff_json, session_filter
from palabre.server.crdt.replay import DeltaReplay
from palabre.server.crdt.replica import compact, rebuild
from palabre.server.live.rooms import Rooms
from palabre.server.settings import Settings
from palabre.server.storage.database import Database
from palabre.server.storage.store import Store
from palabre.server.storage.views import open_history_index
from palabre.server.texts import DocumentTexts
from pycrdt import Doc, Text

from tests.conftest import Seed
from tests.support.server import ServerProcess

OPENING = "# Projet\n\nLe réseau ESS de Bretagne.\n"
TOGO = "## Togo\n\nAssociations à Lomé, Kpalimé.\n"
ECONOMY = "## Économie\n\nCoopératives à Rennes.\n"


class Replica:
    """One person's editor: a pycrdt document whose every change is kept as an update."""

    def __init__(self, client_id: int) -> None:
        self.doc: Doc[Text] = Doc(client_id=client_id)
        self.text = self.doc.get("body", type=Text)
        self.updates: list[bytes] = []
        self.doc.observe(lambda event: self.updates.append(event.update))

    def last(self) -> bytes:
        return self.updates[-1]

    def type(self, at: int, piece: str) -> bytes:
        """Insert at a character index (pycrdt 0.14 takes a UTF-8 byte index)."""
        self.text.insert(self._bytes(at), piece)
        return self.last()

    def erase(self, piece: str) -> bytes:
        at = str(self.text).index(piece)
        del self.text[self._bytes(at) : self._bytes(at + len(piece))]
        return self.last()

    def receive(self, *updates: bytes) -> None:
        for update in updates:
            self.doc.apply_update(update)

    def _bytes(self, index: int) -> int:
        return len(str(self.text)[:index].encode("utf-8"))


@dataclass(frozen=True)
class Story:
    """Five contributions, stored in this order: Yann (FR) a1, Afi (TG) b1, a2, b2, a3; b1,
    a2, b2 and a3 were typed concurrently, before the replicas merged."""

    document_id: DocumentId
    yann: UUID
    afi: UUID
    updates: list[bytes]
    final: str


def tell_story(application: PalabreApplication) -> Story:
    document_id = DocumentId(application.create_document("Référentiel commun").id)
    yann = application.add_member(
        "Yann Le Gall", "Chambre régionale de l'ESS", Country.FR, Role.EDITOR, document_id
    ).member.id
    afi = application.add_member(
        "Afi Mensah", "Fédération des ONG du Togo", Country.TG, Role.EDITOR, document_id
    ).member.id
    a, b = Replica(1), Replica(2)
    a1 = a.type(0, OPENING)
    b.receive(a1)
    b1 = b.type(len(OPENING), TOGO)  # concurrently with everything Yann types below
    a2 = a.type(OPENING.index(" ESS"), " solidaire")
    b2 = b.erase(" ESS")
    a3 = a.type(len(str(a.text)), ECONOMY)
    a.receive(b1, b2)
    b.receive(a2, a3)
    assert str(a.text) == str(b.text)
    order = [(yann, a1), (afi, b1), (yann, a2), (afi, b2), (yann, a3)]
    for position, (member, update) in enumerate(order):
        application.append_contributions(
            document_id, position, [NewContribution(member, "session", update, 1)]
        )
    return Story(document_id, yann, afi, [u for _, u in order], str(a.text))


@pytest.fixture
def story(application: PalabreApplication) -> Story:
    return tell_story(application)


@pytest.fixture
def index(database_url: str, application: PalabreApplication) -> Iterator[HistoryIndex]:
    index = open_history_index(Database(database_url), application, every=10)
    yield index
    index.close()


@pytest.fixture
def store(application: PalabreApplication) -> Iterator[Store]:
    store = Store(application, threads=2)
    yield store
    store.close()  # the application fixture closes the application


@pytest.fixture
def texts(store: Store, index: HistoryIndex, database_url: str) -> DocumentTexts:
    return DocumentTexts(store, Rooms(store, Settings(database=database_url)), index)


# Authorship -------------------------------------------------------------------------------


def test_authorship_follows_the_crdt_merge_of_concurrent_edits(
    application: PalabreApplication, index: HistoryIndex, story: Story
) -> None:
    runs = HistoryReports(application, index).authorship(story.document_id, 5).runs
    assert "".join(run.text for run in runs) == story.final
    by = {
        member: "".join(r.text for r in runs if r.author == str(member))
        for member in (story.yann, story.afi)
    }
    assert by[story.afi] == TOGO
    assert by[story.yann] == "# Projet\n\nLe réseau solidaire de Bretagne.\n" + ECONOMY
    assert "Le réseau solidaire de Bretagne." in story.final
    assert any(run.author == str(story.afi) and run.text == TOGO for run in runs)


def test_authorship_at_every_position_mirrors_the_text(
    application: PalabreApplication, index: HistoryIndex, story: Story
) -> None:
    reader = HistoryReports(application, index)
    for position in range(6):
        attributed = reader.authorship(story.document_id, position)
        assert attributed.text == rebuild(story.updates[:position]).text


def test_authorship_converts_utf8_byte_counts_to_characters() -> None:
    text = Authorship()
    text.apply([("insert", "Lomé, Kpalimé")], "afi")
    change = text.apply([("retain", len("Lomé,".encode())), ("insert", " Sokodé,")], "yann")
    assert text.text == "Lomé, Sokodé, Kpalimé"
    assert change.places == (len("Lomé,".encode()),)  # UTF-8 bytes
    change = text.apply([("retain", 1), ("delete", 4)], "yann")  # "omé" is 4 bytes
    assert (text.text, change.removed) == ("L, Sokodé, Kpalimé", 3)
    assert text.runs == [Run("L,", "afi"), Run(" Sokodé,", "yann"), Run(" Kpalimé", "afi")]


def test_shares_count_characters_per_section_and_author() -> None:
    runs = [Run("# Projet\nabc", "yann"), Run("dé\n## Togo\n", "afi"), Run("xyz", "yann")]
    assert shares(runs) == {"Projet": {"yann": 12, "afi": 3}, "Togo": {"afi": 8, "yann": 3}}
    assert Sections.of("intro\n# Un\n## Deux\n### Trois\n").titles == ("Un", "Deux")
    assert Sections.of("intro\n# Un\n").at(2) == ""


# Text at a position or a time --------------------------------------------------------------


async def test_text_at_a_position_is_the_replay_of_the_first_contributions(
    store: Store,
    story: Story,
    texts: DocumentTexts,
) -> None:
    for position in range(6):
        expected = rebuild(story.updates[:position]).text
        assert await texts.at(story.document_id, position) == expected
    assert await store.checkpoint(story.document_id, minimum_tail=1) == 5
    for position in range(6):
        expected = rebuild(story.updates[:position]).text
        assert await texts.at(story.document_id, position) == expected


def test_position_at_a_time_is_the_last_contribution_at_or_before_it(
    application: PalabreApplication, index: HistoryIndex, story: Story
) -> None:
    stamps = [c.timestamp for c in application.contributions(story.document_id)]
    assert stamps == sorted(stamps)
    for when in [*stamps, *(s + timedelta(microseconds=1) for s in stamps)]:
        expected = max(k for k in range(6) if k == 0 or stamps[k - 1] <= when)
        assert application.position_at(story.document_id, when) == expected
    before = stamps[0] - timedelta(seconds=1)
    assert application.position_at(story.document_id, before) == 0
    strictly_before = sum(1 for s in stamps if s < stamps[2])
    assert application.position_at(story.document_id, stamps[2], inclusive=False) == strictly_before


async def test_text_at_a_time_is_the_text_at_the_right_position(
    application: PalabreApplication,
    index: HistoryIndex,
    store: Store,
    story: Story,
    texts: DocumentTexts,
) -> None:
    stamps = [c.timestamp for c in application.contributions(story.document_id)]
    position = application.position_at(story.document_id, stamps[2])
    assert stamps[position - 1] == stamps[2]
    assert await texts.at(story.document_id, position) == rebuild(story.updates[:position]).text


class CountingReads:
    """Records how many contribution events the application hands out."""

    def __init__(self, application: PalabreApplication) -> None:
        self._contributions = application.contributions
        self.read = 0

    def __call__(
        self, document_id: DocumentId, after: int = 0, upto: int | None = None
    ) -> Iterator[Contributed]:
        for contribution in self._contributions(document_id, after, upto):
            self.read += 1
            yield contribution


async def test_text_at_reads_only_the_tail_after_the_checkpoint(
    application: PalabreApplication,
    index: HistoryIndex,
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
    texts: DocumentTexts,
) -> None:
    document_id = DocumentId(application.create_document("Référentiel").id)
    writer = Replica(7)
    updates = [writer.type(len(str(writer.text)), f"mot{k} é ") for k in range(40)]
    contributions = [NewContribution(UUID(int=1), "s", u, 1) for u in updates]
    application.append_contributions(document_id, 0, contributions)
    assert await store.checkpoint(document_id, minimum_tail=10) == 40
    counting = CountingReads(application)
    monkeypatch.setattr(application, "contributions", counting)
    assert await texts.at(document_id, 40) == str(writer.text)
    assert counting.read == 0  # the checkpoint alone
    counting.read = 0
    when = datetime.now(UTC)
    assert application.position_at(document_id, when) == 40
    assert counting.read <= math.ceil(math.log2(41))  # a binary search, not a scan


async def test_text_at_an_earlier_position_reads_from_the_checkpoint_before_it(
    application: PalabreApplication,
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
    texts: DocumentTexts,
) -> None:
    document_id = DocumentId(application.create_document("Référentiel").id)
    writer = Replica(7)
    updates = [writer.type(len(str(writer.text)), f"mot{k} é ") for k in range(30)]
    contributions = [NewContribution(UUID(int=1), "s", u, 1) for u in updates]
    application.append_contributions(document_id, 0, contributions[:20])
    assert await store.checkpoint(document_id, minimum_tail=10) == 20
    application.append_contributions(document_id, 20, contributions[20:])
    counting = CountingReads(application)
    monkeypatch.setattr(application, "contributions", counting)
    assert await texts.at(document_id, 25) == rebuild(updates[:25]).text
    assert counting.read == 5


# Diffs -------------------------------------------------------------------------------------


def test_the_diff_between_two_positions_shows_exactly_the_edits_between(story: Story) -> None:
    before, after = (rebuild(story.updates[:n]).text for n in (2, 4))
    diff = diff_json(2, 4, before, after)
    assert (diff["from"], diff["to"]) == (2, 4)
    changed = [line for line in diff["unified"].splitlines()[2:] if line[:1] in "+-"]
    assert changed == ["-Le réseau ESS de Bretagne.", "+Le réseau solidaire de Bretagne."]
    words = [(w["op"], w["text"]) for w in diff["words"] if w["op"] != "equal"]
    assert words == [("delete", "ESS"), ("insert", "solidaire")]
    assert diff_json(3, 3, after, after)["unified"] == ""


# Sessions ----------------------------------------------------------------------------------

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _edit(position: int, member: str, minutes: float, *sections: str) -> Edit:
    return Edit(position, member, START + timedelta(minutes=minutes), 10, 1, sections)


def test_sessions_split_at_pauses_over_five_minutes_per_member() -> None:
    found = sessions(
        [
            _edit(1, "yann", 0, "Projet"),
            _edit(2, "afi", 1, "Togo"),
            _edit(3, "yann", 4, "Projet", "Économie"),
            _edit(4, "afi", 7, "Togo"),  # 6 minutes after Afi's last: a new session
            _edit(5, "yann", 9, "Économie"),  # exactly 5 minutes: the same session
        ]
    )
    summary = [(s.member, s.first, s.last, s.contributions, s.sections) for s in found]
    assert summary == [
        ("yann", 1, 5, 3, ["Projet", "Économie"]),
        ("afi", 2, 2, 1, ["Togo"]),
        ("afi", 4, 4, 1, ["Togo"]),
    ]
    assert (found[0].start, found[0].end) == (START, START + timedelta(minutes=9))
    assert (found[0].added, found[0].removed) == (30, 3)


def test_a_session_names_a_heading_renamed_while_it_lasts_by_its_final_name() -> None:
    typing = [
        Edit(1, "yann", START, 3, 0, ("",)),
        Edit(2, "yann", START + timedelta(seconds=1), 1, 0, ("R",)),
        Edit(3, "yann", START + timedelta(seconds=2), 1, 0, ("Ré",), (("R", "Ré"),)),
        Edit(4, "afi", START + timedelta(seconds=3), 5, 0, ("Ré",)),
        Edit(5, "yann", START + timedelta(seconds=4), 1, 0, ("Réf",), (("Ré", "Réf"),)),
    ]
    later = Edit(6, "yann", START + timedelta(minutes=20), 1, 0, ("Réfé",), (("Réf", "Réfé"),))
    found = sessions([*typing, later])
    assert [(s.member, s.sections) for s in found] == [
        ("yann", ["", "Réf"]),  # the preamble, and the heading by its name at the end
        ("afi", ["Réf"]),  # renamed while Afi's session was in progress
        ("yann", ["Réfé"]),  # the heading's name when this later session ended
    ]


def test_headings_are_named_as_a_reader_sees_them() -> None:
    assert plain_heading("Le **comité de pilotage** se réunit *chaque mois*") == (
        "Le comité de pilotage se réunit chaque mois"
    )
    assert plain_heading("[Les enjeux](https://example.org) et ~~rien~~ `**code**`") == (
        "Les enjeux et rien **code**"
    )
    assert plain_heading("snake_case, ___tout___ et \\*étoile\\*") == "snake_case, tout et *étoile*"
    assert (
        plain_heading("![logo](x.png) Projet  <https://ess.bzh>") == "logo Projet https://ess.bzh"
    )
    assert Sections.of("# Le **projet**\n\ntexte").titles == ("Le projet",)


def test_typing_a_heading_one_key_at_a_time_names_one_section(
    application: PalabreApplication,
) -> None:
    document_id = DocumentId(application.create_document("Référentiel commun").id)
    yann = application.add_member(
        "Yann Le Gall", "Chambre régionale de l'ESS", Country.FR, Role.EDITOR, document_id
    ).member.id
    replica = Replica(1)
    updates = [replica.type(0, "Texte.\n\n")]
    for key in "# Le **comité**":
        updates.append(replica.type(len(str(replica.text)), key))
    updates.append(replica.type(len(str(replica.text)), "\n\nSuite."))
    for position, update in enumerate(updates):
        contribution = NewContribution(yann, "session", update, 1)
        application.append_contributions(document_id, position, [contribution])
    found = sessions(edits(application, document_id, 0, len(updates)))
    assert [s.sections for s in found] == [["", "Le comité"]]


def test_the_command_line_names_the_sections_of_a_session_as_they_stood_at_its_end(
    application: PalabreApplication, database_url: str
) -> None:
    from tests.test_cli import palabre

    test_typing_a_heading_one_key_at_a_time_names_one_section(application)
    document = str(application.documents()[-1].id)
    listed = palabre(database_url, "history", "sessions", document)
    assert listed.returncode == 0, listed.stderr
    assert [line.split("\t")[-1] for line in listed.stdout.splitlines()] == [" | Le comité"]


def edits(
    application: PalabreApplication, document_id: DocumentId, after: int, upto: int
) -> list[Edit]:
    """What each contribution in ``(after, upto]`` did, as the history index follows them,
    replayed from the latest checkpoint at or before ``after`` (its text unattributed)."""
    resume = Resume(0, DeltaReplay(), Authorship(), SessionTracker())
    checkpoint = application.latest_checkpoint(document_id, after)
    if checkpoint is not None:
        for delta in resume.replay.apply(checkpoint.state):
            resume.text.apply(delta, "?")
        resume.position = checkpoint.originator_version
    followed = follow(application, document_id, resume, upto)
    return [edit for contribution, edit in followed if contribution.originator_version > after]


def test_edits_replayed_from_the_log_count_and_place_each_change(
    application: PalabreApplication, story: Story
) -> None:
    edits_made = edits(application, story.document_id, 0, 5)
    assert [(e.position, e.added, e.removed) for e in edits_made] == [
        (1, len(OPENING), 0),
        (2, len(TOGO), 0),
        (3, len(" solidaire"), 0),
        (4, 0, len(" ESS")),
        (5, len(ECONOMY), 0),
    ]
    assert [set(e.sections) for e in edits_made] == [
        {"Projet"},
        {"Togo"},
        {"Projet"},
        {"Projet"},
        {"Économie"},
    ]
    found = sessions(edits_made)
    assert {(s.member, s.contributions) for s in found} == {
        (str(story.yann), 3),
        (str(story.afi), 2),
    }


async def test_edits_after_a_checkpoint_match_a_full_replay(
    application: PalabreApplication, story: Story
) -> None:
    full = edits(application, story.document_id, 0, 5)
    application.store_checkpoint(story.document_id, 3, compact(story.updates[:3]))
    assert edits(application, story.document_id, 3, 5) == full[3:]


def test_sessions_are_filtered_by_member_organisation_country_and_time(
    application: PalabreApplication, index: HistoryIndex, store: Store, story: Story
) -> None:
    reader = HistoryReports(application, index)
    stamps = [c.timestamp for c in application.contributions(story.document_id)]
    afi = application.member(story.afi)

    def members(**query: str) -> list[tuple[str, int]]:
        found = reader.sessions_report(story.document_id, session_filter(query))
        return [(s["member"], s["contributions"]) for s in found]

    assert members() == [("Yann Le Gall", 3), ("Afi Mensah", 2)]
    assert members(country="tg") == [("Afi Mensah", 2)]
    assert members(member=str(story.yann)) == [("Yann Le Gall", 3)]
    assert members(organisation=str(afi.organisation.id)) == [("Afi Mensah", 2)]
    # A period keeps the sessions that overlap it, whole.
    assert members(**{"from": stamps[4].isoformat()}) == [("Yann Le Gall", 3)]
    assert members(to=stamps[0].isoformat()) == [("Yann Le Gall", 3)]
    assert members(to=stamps[1].isoformat()) == [("Yann Le Gall", 3), ("Afi Mensah", 2)]
    after_all = (stamps[4] + timedelta(microseconds=1)).isoformat()
    assert members(**{"from": after_all}) == []
    with pytest.raises(InvalidInput):
        session_filter({"from": "2026-11-23T10:00"})


# HTTP ----------------------------------------------------------------------------------------


async def test_history_over_http(
    application: PalabreApplication, seed: Seed, server: ServerProcess
) -> None:
    story = tell_story(application)
    document_id = str(story.document_id)
    async with PalabreClient(server.base_url, seed.coordinator) as http:
        history = History(http)
        assert (await http.document(document_id))["contributions"] == 5
        for position in (0, 2, 5):
            text = await history.text_at(document_id, position)
            assert text == rebuild(story.updates[:position]).text
        stamps = [c.timestamp for c in application.contributions(story.document_id)]
        at_time = await history.text_at_time(document_id, stamps[1].isoformat())
        assert at_time == rebuild(story.updates[:2]).text
        diff = await history.diff(document_id, 2, 4)
        assert [w["text"] for w in diff["words"] if w["op"] != "equal"] == ["ESS", "solidaire"]
        shown = await history.authorship(document_id)
        assert shown["position"] == 5
        assert shown["shares"]["countries"] == {
            "FR": len(story.final) - len(TOGO),
            "TG": len(TOGO),
        }
        assert shown["shares"]["sections"]["Togo"] == {"Afi Mensah": len(TOGO)}
        assert shown["shares"]["sections"]["Économie"] == {"Yann Le Gall": len(ECONOMY)}
        assert "".join(run["text"] for run in shown["runs"]) == story.final
        found = await history.sessions(document_id, country="TG")
        assert [(s["member"], s["contributions"], s["removed"]) for s in found] == [
            ("Afi Mensah", 2, len(" ESS"))
        ]


async def test_history_over_http_refuses_bad_parameters(
    application: PalabreApplication, seed: Seed, server: ServerProcess
) -> None:
    story = tell_story(application)
    document_id = str(story.document_id)
    async with PalabreClient(server.base_url, seed.coordinator) as http:
        history = History(http)
        refused_calls: list[Callable[[], Awaitable[object]]] = [
            lambda: history.text_at(document_id, 6),  # beyond the 5 contributions
            lambda: history.text_at_time(document_id, "2026-11-23T10:00:00"),  # no offset
            lambda: history.text_at_time(document_id, "hier"),
            lambda: history.diff(document_id, 0, 9),
            lambda: history.sessions(document_id, country="BE"),
        ]
        for call in refused_calls:
            with pytest.raises(PalabreHTTPError) as refused:
                await call()
            assert refused.value.status == 400
        assert await history.text_at(document_id, 0) == ""


def test_the_command_line_reads_the_same_history(
    application: PalabreApplication, story: Story, database_url: str
) -> None:
    from tests.test_cli import last_line, palabre

    document = str(story.document_id)
    for position in (0, 3, 5):
        at = palabre(database_url, "history", "at", document, "--position", str(position))
        assert at.returncode == 0, at.stderr
        assert at.stdout == rebuild(story.updates[:position]).text
    diff = palabre(database_url, "history", "diff", document, "1", "5")
    assert diff.returncode == 0, diff.stderr
    assert diff.stdout.startswith("--- position 1")
    sessions = palabre(database_url, "history", "sessions", document).stdout.splitlines()
    assert sorted(line.split("\t")[2] for line in sessions) == ["Afi Mensah", "Yann Le Gall"]
    shares = palabre(database_url, "history", "authorship", document)
    totals = last_line(shares)
    fr, tg = (int(part.split()[1]) for part in totals.split("\t"))
    assert fr + tg == len(story.final)
    assert fr > 0
    assert tg > 0
    beyond = palabre(database_url, "history", "at", document, "--position", "6")
    assert beyond.returncode == 2
    assert "outside 0..5" in beyond.stderr
    empty = palabre(database_url, "comments", "list", document)
    assert empty.returncode == 0
    assert empty.stdout == ""
