"""The live core on weak links, in process: presence states not renewed in time are dropped at
the clock the others hold, a reconnecting member takes their client id over and comes back
under a clock the others accept; a quiet connection gets a keepalive message; the answer to a
sync step 1 goes out in messages within the limit, the last one a sync step 2."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any
from uuid import uuid4

import orjson
from palabre.domain.application import MemberInfo, OrganisationInfo
from palabre.domain.ids import DocumentId, MemberId
from palabre.domain.roles import Country, Role
from palabre.server.crdt.awareness import AwarenessEntry, decode_awareness, encode_awareness
from palabre.server.crdt.lib0 import Reader
from palabre.server.crdt.protocol import sync_step1_message
from palabre.server.crdt.replica import rebuild
from palabre.server.live.connection import Connection
from palabre.server.live.presence import Presence
from palabre.server.live.room import Room
from palabre.server.settings import Settings
from pycrdt import Doc, Text

from tests.support.fakes import RecordingPeer

KEEPALIVE = b"\x01\x01\x00"  # an awareness message naming no client


def stamp(member_id: str) -> dict[str, str]:
    return {"id": member_id, "name": "Afi Mensah"}


def update(client: int, clock: int, state: object) -> bytes:
    text = "null" if state is None else orjson.dumps(state).decode()
    return encode_awareness([AwarenessEntry(client, clock, text)])


def entries(payload: bytes | None) -> list[tuple[int, int, object]]:
    assert payload is not None
    return [(e.client_id, e.clock, orjson.loads(e.state)) for e in decode_awareness(payload)]


# Presence -------------------------------------------------------------------------------------


def test_a_state_not_renewed_in_time_is_dropped_at_the_clock_the_others_hold() -> None:
    presence = Presence(timeout=30)
    presence.apply("a", update(7, 3, {"cursor": 1}), stamp("afi"), now=0.0)
    presence.apply("b", update(8, 1, {"cursor": 2}), stamp("yann"), now=0.0)
    assert presence.expire(now=20.0) == []
    presence.apply("b", update(8, 1, {"cursor": 2}), stamp("yann"), now=20.0)  # a renewal
    [(owner, gone)] = presence.expire(now=31.0)  # one change of one connection, as published
    assert (owner, entries(gone)) == ("a", [(7, 3, None)])  # the same clock: accepted
    assert [e[0] for e in entries(presence.snapshot())] == [8]  # late arrivals see Yann only
    assert presence.expire(now=45.0) == []
    assert [(o, entries(p)) for o, p in presence.expire(now=51.0)] == [("b", [(8, 1, None)])]


def test_a_member_reconnecting_takes_their_client_id_over_and_comes_back_at_a_later_clock() -> None:
    presence = Presence()
    presence.apply("old", update(7, 3, {"cursor": 1}), stamp("afi"), now=0.0)
    # Another member cannot take it.
    other = presence.apply("intruder", update(7, 9, {"cursor": 9}), stamp("kodjo"), now=1.0)
    assert other.forward is None
    # Afi's new connection, while the old one is still held open by a dead link.
    same = presence.apply("new", update(7, 3, {"cursor": 1}), stamp("afi"), now=2.0)
    assert same.forward is None  # the others hold that state already
    assert presence.remove("old") is None  # the old connection leaves: nothing to drop
    assert [e[0] for e in entries(presence.snapshot())] == [7]
    # Dropped (the link died again), then back with the clock the others saw it leave at.
    assert entries(presence.remove("new")) == [(7, 3, None)]
    back = presence.apply("newer", update(7, 3, {"cursor": 4}), stamp("afi"), now=5.0)
    assert [(c, k) for c, k, _ in entries(back.forward)] == [(7, 4)]  # a clock they accept
    assert [(c, k) for c, k, _ in entries(back.echo)] == [(7, 4)]  # and the client adopts it
    renewed = presence.apply("newer", update(7, 5, {"cursor": 4}), stamp("afi"), now=20.0)
    assert [(c, k) for c, k, _ in entries(renewed.forward)] == [(7, 5)]
    assert renewed.echo is None


def test_a_members_other_connection_echoing_states_takes_nothing_over() -> None:
    presence = Presence()
    presence.apply("writer", update(5, 1, {"cursor": 0}), stamp("afi"), now=0.0)
    for n in range(20):  # Afi's other tabs come and go; the writer echoes each of their states
        client = 100 + n
        presence.apply(f"tab{n}", update(client, 1, {"cursor": n}), stamp("afi"), now=1.0)
        echo = presence.apply("writer", update(client, 1, {"cursor": n}), stamp("afi"), now=1.0)
        assert echo.forward is None
        assert entries(presence.remove(f"tab{n}")) == [(client, 1, None)]  # still the tab's
        late = presence.apply("writer", update(client, 1, {"cursor": n}), stamp("afi"), now=1.0)
        assert late.forward is None  # a state echoed after its tab left brings no ghost back
    assert [e[0] for e in entries(presence.snapshot())] == [5]


# The connection's keepalive -------------------------------------------------------------------


def member() -> MemberInfo:
    organisation = OrganisationInfo(uuid4(), "Fédération des ONG du Togo", Country.TG)
    return MemberInfo(MemberId(uuid4()), "Afi Mensah", organisation, {"*": Role.EDITOR}, {})


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "never happened"
        await asyncio.sleep(0.002)


async def test_a_quiet_connection_gets_a_keepalive_and_a_busy_one_does_not() -> None:
    peer = RecordingPeer()
    connection = Connection(peer, member(), Role.EDITOR, queue_size=64, keepalive=0.2)
    writer = asyncio.get_running_loop().create_task(connection.run_writer())
    try:
        for _ in range(10):  # busy for a second: no keepalive in between
            connection.send(b"\x00\x02\x02\x00\x00")
            await asyncio.sleep(0.1)
        assert KEEPALIVE not in peer.frames
        await until(lambda: peer.frames[-1:] == [KEEPALIVE])  # quiet: one comes
        await until(lambda: peer.frames.count(KEEPALIVE) >= 2)  # and again
    finally:
        writer.cancel()


# The answer to a sync step 1 ------------------------------------------------------------------


class NoStore:
    """A room's store that nothing in these tests reaches."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the store was used: {name}")


