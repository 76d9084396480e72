"""Palabre's websocket transport (``server/live/transport.py``) with real clients on a real
server: compression decided per message (a first sync compressed, keystrokes as they are),
the other compression settings, and a slow reader whose waiting updates go out merged."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator

import pytest
from palabre.client import LiveDocument, PalabreClient
from pycrdt import Doc, Text

from tests.conftest import Seed
from tests.support.live import converged, ws_url
from tests.support.node import node_client
from tests.support.rawsocket import RawSocket, Received
from tests.support.server import ServerProcess

SYNC_STEP1_EMPTY = b"\x00\x00\x01\x00"  # sync step 1 with an empty state vector
WORDS = [
    "palabre",
    "comité",
    "référentiel",
    "structure",
    "Lomé",
    "Rennes",
    "économie",
    "solidaire",
    "avis",
    "séance",
]


def prose(words: int, seed: int) -> str:
    draw = random.Random(seed)
    return " ".join(draw.choice(WORDS) for _ in range(words)) + ". "


class Replica:
    """What a raw client received, applied to a document of its own."""

    def __init__(self) -> None:
        self.doc: Doc[Text] = Doc()
        self.text = self.doc.get("body", type=Text)
        self.updates = 0  # update messages received

    def take(self, message: Received) -> bytes:
        """Apply a sync step 2 or an update message; return its kind (its first two bytes)."""
        kind = message.payload[:2]
        if kind in (b"\x00\x01", b"\x00\x02"):
            self.doc.apply_update(_payload(message.payload))
            self.updates += kind == b"\x00\x02"
        return kind


def _payload(message: bytes) -> bytes:
    """The update in a sync message: after the two type bytes and the length varuint."""
    offset = 2
    while message[offset] & 0x80:
        offset += 1
    return message[offset + 1 :]


async def first_sync(raw: RawSocket, replica: Replica) -> Received:
    raw.send(SYNC_STEP1_EMPTY)
    while True:
        message = await raw.receive()
        if replica.take(message) == b"\x00\x01":
            return message


async def until_text(raw: RawSocket, replica: Replica, text: str) -> list[Received]:
    """Read until the replica holds ``text``; the update messages read on the way."""
    updates = []
    try:
        async with asyncio.timeout(30):
            while str(replica.text) != text:
                message = await raw.receive()
                if replica.take(message) == b"\x00\x02":
                    updates.append(message)
    except TimeoutError:
        raise AssertionError(f"the replica holds {str(replica.text)[-80:]!r}") from None
    return updates


@pytest.mark.node
async def test_a_stock_client_gets_keystrokes_uncompressed_and_a_first_sync_compressed(
    server: ServerProcess, seed: Seed
) -> None:
    async with LiveDocument(server.base_url, seed.document_id, seed.editor) as writer:
        writer.insert(0, prose(3000, seed=1))  # about 30 KB of text
        await writer.wait_saved()
        raw = await RawSocket.open(ws_url(server.base_url, seed.document_id, seed.commenter))
        try:
            assert "permessage-deflate" in raw.extensions
            assert "server_no_context_takeover" in raw.extensions
            assert "client_no_context_takeover" in raw.extensions
            replica = Replica()
            answer = await first_sync(raw, replica)
            assert answer.compressed
            assert answer.wire_bytes < len(answer.payload) / 2
            assert str(replica.text) == writer.value
            async with node_client(server, seed.document_id, seed.editor2, "Afi") as node:
                await node.wait_synced()  # its first sync came compressed: it reads it
                before = writer.value
                await node.wait_text(before)
                await node.type("Akwaba", at="end", delay_ms=30)
                keystrokes = await until_text(raw, replica, before + "Akwaba")
                # Six keys, 30 ms apart: usually six messages, fewer when a loaded machine
                # lets two arrive in one turn of the server's loop (they go out merged).
                assert keystrokes
                assert not any(message.compressed for message in keystrokes)
                writer.insert(0, "Bonjour. ")
                await node.wait_text(await converged(writer))
                assert await node.text() == writer.value
        finally:
            await raw.close()


@pytest.fixture(params=["off", "per-connection"])
def compressing_server(request: pytest.FixtureRequest, database_url: str) -> Iterator[str]:
    process = ServerProcess(database_url, env={"PALABRE_COMPRESSION": request.param}).start()
    yield process.base_url
    process.kill()


async def test_compression_off_or_per_connection_as_configured(
    compressing_server: str, seed: Seed, request: pytest.FixtureRequest
) -> None:
    mode = request.node.callspec.params["compressing_server"]
    async with LiveDocument(compressing_server, seed.document_id, seed.editor) as writer:
        writer.insert(0, prose(300, seed=2))
        raw = await RawSocket.open(ws_url(compressing_server, seed.document_id, seed.editor2))
        try:
            replica = Replica()
            answer = await first_sync(raw, replica)
            await until_text(raw, replica, writer.value)
            writer.insert(0, "a")
            (keystroke,) = await until_text(raw, replica, writer.value)
        finally:
            await raw.close()
    if mode == "off":
        assert raw.extensions == ""
        assert not answer.compressed
        assert not keystroke.compressed
    else:  # uvicorn's way: every message, with the connection's own context
        assert "permessage-deflate" in raw.extensions
        assert "server_no_context_takeover" not in raw.extensions
        assert answer.compressed
        assert keystroke.compressed


async def test_a_slow_reader_gets_the_updates_it_missed_merged_and_converges(
    server: ServerProcess, seed: Seed
) -> None:
    url = ws_url(server.base_url, seed.document_id, seed.commenter)
    raw = await RawSocket.open(url, receive_buffer=4096)
    try:
        replica = Replica()
        await first_sync(raw, replica)
        typed = 300
        async with LiveDocument(server.base_url, seed.document_id, seed.editor) as writer:
            for n in range(typed):  # the raw client reads nothing meanwhile
                writer.insert(len(writer.value), prose(300, seed=n))
                if n % 50 == 49:
                    await asyncio.sleep(0.2)
            await writer.wait_saved(timeout=60)
            updates = await until_text(raw, replica, writer.value)
        assert len(updates) < typed / 2  # most of them came merged
        async with PalabreClient(server.base_url, seed.editor) as http:
            assert await http.text(seed.document_id) == str(replica.text)
    finally:
        await raw.close()
