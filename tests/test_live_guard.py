"""What the room refuses, in process over the recording fakes: content outside the rules,
client ids of another member, updates and documents above their limits, an engine panic
(the replica is rebuilt, the others resync), a slow check (other rooms go on), and rates
(a burst is slowed down, a flood is closed)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterable

import pytest
from palabre.server.crdt.check import ForbiddenContent, TooLarge
from palabre.server.crdt.protocol import sync_step1_message, sync_step2_message, update_message
from palabre.server.crdt.replica import InvalidUpdate, LiveText, engine_refusals
from palabre.server.live.checker import CheckTimedOut, PooledChecker
from palabre.server.live.limits import Flooding, Throttle, TokenBucket
from palabre.server.settings import Settings
from pycrdt import Doc, Text

from tests.support.core import Core, member, until
from tests.support.edits import Writer
from tests.support.fakes import RecordingStore
from tests.support.slow_check import MARKER, slow_check


@pytest.fixture
async def core() -> AsyncIterator[Core]:
    core = Core(Settings(batch_window_ms=5, max_update_bytes=4096, max_document_bytes=8192))
    yield core
    await core.close()


async def test_formatting_is_refused_and_nothing_of_it_is_stored(core: Core) -> None:
    connection, _ = core.connect()
    _, other = core.connect()
    doc: Doc[Text] = Doc(client_id=55)
    doc.get("body", type=Text).insert(0, "gras", {"bold": True})
    with pytest.raises(ForbiddenContent, match="formatting"):
        await core.room.receive(connection, update_message(doc.get_update()))
    await asyncio.sleep(0.03)
    assert core.room.live.text == ""
    assert core.store.attempts == []
    assert other.of_type(0, 2) == []  # nobody received it


async def test_a_client_id_belongs_to_the_member_who_wrote_under_it_first(core: Core) -> None:
    author, _ = core.connect()
    forger, _ = core.connect()
    honest = Writer(101)
    await core.room.receive(author, update_message(honest.type("Texte de Yann. ")))
    clash = Writer(101)  # the same client id, other content at clocks the server holds
    await core.room.receive(forger, update_message(clash.type("Faux !")))
    assert core.room.live.text == "Texte de Yann. "  # dropped: the server keeps its own
    with pytest.raises(ForbiddenContent, match="belongs to another member"):
        await core.room.receive(forger, update_message(clash.type(" et la suite, usurpée")))
    again, _ = core.connect(who=author.member)  # the author's second tab may
    await core.room.receive(again, update_message(honest.type("Suite.")))
    await until(lambda: core.stored_text() == "Texte de Yann. Suite.")


async def test_a_resync_that_relays_another_members_edits_keeps_only_its_own(
    core: Core,
) -> None:
    """After a crash, a client's sync step 2 carries other people's edits the server lost:
    those are left for their author to send again; the client's own are applied (once what
    they build on is back). Whoever completes them gets them too."""
    author, author_peer = core.connect()
    relayer, _ = core.connect()
    a, b = Writer(101), Writer(202)
    await core.room.receive(author, update_message(a.type("Stocké. ")))
    lost = a.type("Perdu dans le crash. ")  # the server never applied it (it "crashed")
    b.receive(a.doc.get_update())
    b.type("Le mien.")  # typed after the lost text, so it builds on it
    await core.room.receive(relayer, sync_step2_message(b.doc.get_update()))
    assert core.room.live.text == "Stocké. "  # the relayed text dropped, b's waits for it
    assert core.room.owners.owner(101) == author.member.id
    await core.room.receive(author, update_message(lost))  # the author's client resends
    assert core.room.live.text == "Stocké. Perdu dans le crash. Le mien."
    await until(lambda: bool(author_peer.of_type(0, 2)))
    for frame in author_peer.of_type(0, 2):  # what the author was sent
        a.receive(frame[3:] if frame[2] < 0x80 else frame[4:])
    assert a.value == core.room.live.text


async def test_an_edit_stored_by_another_instance_keeps_its_authors_client_id(
    core: Core,
) -> None:
    """Another instance stored an author's edit and this room applied it as theirs: a member
    whose page relays that text in its resync does not take the id over, and the author,
    sent to this instance when theirs goes down, goes on typing under it."""
    yann = member("Yann Le Gall")
    a = Writer(101)
    core.store.stored_elsewhere(a.type("Écrit ailleurs. "), by=yann.id)
    typist, _ = core.connect()
    await core.room.receive(typist, update_message(Writer(303).type("Ici. ")))
    await until(lambda: "Écrit ailleurs. " in core.room.live.text)  # caught up after a conflict
    relayer, _ = core.connect()
    b = Writer(202)
    b.receive(a.doc.get_update())  # the relayer's page holds Yann's text, nothing of its own
    await core.room.receive(relayer, sync_step2_message(b.doc.get_update()))
    assert core.room.owners.owner(101) != relayer.member.id
    back, _ = core.connect(who=yann)
    await core.room.receive(back, update_message(a.type("Suite.")))
    await until(lambda: "Écrit ailleurs. Suite." in core.stored_text())
    assert core.room.owners.owner(101) == yann.id


async def test_after_a_restart_owners_are_read_back_from_the_log() -> None:
    store = RecordingStore()
    first = Core(Settings(batch_window_ms=5), store=store)
    author, _ = first.connect()
    honest = Writer(101)
    await first.room.receive(author, update_message(honest.type("Avant l'arrêt. ")))
    await until(lambda: first.room.position == 1)
    await first.close()
    # A new room on the same log, loaded from a "checkpoint" at its end: owners unknown.
    second = Core(Settings(batch_window_ms=5), store=store, document_id=first.document_id)
    try:
        forger, _ = second.connect()
        forged = Writer(101).type("Faux, et plus long que l'original")
        with pytest.raises(ForbiddenContent, match="belongs to another member"):
            await second.room.receive(forger, update_message(forged))
        assert store.lookups == [{101}]
        back, _ = second.connect(who=author.member)  # the same tab, reconnected
        await second.room.receive(back, update_message(honest.type("Après.")))
        await until(lambda: second.stored_text() == "Avant l'arrêt. Après.")
    finally:
        await second.close()


async def test_offline_edits_of_an_old_tab_are_accepted_with_the_new_one(core: Core) -> None:
    who = member()
    old_tab, new_tab = Writer(101), Writer(202)
    first, _ = core.connect(who=who)
    await core.room.receive(first, update_message(old_tab.type("En ligne. ")))
    offline = old_tab.type("Hors ligne.")
    new_tab.receive(old_tab.doc.get_update())
    reconnected, _ = core.connect(who=who)
    await core.room.receive(reconnected, update_message(new_tab.doc.get_update()))
    await core.room.receive(reconnected, update_message(offline))
    assert core.room.live.text == "En ligne. Hors ligne."


async def test_updates_and_documents_above_their_limits_are_refused(core: Core) -> None:
    connection, _ = core.connect()
    writer = Writer(101)
    with pytest.raises(TooLarge, match="above 4096"):
        await core.room.receive(connection, update_message(writer.type("x" * 5000)))
    second, _ = core.connect()
    other = Writer(202)
    for _ in range(2):
        await core.room.receive(second, update_message(other.type("y" * 4000)))
    with pytest.raises(TooLarge, match="document would grow"):
        await core.room.receive(second, update_message(other.type("z" * 400)))
    assert core.room.live.size() == 8000


class PanicException(BaseException):
    """Named like pyo3's, which ``is_engine_panic`` recognises."""


