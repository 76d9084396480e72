"""A stored contribution that the history cannot model (stored before the update check
existed, or by a bug) never breaks the history for good: the index stops at it, names its
position, and says so to every reader of the range it affects; positions before it still
answer; ``palabre verify`` reports it. On SQLite and PostgreSQL, over a real server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from uuid import uuid4

import httpx
import pytest
from palabre.domain.application import PalabreApplication
from palabre.domain.contribution import NewContribution
from palabre.domain.ids import DocumentId
from palabre.projections.history_index import HistoryIndex
from palabre.projections.history_replay import UnreadableHistory
from palabre.server.storage.database import Database
from palabre.server.storage.views import open_history_index
from pycrdt import Doc, Text

from tests.conftest import Seed
from tests.support.cli import palabre
from tests.support.edits import Writer
from tests.support.server import ServerProcess
from tests.test_history_index import type_concurrently

FORMATTED_AT = 13


def store_a_formatted_contribution(application: PalabreApplication) -> DocumentId:
    """Twelve plain contributions, one that formats text (which the live check refuses
    today, stored here behind its back), then two more plain ones."""
    document_id, position = type_concurrently(application, FORMATTED_AT - 1)
    doc: Doc[Text] = Doc(client_id=77)
    doc.get("body", type=Text).insert(0, "gras", {"bold": True})
    bold = NewContribution(uuid4(), "s", doc.get_update(), 1)
    position = application.append_contributions(document_id, position, [bold])
    writer = Writer(78)
    for word in ("après ", "encore"):
        plain = NewContribution(uuid4(), "s", writer.type(word), 1)
        position = application.append_contributions(document_id, position, [plain])
    return document_id


@pytest.fixture
def index(database_url: str, application: PalabreApplication) -> Iterator[HistoryIndex]:
    index = open_history_index(Database(database_url), application, every=5, pause=timedelta(0))
    yield index
    index.close()


def test_the_index_stops_at_the_contribution_and_names_it(
    application: PalabreApplication, index: HistoryIndex
) -> None:
    document_id = store_a_formatted_contribution(application)
    with pytest.raises(UnreadableHistory) as found:
        index.catch_up(document_id)
    assert found.value.position == FORMATTED_AT
    assert index.catch_up(document_id) == FORMATTED_AT - 1  # at once, no retry loop
    assert index.authorship(document_id, FORMATTED_AT - 1).runs  # before it: answers
    for upto in (FORMATTED_AT, FORMATTED_AT + 2):
        with pytest.raises(UnreadableHistory, match=f"contribution {FORMATTED_AT} on"):
            index.authorship(document_id, upto)
    with pytest.raises(UnreadableHistory):
        index.sessions(document_id)


async def test_readers_get_a_clear_answer_and_verify_reports_it(
    application: PalabreApplication, seed: Seed, database_url: str
) -> None:
    document_id = store_a_formatted_contribution(application)
    coordinator = seed.coordinator
    server = ServerProcess(database_url).start()
    try:
        base = f"{server.base_url}/api/documents/{document_id}"
        headers = {"Authorization": f"Bearer {coordinator}"}
        async with httpx.AsyncClient(headers=headers, timeout=30) as http:
            for _ in range(2):  # the same answer every time, not a 500 forever
                broken = await http.get(f"{base}/authorship")
                assert broken.status_code == 422
                assert broken.json()["error"]["code"] == "history_unreadable"
                assert f"contribution {FORMATTED_AT}" in broken.json()["error"]["message"]
            before = await http.get(f"{base}/authorship", params={"at": FORMATTED_AT - 1})
            assert before.status_code == 200
            assert (await http.get(f"{base}/history")).status_code == 422
            for path in ("/text", "/history/at?position=14"):
                assert (await http.get(base + path)).status_code == 200, path
        assert "Traceback" not in server.log()
    finally:
        server.kill()
    verify = palabre(database_url, "verify", str(document_id))
    assert verify.returncode == 1
    assert f"history\tBROKEN\tcontribution {FORMATTED_AT}:" in verify.stdout
