"""The database goes down while people type, then comes back: nothing is lost, nobody has to
do anything. Uses its own PostgreSQL cluster, since it stops it."""

from __future__ import annotations

import asyncio

from palabre.client import LiveDocument, PalabreClient
from palabre.domain.roles import Country, Role
from palabre.server.storage.database import Database, open_application

from tests.support.live import converged
from tests.support.postgres import fresh_database, private_cluster
from tests.support.server import ServerProcess


async def test_store_outage_keeps_editing_live_and_stores_everything_after() -> None:
    with private_cluster() as cluster:
        url = fresh_database(cluster.url)
        app = open_application(Database(url))
        document = str(app.create_document("Référentiel").id)
        tokens = [
            app.add_member(name, "CRESS", Country.FR, Role.EDITOR).token for name in ("A", "B")
        ]
        app.close()
        server = ServerProcess(url, {"PALABRE_BATCH_WINDOW_MS": "20"}).start()
        try:
            async with (
                LiveDocument(server.base_url, document, tokens[0]) as a,
                LiveDocument(server.base_url, document, tokens[1]) as b,
            ):
                a.insert(0, "Avant la panne. ")
                await a.wait_saved()
                cluster.stop()
                for k in range(10):
                    a.insert(len(a.value), f"a{k} ")
                    b.insert(0, f"b{k} ")
                    await asyncio.sleep(0.05)
                text = await converged(a, b)  # live editing goes on without the store
                # The driver retries for about 30 s itself; then the room's own retry loop runs.
                await server.wait_for_log("retrying", timeout=60)
                assert a.unsaved > 0
                assert b.unsaved > 0
                cluster.start()
                await a.wait_saved(timeout=60)
                await b.wait_saved(timeout=60)
            async with PalabreClient(server.base_url, tokens[0]) as http:
                assert await http.text(document) == text
            server.stop()
            server.restart()
            async with PalabreClient(server.base_url, tokens[0]) as http:
                assert await http.text(document) == text
        finally:
            server.kill()
