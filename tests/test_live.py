"""Live editing against a real server process."""

from __future__ import annotations

import asyncio

from palabre.client import LiveDocument, PalabreClient
from tests.conftest import Seed
from tests.support.server import ServerProcess


async def test_two_python_clients_converge(server: ServerProcess, seed: Seed) -> None:
    async with (
        LiveDocument(server.base_url, seed.document_id, seed.editor) as a,
        LiveDocument(server.base_url, seed.document_id, seed.editor2) as b,
    ):
        a.insert(0, "Bonjour ")
        b.insert(0, "Akwaba ")
        await a.wait_for_text(b.value if a.value == b.value else "", timeout=1) if False else None
        await asyncio.sleep(0.2)
        assert a.value == b.value
        await a.wait_saved()
        await b.wait_saved()
    async with PalabreClient(server.base_url, seed.editor) as http:
        assert await http.text(seed.document_id) == a.value
        assert (await http.document(seed.document_id))["contributions"] == 2
