"""The history index and the attributed text behind it.

- ``Authorship`` against a character-by-character model, over thousands of random deltas in
  UTF-8 byte counts (accents, headings appearing and disappearing, runs split into blocks).
- The stored index against a full replay: authorship at every position and every editing
  session are the same whether read from stored records plus a tail or replayed from zero,
  after concurrent typing by three members, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from palabre.domain.application import PalabreApplication
from palabre.domain.contribution import NewContribution
from palabre.domain.ids import DocumentId
from palabre.projections.authorship import Authorship, DeltaOp, Run, Sections
from palabre.projections.history import SessionTracker, sessions
from palabre.projections.history_index import HistoryIndex
from palabre.projections.history_index_store import (
    AuthorshipIndexed,
    HistoryIndexStore,
    SessionsIndexed,
    index_log_id,
)
from palabre.projections.history_replay import Resume, follow
from palabre.server.crdt.replay import DeltaReplay
from palabre.server.crdt.replica import compact, rebuild
from palabre.server.storage.database import Database
from palabre.server.storage.store import Store
from palabre.server.storage.transcoder import CompactTranscoder
from palabre.server.storage.views import open_history_index
from pycrdt import Doc, Text

PIECES = ["é", "mot ", "\n", "# Titre\n", "## Lomé\n", "«\u00a0ok\u00a0»", "’", "#", "x"]


class Model:
    """The attributed text one character at a time: obviously right, and slow."""

    def __init__(self) -> None:
        self.chars: list[tuple[str, str]] = []

    def apply(self, delta: list[DeltaOp], author: str) -> list[str]:
        """Returns the section of each place, as the text stands after the whole delta."""
        at, places = 0, []
        for kind, value in delta:
            if isinstance(value, str):
                self.chars[at:at] = [(c, author) for c in value]
                places.append(at)
                at += len(value)
            elif kind == "retain":
                at = self._chars_after(at, value)
            else:
                end = self._chars_after(at, value)
                del self.chars[at:end]
                places.append(at)
        sections = Sections.of(self.text)
        return [sections.at(place) for place in places]

    def _chars_after(self, start: int, size: int) -> int:
        end = start
        while size > 0:
            size -= len(self.chars[end][0].encode("utf-8"))
            end += 1
        assert size == 0, "a byte count that splits a character"
        return end

    @property
    def text(self) -> str:
        return "".join(c for c, _ in self.chars)

    def runs(self) -> list[Run]:
        runs: list[Run] = []
        for char, author in self.chars:
            if runs and runs[-1].author == author:
                runs[-1] = Run(runs[-1].text + char, author)
            else:
                runs.append(Run(char, author))
        return runs


def random_delta(rng: random.Random, text: str) -> list[DeltaOp]:
    """Up to three edits left to right, in UTF-8 byte counts as the engine reports them."""
    delta: list[DeltaOp] = []
    cursor = 0
    for _ in range(rng.randint(1, 3)):
        if cursor > len(text):
            break
        start = rng.randint(cursor, min(len(text), cursor + 40))
        if start > cursor:
            delta.append(("retain", len(text[cursor:start].encode())))
        if text[start:] and rng.random() < 0.4:
            end = rng.randint(start + 1, min(len(text), start + 12))
            delta.append(("delete", len(text[start:end].encode())))
            cursor = end
        else:
            delta.append(("insert", "".join(rng.choices(PIECES, k=rng.randint(1, 4)))))
            cursor = start
    return delta


def test_authorship_follows_a_character_model_through_random_edits() -> None:
    rng = random.Random(2026)
    fast, model = Authorship(), Model()
    authors = ["yann", "afi", "koffi", "claire"]
    for step in range(3000):
        text = model.text
        delta = random_delta(rng, text)
        author = rng.choice(authors)
        expected_sections = model.apply(delta, author)
        change = fast.apply(delta, author)
        assert [fast.section_at(place) for place in change.places] == expected_sections, step
        inserted = sum(len(v) for _, v in delta if isinstance(v, str))
        assert change.added == inserted
        assert fast.text == model.text, step
    assert fast.runs == model.runs()
    assert len(fast.runs) > 200  # enough runs to fill several blocks
    rebuilt = Authorship.of_runs(fast.byte_runs())
    assert (rebuilt.runs, rebuilt.section_at(len(rebuilt.utf8))) == (
        fast.runs,
        fast.section_at(len(fast.utf8)),
    )


def test_a_delta_beyond_the_text_is_refused() -> None:
    text = Authorship()
    text.apply([("insert", "abc")], "afi")
    with pytest.raises(ValueError, match="beyond the end"):
        text.apply([("retain", 2), ("delete", 5)], "afi")
    with pytest.raises(ValueError, match="beyond the end"):
        text.apply([("retain", 9), ("insert", "x")], "afi")


# The stored index ------------------------------------------------------------------------


class Typist:
    """One member's editor: a pycrdt replica that types and erases at random places."""

    def __init__(self, member: UUID, client_id: int, rng: random.Random) -> None:
        self.member = member
        self.doc: Doc[Text] = Doc(client_id=client_id)
        self.text = self.doc.get("body", type=Text)
        self.rng = rng
        self.pending: list[bytes] = []
        self.doc.observe(lambda event: self.pending.append(event.update))

    def edit(self) -> bytes:
        current = str(self.text)
        at = self.rng.randint(0, len(current))
        if current and self.rng.random() < 0.3:
            end = min(len(current), at + self.rng.randint(1, 6))
            start = min(at, end - 1)
            del self.text[_utf8(current, start) : _utf8(current, end)]
        else:
            piece = "".join(self.rng.choices(PIECES, k=self.rng.randint(1, 3)))
            self.text.insert(_utf8(current, at), piece)
        return self.pending.pop()


