"""The live core in process: a room, its batcher and its connections over recording fakes of
the two seams (``tests/support/fakes.py``), fed real Yjs updates. Batching by window and by
size, acknowledgements, retries with back-off, back-pressure, a slow client closed with 4429,
catch-up after a position conflict: each in milliseconds, no server process. The end-to-end
tests (``test_live.py``, ``test_rooms.py``) cover the same paths over real sockets."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from typing import Any

import pytest
from palabre.server.crdt.protocol import update_message
from palabre.server.live.close_codes import CloseCode
from palabre.server.settings import Settings

from tests.support.core import DEADLINE, Core, saved_counts, until
from tests.support.edits import Writer


@pytest.fixture
async def core(request: pytest.FixtureRequest) -> AsyncIterator[Core]:
    marker = request.node.get_closest_marker("settings")
    overrides: dict[str, Any] = marker.kwargs if marker else {}
    core = Core(Settings(**({"batch_window_ms": 20} | overrides)))
    yield core
    await core.close()


async def test_updates_within_the_window_are_stored_as_one_contribution(core: Core) -> None:
    connection, _ = core.connect()
    writer = Writer(101)
    for word in ("Le ", "projet ", "avance."):
        await core.room.receive(connection, update_message(writer.type(word)))
    assert core.store.appended == []  # nothing before the window ends
    await until(lambda: len(core.store.appended) == 1)
    (appended,) = core.store.appended
    assert [len(run.updates) for run in appended.runs] == [3]
    assert appended.runs[0].member_id == connection.member.id
    assert core.stored_text() == "Le projet avance."
    assert core.room.position == 1


async def test_runs_of_two_connections_are_two_contributions_in_one_batch(core: Core) -> None:
    first, _ = core.connect()
    second, _ = core.connect()
    a, b = Writer(101), Writer(202)
    await core.room.receive(first, update_message(a.type("Akwaba")))
    await core.room.receive(second, update_message(b.type("Bonjour")))
    await until(lambda: len(core.store.appended) == 1)
    runs = core.store.appended[0].runs
    assert [run.session_id for run in runs] == [first.session_id, second.session_id]
    assert core.room.position == 2


@pytest.mark.settings(batch_window_ms=60_000, batch_max_updates=3)
async def test_a_full_batch_is_stored_without_waiting_for_the_window(core: Core) -> None:
    connection, _ = core.connect()
    writer = Writer(101)
    for word in ("un ", "deux ", "trois ", "quatre"):
        await core.room.receive(connection, update_message(writer.type(word)))
    # One batch holds at most three updates; what is left over follows at once.
    await until(lambda: len(core.store.appended) == 2)
    assert [[len(run.updates) for run in a.runs] for a in core.store.appended] == [[3], [1]]


@pytest.mark.settings(batch_window_ms=60_000, batch_max_bytes=200)
async def test_a_batch_full_in_bytes_is_stored_without_waiting(core: Core) -> None:
    connection, _ = core.connect()
    writer = Writer(101)
    await core.room.receive(connection, update_message(writer.type("x" * 250)))
    await until(lambda: len(core.store.appended) == 1)


async def test_acknowledgements_count_what_is_durable(core: Core) -> None:
    connection, peer = core.connect(acks=True)
    _, quiet_peer = core.connect(acks=False)
    writer = Writer(101)
    await core.room.receive(connection, update_message(writer.type("Texte ")))
    await core.room.receive(connection, update_message(writer.type("validé")))
    assert saved_counts(peer) == []  # not before the commit
    await until(lambda: saved_counts(peer) == [2])
    await core.room.receive(connection, update_message(writer.type(".")))
    await until(lambda: saved_counts(peer) == [2, 3])
    assert saved_counts(quiet_peer) == []  # stock clients never get message 100


async def test_a_duplicate_update_is_acknowledged_without_a_contribution(core: Core) -> None:
    connection, peer = core.connect(acks=True)
    update = Writer(101).type("une fois")
    await core.room.receive(connection, update_message(update))
    await until(lambda: saved_counts(peer) == [1])
    await core.room.receive(connection, update_message(update))
    await until(lambda: saved_counts(peer) == [1, 2])
    assert len(core.store.log(core.document_id)) == 1


async def test_a_failing_store_is_retried_with_growing_back_off(core: Core) -> None:
    connection, peer = core.connect(acks=True)
    core.store.fail_next(3)
    await core.room.receive(connection, update_message(Writer(101).type("rien ne se perd")))
    await until(lambda: saved_counts(peer) == [1])
    attempts = core.store.attempts
    assert len(attempts) == 4
    gaps = [later - earlier for earlier, later in itertools.pairwise(attempts)]
    assert gaps[0] >= 0.09  # 0.1 s, then 0.2 s, then 0.4 s
    assert gaps[1] >= 0.19
    assert gaps[2] >= 0.39
    assert core.stored_text() == "rien ne se perd"


@pytest.mark.settings(max_pending_bytes=300)
async def test_readers_are_held_while_too_much_waits_for_a_slow_store(core: Core) -> None:
    connection, _ = core.connect()
    writer = Writer(101)
    core.store.slow()
    await core.room.receive(connection, update_message(writer.type("a" * 200)))
    await core.room.backpressure()  # under the limit: returns at once
    await until(lambda: len(core.store.attempts) == 1)  # first batch stuck in the store
    await core.room.receive(connection, update_message(writer.type("b" * 200)))
    await core.room.receive(connection, update_message(writer.type("c" * 200)))
    held = asyncio.ensure_future(core.room.backpressure())
    await asyncio.sleep(0.05)
    assert not held.done()
    core.store.resume()
    await asyncio.wait_for(held, DEADLINE)
    await until(lambda: core.stored_text() == "a" * 200 + "b" * 200 + "c" * 200)


async def test_a_client_that_does_not_read_is_closed_with_4429(core: Core) -> None:
    writer_connection, _ = core.connect()
    slow, slow_peer = core.connect(queue=4)
    fast, fast_peer = core.connect(queue=4)
    slow_peer.hold()
    await asyncio.sleep(0)  # the slow writer takes its first frame and blocks on it
    writer = Writer(101)
    for k in range(8):
        await core.room.receive(writer_connection, update_message(writer.type(f"{k}")))
        await asyncio.sleep(0)
    assert slow.close_code is CloseCode.TOO_SLOW
    assert fast.open
    slow_peer.release()
    await until(lambda: slow_peer.closed is not None)
    assert slow_peer.closed is not None
    assert slow_peer.closed[0] == 4429
    assert len(fast_peer.of_type(0, 2)) == 8  # the others got every update


async def test_after_a_position_conflict_the_room_catches_up_then_stores(core: Core) -> None:
    connection, peer = core.connect(acks=True)
    elsewhere, here = Writer(303), Writer(101)
    foreign = elsewhere.type("Ailleurs. ")
    core.store.stored_elsewhere(foreign)
    await core.room.receive(connection, update_message(here.type("Ici.")))
    await until(lambda: saved_counts(peer) == [1])
    assert core.store.appended[0].expected == 1  # after the other process's contribution
    assert core.store.tails == [0]
    assert core.room.position == 2
    # The room applied what the other process stored and passed it on to its clients.
    assert update_message(foreign) in peer.frames
    assert core.room.live.text == core.stored_text()
    assert sorted(core.stored_text()) == sorted("Ailleurs. Ici.")


@pytest.mark.settings(checkpoint_every=2)
async def test_a_checkpoint_is_stored_every_n_contributions(core: Core) -> None:
    connection, _ = core.connect()
    writer = Writer(101)
    await core.room.receive(connection, update_message(writer.type("un")))
    await until(lambda: core.room.position == 1)
    await asyncio.sleep(0.03)
    assert core.store.checkpoints == []
    await core.room.receive(connection, update_message(writer.type("deux")))
    await until(lambda: core.store.checkpoints == [2])


async def test_a_send_queue_is_bounded_in_bytes_too(core: Core) -> None:
    writer_connection, _ = core.connect()
    slow, slow_peer = core.connect(queue=10_000, queue_bytes=1000)
    slow_peer.hold()  # a client that asks for large answers and never reads
    await asyncio.sleep(0)
    writer = Writer(101)
    for _ in range(5):
        await core.room.receive(writer_connection, update_message(writer.type("x" * 300)))
    assert slow.close_code is CloseCode.TOO_SLOW