def fragile(poison: bytes) -> Callable[[Iterable[bytes]], LiveText]:
    """Replicas whose engine panics on ``poison``, as pycrdt did under fuzzing."""

    class Fragile(LiveText):
        def apply(self, update: bytes) -> list[bytes]:
            if update == poison:
                with engine_refusals("update", on_panic=[self]):
                    raise PanicException("called `Option::unwrap()` on a `None` value")
            return super().apply(update)

    def build(updates: Iterable[bytes]) -> LiveText:
        live = Fragile()
        live.apply_stored(updates)
        return live

    return build


async def test_a_panic_costs_one_update_and_the_room_rebuilds() -> None:
    poison = Writer(303).type("panique")
    core = Core(Settings(batch_window_ms=20), replica=fragile(poison))
    try:
        alice, alice_peer = core.connect()
        mallory, _ = core.connect()
        a = Writer(101)
        await core.room.receive(alice, update_message(a.type("Stocké. ")))
        await until(lambda: core.room.position == 1)
        await core.room.receive(alice, update_message(a.type("Pas encore stocké.")))
        before = core.room.live
        with pytest.raises(InvalidUpdate, match="panicked"):
            await core.room.receive(mallory, update_message(poison))
        await until(lambda: core.room.live is not before)
        assert core.room.rebuilds == 1
        assert core.room.live.text == "Stocké. Pas encore stocké."
        assert not core.room.live.poisoned
        # Everyone is asked for what the new replica lacks, then editing goes on.
        assert alice_peer.frames[-1] == sync_step1_message(core.room.live.state_vector())
        await core.room.receive(alice, update_message(a.type(" Encore.")))
        await until(lambda: core.stored_text() == "Stocké. Pas encore stocké. Encore.")
        assert poison not in b"".join(core.store.log(core.document_id))
    finally:
        await core.close()


async def test_a_slow_check_does_not_hold_other_rooms() -> None:
    settings = Settings(batch_window_ms=5, check_inline_bytes=64, check_timeout_ms=8000)
    checker = PooledChecker(settings, check=slow_check)
    slow_room, other_room = Core(settings, checker), Core(settings, checker)
    try:
        mallory, _ = slow_room.connect()
        alice, _ = other_room.connect()
        hostile = Writer(303).type("x" * 100 + MARKER.decode())
        stuck = asyncio.ensure_future(slow_room.room.receive(mallory, update_message(hostile)))
        writer = Writer(101)
        typed = 0
        while not stuck.done():  # the other room keeps editing while the check spins
            await other_room.room.receive(alice, update_message(writer.type("a")))
            typed += 1
            await asyncio.sleep(0.01)
        with pytest.raises(CheckTimedOut):
            await stuck
        assert typed >= 50
        assert checker.replaced == 1
        await until(lambda: other_room.stored_text() == "a" * typed)
        assert slow_room.room.live.text == ""
        # The replacement worker checks large updates again.
        big = Writer(404).type("y" * 200)
        await slow_room.room.receive(mallory, update_message(big))
    finally:
        checker.close()
        await slow_room.close()
        await other_room.close()


async def test_a_burst_is_slowed_down_and_a_flood_is_closed() -> None:
    settings = Settings(updates_per_second=50, member_updates_per_second=1000, throttle_seconds=1)
    throttle = Throttle(settings, TokenBucket(1000))
    started = time.monotonic()
    for _ in range(130):  # 100 in the bucket, then 30 at 50/s
        await throttle.update()
    assert time.monotonic() - started >= 0.5
    flood = Throttle(settings, TokenBucket(1000))

    async def flooding() -> None:
        for _ in range(1000):
            await flood.update()

    with pytest.raises(Flooding):
        await flooding()