def _utf8(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def type_concurrently(application: PalabreApplication, count: int) -> tuple[DocumentId, int]:
    """Three members type; every few edits some replicas merge what the others sent, so
    many contributions are concurrent with others. Stored one contribution each."""
    document_id = DocumentId(application.create_document("Référentiel").id)
    rng = random.Random(11)
    typists = [Typist(uuid4(), client_id, rng) for client_id in (1, 2, 3)]
    sent: list[bytes] = []
    seen = [0, 0, 0]
    position = 0
    for _ in range(count):
        index = rng.randrange(3)
        typist = typists[index]
        if rng.random() < 0.3:
            for update in sent[seen[index] :]:
                typist.doc.apply_update(update)
            seen[index] = len(sent)
        update = typist.edit()
        sent.append(update)
        contribution = NewContribution(typist.member, "s", update, 1)
        position = application.append_contributions(document_id, position, [contribution])
    return document_id, position


def replayed(application: PalabreApplication, document_id: DocumentId, upto: int) -> Resume:
    """The reference: every contribution from the first, nothing stored read."""
    resume = Resume(0, DeltaReplay(), Authorship(), SessionTracker(pause=timedelta(0)))
    for _contribution, edit in follow(application, document_id, resume, upto):
        resume.tracker.add(edit)
    return resume


@pytest.fixture
def index(database_url: str, application: PalabreApplication) -> Iterator[HistoryIndex]:
    # No pause at all: every contribution that is not simultaneous opens a session, so
    # sessions open and close across the stored records.
    index = open_history_index(Database(database_url), application, every=10, pause=timedelta(0))
    yield index
    index.close()


def test_the_index_reads_the_same_as_a_full_replay(
    application: PalabreApplication, index: HistoryIndex
) -> None:
    document_id, count = type_concurrently(application, 160)
    assert index.catch_up(document_id) > 100
    for upto in (0, 1, 9, 10, 11, 57, 100, 133, count):
        expected = replayed(application, document_id, upto).text
        found = index.authorship(document_id, upto)
        assert found.runs == expected.runs, upto
    assert {run.author for run in index.authorship(document_id, count).runs} == {
        str(m) for m in {c.member_id for c in application.contributions(document_id)}
    }
    reference = replayed(application, document_id, count).tracker
    expected_sessions = sorted(
        [*reference.closed, *reference.open.values()], key=lambda s: (s.start, s.first)
    )
    assert index.sessions(document_id) == expected_sessions
    assert len(expected_sessions) > 20


def test_the_text_at_any_position_comes_from_the_index_exactly(
    database_url: str, application: PalabreApplication, index: HistoryIndex
) -> None:
    """Stored texts and changes rebuild the text at every position the index reaches, as
    the engine does from the contributions; beyond it, the index answers None."""
    document_id, count = type_concurrently(application, 75)
    updates = [c.update for c in application.contributions(document_id)]
    assert index.text(document_id, 30) is None  # nothing indexed yet
    assert index.catch_up(document_id) >= 60  # records every ten; the cursor at the end
    for position in range(1, count + 1):
        assert index.text(document_id, position) == rebuild(updates[:position]).text
    late = NewContribution(uuid4(), "s", Typist(uuid4(), 9, random.Random(5)).edit(), 1)
    application.append_contributions(document_id, count, [late])
    assert index.text(document_id, count + 1) is None  # not indexed: the caller replays
    fresh = open_history_index(Database(database_url), application, every=10)
    try:  # another process: the stored records only, no cursor
        stored = index.indexed_position(document_id)
        for position in (stored - 11, stored - 5, stored):
            expected = rebuild(updates[:position]).text
            assert fresh.text(document_id, position) == expected
    finally:
        fresh.close()


def test_the_index_resumes_where_it_stopped_and_follows_new_contributions(
    application: PalabreApplication, index: HistoryIndex
) -> None:
    document_id, count = type_concurrently(application, 60)
    first = index.catch_up(document_id)
    assert 40 <= first <= count
    rng = random.Random(3)
    late = Typist(uuid4(), 9, rng)
    for contribution in application.contributions(document_id):
        late.doc.apply_update(contribution.update)
    late.pending.clear()
    for _ in range(50):
        added = NewContribution(late.member, "s", late.edit(), 1)
        count = application.append_contributions(document_id, count, [added])
    assert index.catch_up(document_id) > first
    assert index.authorship(document_id, count).runs == (
        replayed(application, document_id, count).text.runs
    )
    assert index.sessions(document_id) == sessions(
        (edit for _c, edit in follow(application, document_id, _fresh(), count)), timedelta(0)
    )


def _fresh() -> Resume:
    return Resume(0, DeltaReplay(), Authorship(), SessionTracker())


def test_a_record_that_does_not_fit_its_checkpoint_is_passed_over(
    database_url: str, application: PalabreApplication, caplog: pytest.LogCaptureFixture
) -> None:
    """Derived data is never trusted blindly: run lengths that do not add up to the text of
    the checkpoint at the same position make the index fall back to an earlier state."""
    document_id, count = type_concurrently(application, 30)
    updates = [c.update for c in application.contributions(document_id, upto=20)]
    application.store_checkpoint(document_id, 20, compact(updates))
    views = HistoryIndexStore(env=Database(database_url).env(), transcoder=CompactTranscoder())
    index = HistoryIndex(application, views, DeltaReplay, every=1000)
    try:
        stamp = datetime.now(UTC)
        views.record(
            AuthorshipIndexed(
                originator_id=index_log_id(document_id, "authorship"),
                originator_version=20,
                timestamp=stamp,
                document_id=document_id,
                authors=["intrus"],
                runs=[0, 3],
            ),
            SessionsIndexed(
                originator_id=index_log_id(document_id, "sessions"),
                originator_version=20,
                timestamp=stamp,
                document_id=document_id,
                closed=[],
                open=[],
            ),
        )
        assert index.authorship(document_id, count).runs == (
            replayed(application, document_id, count).text.runs
        )
    finally:
        index.close()


async def test_a_checkpoint_makes_the_index_catch_up_in_the_background(
    application: PalabreApplication, index: HistoryIndex
) -> None:
    document_id, count = type_concurrently(application, 45)
    store = Store(application, threads=1, on_checkpoint=index.schedule)
    try:
        assert await store.checkpoint(document_id, minimum_tail=1) == count
        for _ in range(200):
            if index.indexed_position(document_id) == count:
                break
            await asyncio.sleep(0.05)
        assert index.indexed_position(document_id) == count  # a record at the checkpoint
    finally:
        store.close()


async def test_start_up_indexes_every_document_in_the_background(
    application: PalabreApplication, index: HistoryIndex
) -> None:
    """What a server does when it starts on a database whose history was never indexed."""
    first, _ = type_concurrently(application, 30)
    second, _ = type_concurrently(application, 25)
    index.schedule_all()
    for _ in range(200):
        if index.indexed_position(first) >= 20 and index.indexed_position(second) >= 20:
            break
        await asyncio.sleep(0.05)
    assert min(index.indexed_position(first), index.indexed_position(second)) >= 20


def test_records_stored_before_the_index_moved_still_read(database_url: str) -> None:
    """The index lived in ``palabre.server`` and its records carry that module in their
    topic: a database that has them must still read them, not fail on every catch-up."""
    views = HistoryIndexStore(env=Database(database_url).env(), transcoder=CompactTranscoder())
    try:
        document_id = uuid4()
        record = AuthorshipIndexed(
            originator_id=index_log_id(document_id, "authorship"),
            originator_version=10,
            timestamp=datetime.now(UTC),
            document_id=document_id,
            authors=["someone"],
            runs=[0, 5],
        )
        stored = views.mapper.to_stored_event(record)
        old_topic = "palabre.server.history_index:AuthorshipIndexed"
        views.recorder.insert_events([dataclasses.replace(stored, topic=old_topic)])
        found = views.latest_authorship(document_id, None)
        assert found is not None
        assert (found.originator_version, found.authors, found.runs) == (10, ["someone"], [0, 5])
    finally:
        views.close()
