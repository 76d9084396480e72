"""The answer kept for new clients (``server/live/first_sync.py``): joins at one state share
one cut of it (the same message objects, so their frames are built once); after changes the
answer still makes exactly the document (pieces kept, then the changes), in pycrdt, without
cutting the state again; every message stays within the limit and only the last is a sync
step 2; what is kept is cut again once it outgrows the state, and dropped, not grown, while
nobody joins."""

from __future__ import annotations

from typing import Any

from palabre.server.crdt.lib0 import Reader
from palabre.server.crdt.replica import LiveText
from palabre.server.live.first_sync import FirstSync
from palabre.server.live.outgoing import Outgoing
from pycrdt import Doc, Text

LIMIT = 4 << 10


class Writer:
    """A client typing into its own document; each change goes to the room's replica."""

    def __init__(self, live: LiveText, first_sync: FirstSync) -> None:
        self.doc: Doc[Any] = Doc(client_id=7)
        self.text = self.doc.get("body", type=Text)
        self._live = live
        self._first_sync = first_sync

    def type(self, words: int, start: int = 0) -> None:
        for n in range(start, start + words):
            before = self.doc.get_state()
            self.text.insert(0 if n % 3 else len(str(self.text)), f"mot{n} ")
            self.send(self.doc.get_update(before))

    def erase(self) -> None:
        before = self.doc.get_state()
        del self.text[0 : len(str(self.text))]
        self.send(self.doc.get_update(before))

    def send(self, update: bytes) -> None:
        for change in self._live.apply(update):
            self._first_sync.changed(change)


def applied(messages: list[Outgoing]) -> Doc[Any]:
    """A new client's document after the answer; checks the messages' kinds and sizes."""
    kinds = [message.payload[:2] for message in messages]
    assert kinds[:-1] == [b"\x00\x02"] * (len(messages) - 1)
    assert kinds[-1] == b"\x00\x01"
    copy: Doc[Any] = Doc()
    for message in messages:
        assert len(message) <= LIMIT + 64
        copy.apply_update(Reader(message.payload, 2).var_bytes())
    return copy


def same(copy: Doc[Any], live: LiveText) -> bool:
    return str(copy.get("body", type=Text)) == live.text and copy.get_state() == live.state_vector()


def test_joins_at_one_state_share_one_cut_and_its_messages() -> None:
    live, first_sync = LiveText(), FirstSync(LIMIT)
    Writer(live, first_sync).type(2000)
    answers = [first_sync.answer(live) for _ in range(3)]
    assert first_sync.cuts == 1
    assert len(answers[0]) > 4
    assert all(a is b for a, b in zip(answers[0], answers[2], strict=True))
    assert same(applied(answers[0]), live)


def test_after_changes_the_answer_makes_the_document_without_cutting_it_again() -> None:
    live, first_sync = LiveText(), FirstSync(LIMIT)
    writer = Writer(live, first_sync)
    writer.type(2000)
    first_sync.answer(live)
    for round_ in range(5):  # a join after each burst: a short tail, then tails of their own
        writer.type(60 * (round_ + 1), start=10_000 * (round_ + 1))
        assert same(applied(first_sync.answer(live)), live)
    assert first_sync.cuts == 1


def test_what_is_kept_is_cut_again_once_it_outgrows_the_state() -> None:
    live, first_sync = LiveText(), FirstSync(LIMIT)
    writer = Writer(live, first_sync)
    writer.type(2000)
    first_sync.answer(live)
    writer.erase()
    writer.type(50, start=50_000)
    for _ in range(6):  # the erased text goes on being kept while it is under twice the state
        writer.type(400, start=60_000 + 400 * _)
        assert same(applied(first_sync.answer(live)), live)
    assert first_sync.cuts >= 2


def test_nothing_grows_while_nobody_joins() -> None:
    live, first_sync = LiveText(), FirstSync(LIMIT)
    writer = Writer(live, first_sync)
    writer.type(200)
    first_sync.answer(live)
    writer.type(20_000, start=1000)  # far more than twice the state: everything is dropped
    assert first_sync.holding == 0
    assert same(applied(first_sync.answer(live)), live)
    assert first_sync.cuts == 2
