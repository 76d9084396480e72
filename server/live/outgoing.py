"""What a connection sends: one y-websocket message, shared by every connection it goes to,
with its websocket frames built once for all of them, and the merging of the document
updates waiting in one connection's queue.

A broadcast is one :class:`Outgoing` put in every recipient's queue. The transport asks it
for its frame (``live/transport.py``): the plain frame (RSV1 clear) and the deflated one
(RFC 7692 with no context takeover, so the same bytes suit every recipient that negotiated
the same window) are each built the first time a recipient needs them and kept on the
message, so a keystroke sent to 250 people is framed once, and a large message compressed
once.

Presence goes out to a room at most every ``PRESENCE_WINDOW_SECONDS``, as one message holding
each client's latest state (:class:`PresenceWindow`): stock clients send back every presence
change they receive, so one message per change came back from every client (in a room of
250, faster than a connection's awareness rate); a connection's own state sent back to it
changes nothing there.

A connection whose writer finds several broadcast updates waiting (a slow reader, a busy
loop) sends them as one merged update (:func:`coalesce`): fewer messages for a client that
is already behind, in fewer bytes. Merges are kept on the first message of the group, keyed
by the others, so recipients whose queues hold the same messages merge them once. A merge
the engine refuses leaves the updates as they were. Nothing here is stored or shared
between processes; a crash loses what the queues held, which clients get back when they
resync.
"""

from __future__ import annotations

import asyncio
import struct
import zlib
from collections.abc import Callable, Sequence

from palabre.server.crdt.awareness import AwarenessEntry, decode_awareness, encode_awareness
from palabre.server.crdt.protocol import update_message
from palabre.server.crdt.replica import InvalidUpdate, merge_all

PLAIN = 0  # the window bits of a frame that is not compressed
FIN_BINARY = 0x82  # a whole binary message in one frame
RSV1 = 0x40  # "this message is compressed" (RFC 7692)
SYNC_FLUSH_TAIL = b"\x00\x00\xff\xff"
MERGES_KEPT = 4  # merges remembered per message (recipients whose batches differ)
# zlib's fastest level: a large message is compressed on the loop, on its way to someone
# waiting for it (a late join); level 6 took 20 ms for 56 KB of the seph-blog1 update on the
# loaded development machine against 2.3 ms at level 1, for 15% more bytes.
COMPRESS_LEVEL = 1
PRESENCE_WINDOW_SECONDS = 0.1  # presence changes relayed together, at most this often


class Outgoing:
    """One message to send, and its frames once built. ``update`` is set for a broadcast
    document update, which a slow recipient's writer may merge with the ones after it."""

    __slots__ = ("_frames", "_merges", "payload", "update")

    def __init__(self, payload: bytes, update: bytes | None = None) -> None:
        self.payload = payload
        self.update = update
        self._frames: dict[int, bytes] = {}
        self._merges: dict[tuple[Outgoing, ...], Outgoing | None] = {}

    @classmethod
    def of_update(cls, update: bytes) -> Outgoing:
        return cls(update_message(update), update)

    def __len__(self) -> int:
        return len(self.payload)

    def frame(self, window_bits: int) -> bytes:
        """The server's frame of this message: plain for ``PLAIN``, else deflated with a
        fresh context of ``window_bits`` (9 to 15). Built once, then reused."""
        built = self._frames.get(window_bits)
        if built is None:
            built = self._frames[window_bits] = encode_frame(self.payload, window_bits)
        return built

    def merged_with(self, rest: tuple[Outgoing, ...]) -> Outgoing | None:
        """This update and ``rest`` as one update message; None if the engine refused."""
        if rest in self._merges:
            return self._merges[rest]
        found: Outgoing | None
        try:
            updates = [self.update, *(message.update for message in rest)]
            found = Outgoing.of_update(merge_all([u for u in updates if u is not None]))
        except InvalidUpdate:
            found = None
        if len(self._merges) >= MERGES_KEPT:
            self._merges.pop(next(iter(self._merges)))
        self._merges[rest] = found
        return found


def encode_frame(payload: bytes, window_bits: int) -> bytes:
    """A server-to-client binary frame (never masked) holding ``payload``, deflated with a
    fresh context when ``window_bits`` is not ``PLAIN``."""
    if window_bits == PLAIN:
        return _header(len(payload), compressed=False) + payload
    compressor = zlib.compressobj(COMPRESS_LEVEL, zlib.DEFLATED, -window_bits)
    return compressed_frame(deflate(payload, compressor))


def deflate(payload: bytes, compressor: zlib._Compress) -> bytes:
    """``payload`` through ``compressor`` as RFC 7692 sends it (the sync flush's empty block
    taken off); the compressor keeps its context for the next message."""
    data = compressor.compress(payload) + compressor.flush(zlib.Z_SYNC_FLUSH)
    return data[:-4] if data.endswith(SYNC_FLUSH_TAIL) else data


def compressed_frame(deflated: bytes) -> bytes:
    return _header(len(deflated), compressed=True) + deflated


def _header(length: int, compressed: bool) -> bytes:
    first = FIN_BINARY | (RSV1 if compressed else 0)
    if length < 126:
        return bytes((first, length))
    if length < 1 << 16:
        return struct.pack("!BBH", first, 126, length)
    return struct.pack("!BBQ", first, 127, length)


def coalesce(messages: Sequence[Outgoing], limit: int) -> list[Outgoing]:
    """``messages`` with their broadcast updates merged: each group of updates (other
    messages between them keep their order) whose payloads add up to at most ``limit``
    bytes becomes one update message, at the place of the group's first. Document updates
    commute, and presence is independent of the text, so nobody sees a difference but fewer
    messages."""
    result: list[Outgoing] = []
    group: list[Outgoing] = []
    place = size = 0
    for message in messages:
        if message.update is None:
            result.append(message)
            continue
        if group and size + len(message) > limit:
            _close_group(group, place, result)
            group, size = [], 0
        if not group:
            place = len(result)
            result.append(message)
        group.append(message)
        size += len(message)
    _close_group(group, place, result)
    return result


def _close_group(group: list[Outgoing], place: int, result: list[Outgoing]) -> None:
    """Replace the group's first message, at ``place``, with the merge of the group; if the
    engine refuses to merge them, the others go right after it, unmerged."""
    if len(group) < 2:
        return
    merged = group[0].merged_with(tuple(group[1:]))
    if merged is None:
        result[place + 1 : place + 1] = group[1:]
    else:
        result[place] = merged


class PresenceWindow:
    """Presence changes (awareness payloads, already validated) collected for one window,
    then handed to ``send`` as one payload with each client's latest entry."""

    def __init__(self, send: Callable[[bytes], None]) -> None:
        self._send = send
        self._entries: dict[int, AwarenessEntry] = {}
        self._timer: asyncio.TimerHandle | None = None

    def add(self, payload: bytes) -> None:
        for entry in decode_awareness(payload):
            waiting = self._entries.get(entry.client_id)
            if waiting is None or entry.clock >= waiting.clock:
                self._entries[entry.client_id] = entry
        if self._timer is None:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(PRESENCE_WINDOW_SECONDS, self._flush)

    def _flush(self) -> None:
        self._timer = None
        entries, self._entries = list(self._entries.values()), {}
        if entries:
            self._send(encode_awareness(entries))

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
