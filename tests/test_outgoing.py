"""Outgoing messages in process (``server/live/outgoing.py``, the connection's writer and the
room's presence relay): a broadcast is one object framed once, frames are standard websocket
frames, the updates waiting for a slow reader go out merged, within the limit, and converge,
and presence changes go out together, once per window."""

from __future__ import annotations

import asyncio
import struct
import zlib
from collections.abc import Callable

import orjson
from palabre.server.crdt.awareness import AwarenessEntry, decode_awareness, encode_awareness
from palabre.server.crdt.protocol import awareness_message, update_message
from palabre.server.live.outgoing import PLAIN, PRESENCE_WINDOW_SECONDS, Outgoing, coalesce
from palabre.server.settings import Settings
from pycrdt import Doc, Text

from tests.support.core import Core
from tests.support.fakes import RecordingPeer

Updates = list[bytes]


def keystrokes(count: int, client_id: int = 7) -> Updates:
    doc: Doc[Text] = Doc(client_id=client_id)
    text = doc.get("body", type=Text)
    updates: Updates = []
    doc.observe(lambda event: updates.append(event.update))
    for n in range(count):
        text.insert(len(text) // 2, "abcdefghij"[n % 10])
    return updates


def text_of(updates: Updates) -> str:
    doc: Doc[Text] = Doc()
    text = doc.get("body", type=Text)
    for update in updates:
        doc.apply_update(update)
    return str(text)


def payload_of(message: bytes) -> bytes:
    """The update in an update message (after the two type bytes and the length)."""
    offset = 2
    while message[offset] & 0x80:
        offset += 1
    return message[offset + 1 :]


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "never happened"
        await asyncio.sleep(0.002)


# Frames ---------------------------------------------------------------------------------------


def parsed(frame: bytes) -> tuple[int, bytes]:
    """A server frame's first byte and its payload, checking the announced length."""
    length, offset = frame[1], 2
    assert not length & 0x80  # a server never masks
    if length == 126:
        (length,) = struct.unpack("!H", frame[2:4])
        offset = 4
    elif length == 127:
        (length,) = struct.unpack("!Q", frame[2:10])
        offset = 10
    assert len(frame) - offset == length
    return frame[0], frame[offset:]


def test_a_plain_frame_is_a_final_binary_frame_with_the_right_length() -> None:
    for size in (0, 125, 126, 65535, 65536):
        first, payload = parsed(Outgoing(b"x" * size).frame(PLAIN))
        assert first == 0x82  # FIN, no RSV1, binary
        assert payload == b"x" * size


def test_a_deflated_frame_has_rsv1_and_inflates_alone_to_the_payload() -> None:
    payload = ("Le comité de pilotage valide le référentiel. " * 200).encode()
    for bits in (9, 12, 15):
        first, data = parsed(Outgoing(payload).frame(bits))
        assert first == 0xC2  # FIN, RSV1 (compressed), binary
        assert len(data) < len(payload) / 10
        # No context takeover: a fresh decompressor reads it.
        inflated = zlib.decompressobj(wbits=-bits).decompress(data + b"\x00\x00\xff\xff")
        assert inflated == payload


def test_a_message_is_framed_once_whoever_asks() -> None:
    message = Outgoing(b"\x00\x02\x03abc" * 400)
    assert message.frame(PLAIN) is message.frame(PLAIN)
    assert message.frame(15) is message.frame(15)


async def test_a_broadcast_is_one_message_in_every_queue() -> None:
    core = Core(Settings())
    writer, _ = core.connect()
    readers = [core.connect()[1] for _ in range(3)]
    update = keystrokes(1)[0]
    await core.room.receive(writer, update_message(update))

    def broadcasts(peer: RecordingPeer) -> list[Outgoing]:
        return [m for write in peer.writes for m in write if m.update is not None]

    await until(lambda: all(broadcasts(peer) for peer in readers))
    assert len({id(m) for peer in readers for m in broadcasts(peer)}) == 1


# Merging ---------------------------------------------------------------------------------------


def test_waiting_updates_merge_into_one_in_the_first_ones_place() -> None:
    updates = keystrokes(5)
    presence = [Outgoing(awareness_message(bytes([1, n, 1, 2, 0x7B, 0x7D]))) for n in range(2)]
    messages = [Outgoing.of_update(updates[0]), presence[0]]
    messages += [Outgoing.of_update(u) for u in updates[1:3]] + [presence[1]]
    messages += [Outgoing.of_update(u) for u in updates[3:]]
    merged = coalesce(messages, limit=64 << 10)
    assert len(merged) == 3
    assert merged[1:] == presence  # other messages keep their order
    assert merged[0].payload[:2] == b"\x00\x02"
    assert text_of([payload_of(merged[0].payload)]) == text_of(updates)


def test_merged_updates_stay_within_the_limit() -> None:
    updates = keystrokes(200)
    messages = [Outgoing.of_update(u) for u in updates]
    limit = 600
    merged = coalesce(messages, limit)
    assert 1 < len(merged) < len(messages) / 10
    assert all(len(message.update or b"") <= limit for message in merged)
    assert text_of([payload_of(m.payload) for m in merged]) == text_of(updates)


def test_a_merge_the_engine_refuses_leaves_the_updates_as_they_were() -> None:
    good = Outgoing.of_update(keystrokes(1)[0])
    bad = Outgoing(update_message(b"\xff\xff\xff"), b"\xff\xff\xff")
    assert coalesce([good, bad], 64 << 10) == [good, bad]


def test_parts_of_a_first_sync_are_never_merged() -> None:
    pieces = [Outgoing(update_message(u)) for u in keystrokes(3)]  # the room's split answer
    assert coalesce(pieces, 64 << 10) == pieces


def test_recipients_whose_queues_hold_the_same_updates_share_one_merge() -> None:
    messages = [Outgoing.of_update(u) for u in keystrokes(4)]
    first = coalesce(messages, 64 << 10)
    second = coalesce(messages, 64 << 10)
    assert len(first) == 1
    assert first[0] is second[0]


async def test_a_slow_reader_gets_its_waiting_updates_merged_and_converges() -> None:
    core = Core(Settings())
    writer, _ = core.connect()
    slow, slow_peer = core.connect(queue=4096)
    fast, fast_peer = core.connect(queue=4096)
    await until(lambda: len(slow_peer.frames) >= 1)  # its sync step 1 went out
    slow_peer.hold()  # stops reading
    updates = keystrokes(300)
    for update in updates:
        await core.room.receive(writer, update_message(update))
        await asyncio.sleep(0)  # the fast reader's writer runs as they come
    slow_peer.release()
    expected = text_of(updates)
    await until(lambda: text_of([payload_of(f) for f in slow_peer.of_type(0, 2)]) == expected)
    received = slow_peer.of_type(0, 2)
    assert len(received) < 10
    assert slow.spared_messages > 290
    assert text_of([payload_of(f) for f in fast_peer.of_type(0, 2)]) == expected
    assert fast.spared_messages < 100  # it kept up: most updates went out as they came
    await core.room.flush()
    assert text_of(core.store.log(core.document_id)) == expected  # nothing lost


async def test_a_reader_that_keeps_up_gets_every_update_as_it_came() -> None:
    core = Core(Settings())
    writer, _ = core.connect()
    reader, peer = core.connect()
    updates = keystrokes(20)
    for update in updates:
        await core.room.receive(writer, update_message(update))
        await until(lambda: reader.queued == 0)
        await asyncio.sleep(0.001)
    await until(lambda: len(peer.of_type(0, 2)) == len(updates))
    assert [payload_of(f) for f in peer.of_type(0, 2)] == updates
    assert reader.spared_messages == 0


# Presence --------------------------------------------------------------------------------------


def presence(client: int, clock: int, cursor: int) -> bytes:
    state = orjson.dumps({"cursor": cursor}).decode()
    return awareness_message(encode_awareness([AwarenessEntry(client, clock, state)]))


async def test_presence_changes_in_one_window_go_out_as_one_message_of_latest_states() -> None:
    core = Core(Settings())
    first, _ = core.connect()
    second, _ = core.connect()
    _, reader = core.connect()
    for clock in range(5):  # a cursor moving, from two people
        await core.room.receive(first, presence(101, clock, clock))
        await core.room.receive(second, presence(202, clock, 10 * clock))
    await until(lambda: bool(reader.of_type(1)))
    await asyncio.sleep(3 * PRESENCE_WINDOW_SECONDS)
    (message,) = reader.of_type(1)
    entries = decode_awareness(payload_of_awareness(message))
    assert sorted((e.client_id, e.clock) for e in entries) == [(101, 4), (202, 4)]
    assert [orjson.loads(e.state)["cursor"] for e in entries] == [4, 40]


def payload_of_awareness(message: bytes) -> bytes:
    offset = 1
    while message[offset] & 0x80:
        offset += 1
    return message[offset + 1 :]