async def test_a_large_first_sync_goes_out_in_messages_within_the_limit() -> None:
    source: Doc[Any] = Doc(client_id=42)
    text = source.get("body", type=Text)
    for n in range(3000):
        text.insert(0 if n % 2 else len(str(text)), f"mot{n} ")
    whole = source.get_update()
    limit = 8 << 10
    assert len(whole) > 4 * limit
    tasks: set[asyncio.Task[Any]] = set()

    def spawn(work: Any) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(work)
        tasks.add(task)
        return task

    settings = Settings(max_sync_message_bytes=limit)
    room = Room(DocumentId(uuid4()), rebuild([whole]), 1, 1, NoStore(), settings, spawn)
    peer = RecordingPeer()
    connection = Connection(peer, member(), Role.EDITOR, queue_size=4096)
    spawn(connection.run_writer())
    try:
        room.join(connection)
        await room.receive(connection, sync_step1_message(b"\x00"))  # an empty state vector
        await until(lambda: any(f.startswith(b"\x00\x01") for f in peer.frames))
        answer = [f for f in peer.frames if f[0] == 0 and f[1] in (1, 2)]
        assert len(answer) > 4
        assert all(f[:2] == b"\x00\x02" for f in answer[:-1])
        assert answer[-1][:2] == b"\x00\x01"
        assert max(len(f) for f in answer) <= limit + 64
        copy: Doc[Any] = Doc()
        for frame in answer:
            reader = Reader(frame, 2)
            copy.apply_update(reader.var_bytes())
        assert str(copy.get("body", type=Text)) == str(text)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
