"""Interoperability with stock Yjs clients: the npm packages ``yjs`` and ``y-websocket``,
unmodified, editing a Palabre document alongside Python clients (tests/interop/yclient.mjs)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from palabre.client import LiveDocument, PalabreClient
from pycrdt import Assoc

from tests.conftest import Seed
from tests.support.node import NodeClient, node_client
from tests.support.server import ServerProcess

pytestmark = pytest.mark.node


async def type_python(live: LiveDocument, text: str, at: int | str, delay: float) -> None:
    """Type like yclient.mjs does: one character per transaction (one update each); with a
    numeric ``at`` the cursor follows our own last character, whatever others insert."""
    index = len(live.value) if at == "end" else int(at)
    for char in text:
        if at == "end":
            index = len(live.value)
        live.insert(index, char)  # a code-point index
        # pycrdt 0.14 sticky indices count UTF-8 bytes, like its Text indices.
        cursor = live.text.sticky_index(len(live.value[:index].encode()), Assoc.AFTER)
        await asyncio.sleep(delay)
        index = len(live.value.encode()[: cursor.get_index()].decode()) + 1


async def wait_rooms_unloaded(http: PalabreClient) -> None:
    """Until the server has stored everything and unloaded the room (its text then comes from
    the database, not from the live replica)."""
    async with asyncio.timeout(20):
        while True:
            if (await http.health())["rooms"] == 0:
                return
            await asyncio.sleep(0.05)


# Four sentences over disjoint alphabets, so that the characters of the final text can be
# traced back to whoever typed them. "|" (typed by nobody) separates the start from the end.
SEPARATOR = "|"
PY_START = "bonjour_depuis_python_au_debut"
NODE_START = "AKWABA DEPUIS NODE AU DEBUT"
PY_END = "2025/11/23=42*3+7-1%8"
NODE_END = "«éèêàçùôî—ûâëï…»"
ALPHABETS = [set(PY_START), set(NODE_START), set(PY_END), set(NODE_END), {SEPARATOR}]


def test_sentences_use_disjoint_alphabets() -> None:
    for i, first in enumerate(ALPHABETS):
        for second in ALPHABETS[i + 1 :]:
            assert not first & second


def only(text: str, sentence: str) -> str:
    return "".join(c for c in text if c in set(sentence))


async def test_python_and_node_clients_type_concurrently_and_converge(
    server: ServerProcess, seed: Seed
) -> None:
    doc = seed.document_id
    async with (
        LiveDocument(server.base_url, doc, seed.editor) as py_start,
        LiveDocument(server.base_url, doc, seed.editor2) as py_end,
        node_client(server, doc, seed.editor, "start") as node_start,
        node_client(server, doc, seed.editor2, "end") as node_end,
    ):
        py_start.insert(0, SEPARATOR)
        await py_start.wait_saved()
        for node in (node_start, node_end):
            await node.wait_synced()
            await node.wait_text(SEPARATOR)
        await py_end.wait_for_text(SEPARATOR)

        # All four type at once, one character per update: two before the separator, two after.
        await asyncio.gather(
            type_python(py_start, PY_START, at=0, delay=0.005),
            node_start.type(NODE_START, at=0, delay_ms=5),
            type_python(py_end, PY_END, at="end", delay=0.005),
            node_end.type(NODE_END, at="end", delay_ms=5),
        )

        total = len(SEPARATOR) + len(PY_START) + len(NODE_START) + len(PY_END) + len(NODE_END)
        async with asyncio.timeout(20):
            while True:
                texts = [
                    py_start.value,
                    py_end.value,
                    await node_start.text(),
                    await node_end.text(),
                ]
                if len(set(texts)) == 1 and len(texts[0]) == total:
                    break
                await asyncio.sleep(0.05)
        final = texts[0]

        # Every character present once, each sentence in its typing order, on its own side.
        start, separator, end = final.partition(SEPARATOR)
        assert separator == SEPARATOR
        assert only(start, PY_START) == PY_START
        assert only(start, NODE_START) == NODE_START
        assert only(end, PY_END) == PY_END
        assert only(end, NODE_END) == NODE_END
        assert len(start) == len(PY_START) + len(NODE_START)
        assert len(end) == len(PY_END) + len(NODE_END)
        assert sorted(final) == sorted(SEPARATOR + PY_START + NODE_START + PY_END + NODE_END)

        await py_start.wait_saved()
        await py_end.wait_saved()
        async with PalabreClient(server.base_url, seed.editor) as http:
            assert await http.text(doc) == final  # the server's live replica

        await node_start.close()
        await node_end.close()
        # Stock clients only ever receive standard messages: nothing unknown, nothing refused.
        for node in (node_start, node_end):
            assert node.events == [], node.events

    async with PalabreClient(server.base_url, seed.editor) as http:
        await wait_rooms_unloaded(http)
        assert await http.text(doc) == final  # what the database holds
        assert (await http.document(doc))["contributions"] >= 5


async def test_node_observer_reads_but_cannot_write(server: ServerProcess, seed: Seed) -> None:
    doc = seed.document_id
    async with (
        PalabreClient(server.base_url, seed.editor) as http,
        LiveDocument(server.base_url, doc, seed.editor) as editor,
        node_client(server, doc, seed.observer, "observer") as observer,
    ):
        editor.insert(0, "Texte public.")
        await editor.wait_saved()
        await observer.wait_synced()
        await observer.wait_text("Texte public.")  # the observer reads live edits
        contributions = (await http.document(doc))["contributions"]
        assert contributions >= 1

        await observer.insert(len("Texte public."), " OBSERVATEUR")
        denied = await observer.wait_event("permission-denied", limit=10)
        assert "observer" in denied["reason"]
        await asyncio.sleep(1)
        assert editor.value == "Texte public."
        assert await http.text(doc) == "Texte public."
        assert (await http.document(doc))["contributions"] == contributions

        # Still connected and still reading; its refused insert only exists in its own replica.
        editor.insert(0, "Suite : ")
        await editor.wait_saved()
        await observer.wait_text("Suite : Texte public. OBSERVATEUR")
        assert await http.text(doc) == "Suite : Texte public."
        assert [e for e in observer.events if e["event"] != "permission-denied"] == []
        await observer.close()


async def test_node_clients_see_each_others_presence(server: ServerProcess, seed: Seed) -> None:
    """Presence goes through the server, which stamps each awareness state with the member's
    name and organisation, not ASCII here: a stock client must decode them (lib0 strings are
    prefixed with their length in UTF-8 bytes) and see the other client's state plus
    ``member``. (The initial ``{}`` state has clock 0, which stock peers ignore, so each client
    sets a state of its own first, as applications do.)"""
    doc = seed.document_id
    async with (
        node_client(server, doc, seed.editor, "yann") as yann,
        node_client(server, doc, seed.editor2, "afi") as afi,
    ):
        for node, colour in ((yann, "vert émeraude"), (afi, "orange brûlé")):
            await node.wait_synced()
            await node.request({"cmd": "set_awareness", "state": {"user": {"colour": colour}}})

        async def other(node: NodeClient) -> dict[str, Any]:
            """The one other client's state, once it arrived; its member id must be a UUID."""
            async with asyncio.timeout(10):
                while True:
                    states = (await node.request({"cmd": "awareness"}))["states"]
                    stamped = [state for state in states.values() if "member" in state]
                    if stamped:
                        break
                    await asyncio.sleep(0.05)
            assert len(stamped) == 1, stamped
            uuid.UUID(stamped[0]["member"].pop("id"))
            return dict(stamped[0])

        assert await other(yann) == {
            "user": {"colour": "orange brûlé"},
            "member": {
                "name": "Afi Mensah",
                "organisation": "Fédération des ONG du Togo",
                "country": "TG",
                "role": "editor",
            },
        }
        assert await other(afi) == {
            "user": {"colour": "vert émeraude"},
            "member": {
                "name": "Yann Le Gall",
                "organisation": "Chambre régionale de l'ESS",
                "country": "FR",
                "role": "editor",
            },
        }
        for node in (yann, afi):
            assert node.events == [], node.events
            await node.close()


@pytest.mark.parametrize(("case", "code"), [("bad token", 4401), ("unknown document", 4404)])
async def test_node_client_refused_with_close_code(
    server: ServerProcess, seed: Seed, case: str, code: int
) -> None:
    token, doc = ("not-a-valid-token", seed.document_id)
    if case == "unknown document":
        token, doc = (seed.editor, str(uuid.uuid4()))
    async with node_client(server, doc, token, case) as node:
        closed = await node.wait_event("close")
        assert closed["code"] == code
        # y-websocket treats 4400-4499 as final: it stops reconnecting and says so.
        final = await node.wait_event("closed")
        assert final["code"] == code
        await node.close()
