"""The campaigns that belong in the suite: one minute of hostile websocket frames against one
document of a real server while two members edit another (``tests/campaigns/fuzz.py``; the
million-frame run is ``python -m tests.campaigns.fuzz --frames 1000000``). On SQLite: what is
attacked is the live core, not the store."""

from __future__ import annotations

import sys

import orjson
import pytest

from tests.campaigns.fuzz import run


@pytest.fixture
def backend() -> str:
    return "sqlite"


async def test_a_minute_of_hostile_frames_hurts_nobody_and_breaks_nothing(
    database_url: str,
) -> None:
    report = await run(database_url, seconds=60, frames=sys.maxsize)
    summary = orjson.dumps(report.as_json(), option=orjson.OPT_INDENT_2).decode()
    print(summary)
    assert report.problems == [], summary
    assert report.attack["frames"] > 10_000
    assert set(report.reads.values()) == {200}
