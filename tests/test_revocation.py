"""Revoking a token cuts off what was opened with it, at once and on every instance: two
server processes on one store, a websocket and an event stream opened on the second with an
invitation link's token, the link revoked through the first. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import httpx
from palabre.client import LiveDocument, PalabreClient
from websockets.asyncio.client import connect

from tests.conftest import Seed
from tests.support.live import closed_with, ws_url
from tests.support.server import ServerProcess


async def test_revoking_a_link_closes_its_sockets_and_streams_on_every_instance(
    seed: Seed, database_url: str
) -> None:
    first = ServerProcess(database_url).start()
    second = ServerProcess(database_url).start()
    try:
        document = f"{first.base_url}/api/documents/{seed.document_id}"
        auth = {"Authorization": f"Bearer {seed.coordinator}"}
        as_editor = {"Authorization": f"Bearer {seed.editor}"}
        async with httpx.AsyncClient(headers=auth, timeout=30) as coordinator:
            editor = (await coordinator.get(f"{document}/me", headers=as_editor)).json()
            invitation = f"{document}/members/{editor['id']}/invitation"
            token = (await coordinator.post(invitation)).json()["url"].split("#invite=")[1]
            await revoke_while_open(second, seed, coordinator, invitation, token)
    finally:
        first.kill()
        second.kill()


async def revoke_while_open(
    second: ServerProcess,
    seed: Seed,
    coordinator: httpx.AsyncClient,
    invitation: str,
    token: str,
) -> None:
    """The link's socket and stream are on the second instance; the coordinator revokes it
    on the first."""
    async with (
        connect(ws_url(second.base_url, seed.document_id, token)) as ws,
        connect(ws_url(second.base_url, seed.document_id, seed.editor)) as own,
        PalabreClient(second.base_url, token) as http,
        http.events(seed.document_id) as events,
    ):
        await asyncio.wait_for(ws.recv(), 10)
        await asyncio.wait_for(own.recv(), 10)
        assert (await coordinator.delete(invitation)).json()["revoked"] == 1
        code, reason = await closed_with(ws, timeout=15)
        assert code == 4401
        assert "revoked" in reason
        kinds = [event.event async for event in events]
        assert kinds[-1] == "end"
        await own.send(b"\x00\x00\x01\x00")  # the member's own token still works
        await asyncio.wait_for(own.recv(), 10)
    async with LiveDocument(second.base_url, seed.document_id, seed.editor) as live:
        live.insert(0, "toujours là")
        await live.wait_saved()
