"""The campaigns that belong in the suite: one minute of hostile websocket frames against one
document of a real server while two members edit another (``tests/campaigns/fuzz.py``; the
million-frame run is ``python -m tests.campaigns.fuzz --frames 1000000``), on SQLite: what is
attacked is the live core, not the store; and a short crash campaign on each store
(``tests/campaigns/crash.py``)."""

from __future__ import annotations

import sys

import orjson
import pytest

from tests.campaigns import crash
from tests.campaigns.fuzz import run
from tests.conftest import BACKENDS


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """SQLite for the fuzz campaign (what is attacked is the live core); both stores for the
    crash campaign."""
    return str(getattr(request, "param", "sqlite"))


async def test_a_minute_of_hostile_frames_hurts_nobody_and_breaks_nothing(
    database_url: str,
) -> None:
    report = await run(database_url, seconds=60, frames=sys.maxsize)
    summary = orjson.dumps(report.as_json(), option=orjson.OPT_INDENT_2).decode()
    print(summary)
    assert report.problems == [], summary
    assert report.attack["frames"] > 10_000
    assert set(report.reads.values()) == {200}


@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
async def test_sigkill_while_people_type_loses_nothing_acknowledged(database_url: str) -> None:
    """A short crash campaign (``python -m tests.campaigns.crash`` runs 20 kills with 50
    clients): three kills while ten clients type, on each backend."""
    report = await crash.run(database_url, kills=3, clients=10)
    summary = orjson.dumps(report.as_json(), option=orjson.OPT_INDENT_2).decode()
    assert report.lost == [], summary
    assert report.problems == [], summary
    assert report.acknowledged_checked > 50
