"""Live editing against a real server process: convergence, roles, refusals, isolation."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any
from uuid import uuid4

import orjson
import pytest
from palabre.client import LiveDocument, LiveError, PalabreClient
from pycrdt import Awareness, Doc, Text, create_awareness_message, create_update_message

from tests.conftest import Seed
from tests.support.live import close_code_for, converged, ws_url
from tests.support.server import UNTHROTTLED, ServerProcess


async def test_two_python_clients_converge(server: ServerProcess, seed: Seed) -> None:
    async with (
        LiveDocument(server.base_url, seed.document_id, seed.editor) as a,
        LiveDocument(server.base_url, seed.document_id, seed.editor2) as b,
    ):
        a.insert(0, "Bonjour à tous. ")
        b.insert(0, "Akwaba ! ")
        text = await converged(a, b)
        assert sorted(text) == sorted("Bonjour à tous. Akwaba ! ")
        await a.wait_saved()
        await b.wait_saved()
        a.delete(0, 3)
        await converged(a, b)
        await a.wait_saved()
    async with PalabreClient(server.base_url, seed.editor) as http:
        assert await http.text(seed.document_id) == a.value
        assert (await http.document(seed.document_id))["contributions"] == 3
    connection = await server.wait_for_log(f"/ws/{seed.document_id}?token=")
    assert "token=***" in server.log()[connection.start() :]  # connections are logged...
    assert seed.editor not in server.log()  # ...but never with their token


async def test_observer_reads_but_its_updates_are_refused(
    server: ServerProcess, seed: Seed
) -> None:
    async with (
        LiveDocument(server.base_url, seed.document_id, seed.editor) as editor,
        LiveDocument(server.base_url, seed.document_id, seed.observer) as observer,
        LiveDocument(server.base_url, seed.document_id, seed.commenter) as commenter,
    ):
        editor.insert(0, "Texte validé")
        await observer.wait_for_text("Texte validé")
        await editor.wait_saved()
        observer.insert(0, "OBSERVER ")
        commenter.insert(0, "COMMENTER ")
        await _until(lambda: bool(observer.denied) and bool(commenter.denied))
        assert "observer cannot edit" in observer.denied[0]
        assert "commenter cannot edit" in commenter.denied[0]
        await asyncio.sleep(0.3)  # longer than a batch window
        assert editor.value == "Texte validé"
    async with PalabreClient(server.base_url, seed.observer) as http:
        assert await http.text(seed.document_id) == "Texte validé"
        assert (await http.document(seed.document_id))["contributions"] == 1


@pytest.mark.parametrize(
    ("token_of", "document_of", "expected"),
    [
        (lambda s: "", lambda s: s.document_id, 4401),
        (lambda s: "plb_not-a-real-token", lambda s: s.document_id, 4401),
        (lambda s: "garbage", lambda s: s.document_id, 4401),
        (lambda s: s.editor, lambda s: str(uuid4()), 4404),
        (lambda s: s.editor, lambda s: "not-a-uuid", 4404),
    ],
    ids=["missing-token", "unknown-token", "malformed-token", "unknown-document", "bad-id"],
)
async def test_refusals_have_named_close_codes(
    server: ServerProcess,
    seed: Seed,
    token_of: Callable[[Seed], str],
    document_of: Callable[[Seed], str],
    expected: int,
) -> None:
    url = ws_url(server.base_url, document_of(seed), token_of(seed))
    code, reason = await close_code_for(url)
    assert code == expected
    assert reason


async def test_member_of_another_document_is_forbidden(server: ServerProcess, seed: Seed) -> None:
    async with PalabreClient(server.base_url, seed.coordinator) as http:
        other = (await http.create_document("Autre document"))["id"]
    code, _ = await close_code_for(ws_url(server.base_url, other, seed.editor))
    assert code == 4403


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        # An update the engine would refuse: the update check refuses it first.
        (b"\x00\x02\x05\xff\xff\x00\x01\x02", "malformed update"),
        (b"\x00\x02\x7f\x01", "length prefix"),  # update shorter than announced
        (b"\x00\x09\x00", "unknown sync type"),
        (b"\x07", "unknown message type"),
        (b"", "empty frame"),
        ("texte", "text frames"),
        (b"\x01\x09\x01\x01\x01\x05hello", "not JSON"),  # awareness state that is not JSON
    ],
    ids=["corrupt-update", "truncated", "sync-type", "message-type", "empty", "text", "awareness"],
)
async def test_garbage_closes_only_that_connection(
    server: ServerProcess, seed: Seed, frame: bytes | str, reason: str
) -> None:
    async with (
        LiveDocument(server.base_url, seed.document_id, seed.editor) as a,
        LiveDocument(server.base_url, seed.document_id, seed.editor2) as b,
    ):
        a.insert(0, "avant ")
        await converged(a, b)
        code, said = await close_code_for(
            ws_url(server.base_url, seed.document_id, seed.editor), frame
        )
        assert code == 4400
        assert reason in said
        b.insert(len(b.value), "après")
        assert await converged(a, b) == "avant après"
        await a.wait_saved()
        await b.wait_saved()
    async with PalabreClient(server.base_url, seed.editor) as http:
        assert await http.text(seed.document_id) == "avant après"


async def test_oversized_frame_is_refused_with_4413(seed: Seed, database_url: str) -> None:
    server = ServerProcess(database_url, {"PALABRE_MAX_MESSAGE_BYTES": "1000"}).start()
    try:
        big = create_update_message(_update_inserting("x" * 2000))
        code, _ = await close_code_for(ws_url(server.base_url, seed.document_id, seed.editor), big)
        assert code == 4413
        # The editor now waits out a cool-down (tests/test_cooldowns.py); the others go on.
        async with LiveDocument(server.base_url, seed.document_id, seed.editor2) as live:
            live.insert(0, "petit")
            await live.wait_saved()
        async with PalabreClient(server.base_url, seed.editor) as http:
            assert await http.text(seed.document_id) == "petit"
    finally:
        server.kill()


async def test_presence_is_relayed_and_stamped_by_the_server(
    server: ServerProcess, seed: Seed
) -> None:
    """Awareness carries the member the server authenticated, whatever the client claims."""
    from websockets.asyncio.client import connect

    async with connect(ws_url(server.base_url, seed.document_id, seed.observer)) as watcher:
        doc: Doc[Any] = Doc()
        async with connect(ws_url(server.base_url, seed.document_id, seed.editor)) as spoofer:
            awareness = Awareness(doc)
            awareness.set_local_state({"cursor": 3, "member": {"name": "Quelqu'un d'autre"}})
            update = awareness.encode_awareness_update([doc.client_id])
            await spoofer.send(create_awareness_message(update))
            state = (await _awareness_states(watcher))[doc.client_id]
            assert state["cursor"] == 3
            assert state["member"] == {
                "id": state["member"]["id"],
                "name": "Yann Le Gall",
                "organisation": "Chambre régionale de l'ESS",
                "country": "FR",
                "role": "editor",
            }
        # The spoofer left: the server tells the others its presence is gone.
        assert (await _awareness_states(watcher))[doc.client_id] is None


async def test_the_client_stops_for_good_on_an_unknown_token(
    server: ServerProcess, seed: Seed
) -> None:
    live = LiveDocument(server.base_url, seed.document_id, "plb_revoked", reconnect=True)
    await live.start()
    with pytest.raises(LiveError) as raised:
        await live.wait_synced(timeout=10)
    assert raised.value.code == 4401
    await live.close()


async def _awareness_states(ws: object, timeout: float = 10) -> dict[int, Any]:
    from websockets.asyncio.client import ClientConnection

    from tests.support.awareness import decode_awareness_frame

    assert isinstance(ws, ClientConnection)
    async with asyncio.timeout(timeout):
        while True:
            frame = await ws.recv()
            if isinstance(frame, bytes) and frame[:1] == b"\x01":
                return {cid: orjson.loads(state) for cid, state in decode_awareness_frame(frame)}


def _update_inserting(value: str) -> bytes:
    doc: Doc[Any] = Doc()
    doc.get("body", type=Text).insert(0, value)
    return doc.get_update()


async def _until(predicate: Callable[[], bool], timeout: float = 10) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.02)


async def test_a_flooding_client_does_not_starve_the_others(database_url: str, seed: Seed) -> None:
    """One client sends a whole editing history as fast as it can; a client connected
    meanwhile receives every update, stays connected, and ends with the same text. (The
    update rates are raised: at the default ones the flooder would only be read slowly.)"""
    from websockets.asyncio.client import connect

    from tests.support import traces

    trace = traces.load("sveltecomponent")
    frames = [create_update_message(update) for update in traces.updates_of(trace)]
    server = ServerProcess(database_url, UNTHROTTLED).start()
    async with LiveDocument(server.base_url, seed.document_id, seed.editor2) as reader:
        url = ws_url(server.base_url, seed.document_id, seed.editor)
        async with connect(url, max_size=None) as flooder:
            for frame in frames:
                await flooder.send(frame)
            await reader.wait_for_text(trace.end, timeout=120)
        assert reader.connections == 1  # never closed as too slow
    server.kill()


async def test_a_client_that_falls_behind_is_closed_and_resyncs(
    seed: Seed, database_url: str
) -> None:
    """With a tiny send queue, a burst overflows a reader's queue: it is closed with 4429
    (TOO_SLOW) instead of slowing the room, reconnects, and resyncs to the same text."""
    from websockets.asyncio.client import connect

    server = ServerProcess(database_url, {"PALABRE_SEND_QUEUE": "2"}).start()
    try:
        async with LiveDocument(server.base_url, seed.document_id, seed.editor2) as reader:
            url = ws_url(server.base_url, seed.document_id, seed.editor)
            writer: Doc[Any] = Doc()
            text = writer.get("body", type=Text)
            frames: list[bytes] = []
            writer.observe(lambda event: frames.append(create_update_message(event.update)))
            for k in range(200):
                text.insert(len(str(text)), f"{k} ")
            async with connect(url, max_size=None) as flooder:
                for frame in frames:
                    await flooder.send(frame)
                await reader.wait_for_text(str(text), timeout=60)
            assert reader.connections >= 2  # it was closed once and came back
            assert reader.close_code == 4429
    finally:
        server.kill()
