"""The compact transcoder: exact round trips, raw bytes, clear errors on corrupt state."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from palabre.server.storage.transcoder import CompactTranscoder, TranscodingError


def test_round_trip_of_every_supported_shape() -> None:
    transcoder = CompactTranscoder()
    value = {
        "update": b"\x00\x01\xff" * 10,
        "empty": b"",
        "id": uuid4(),
        "when": datetime(2026, 10, 14, 9, 30, tzinfo=timezone(timedelta(hours=2))),
        "text": "Référentiel « commun » — version d’octobre",
        "number": 3,
        "ratio": 0.5,
        "flag": True,
        "none": None,
        "nested": {"roles": {"*": "editor"}, "list": [b"a", uuid4(), "b"]},
    }
    assert transcoder.decode(transcoder.encode(value)) == value


def test_bytes_are_stored_raw_not_as_text() -> None:
    transcoder = CompactTranscoder()
    update = bytes(range(256)) * 40
    encoded = transcoder.encode({"update": update})
    assert update in encoded
    assert len(encoded) < len(update) + 40  # base64 would add a third


@pytest.mark.parametrize(
    "value",
    [{"when": datetime(2026, 1, 1)}, {"x": object()}, {"\x00b": 1}, {1: "int key"}],
    ids=["naive-datetime", "object", "reserved-key", "int-key"],
)
def test_unstorable_values_are_refused(value: object) -> None:
    with pytest.raises(TypeError):
        CompactTranscoder().encode(value)


@pytest.mark.parametrize(
    "data",
    [b"", b"\x02{}", b"\x01\x05{}", b"\x01\x02{x", b'\x01\x0c{"\\u0000b":3}', b"\x01\x02{}\x09ab"],
    ids=["empty", "other-format", "short-json", "bad-json", "missing-blob", "short-blob"],
)
def test_corrupt_state_raises_a_clear_error(data: bytes) -> None:
    with pytest.raises(TranscodingError):
        CompactTranscoder().decode(data)


@pytest.mark.parametrize(
    ("offset", "written"),
    [
        (timedelta(0), "+00:00"),
        (timedelta(hours=2), "+02:00"),
        (timedelta(hours=-3, minutes=-30), "-03:30"),
    ],
    ids=["UTC", "Paris-summer", "St-Johns"],
)
def test_time_zone_is_kept(offset: timedelta, written: str) -> None:
    """The same instant is not enough (aware datetimes compare by instant): the offset it was
    written with comes back too, to the microsecond."""
    when = datetime(2026, 10, 14, 9, 30, 15, 123456, tzinfo=timezone(offset))
    back = CompactTranscoder().decode(CompactTranscoder().encode({"t": when}))["t"]
    assert back == when
    assert back.utcoffset() == offset
    assert back.tzinfo == when.tzinfo
    assert back.isoformat() == f"2026-10-14T09:30:15.123456{written}"


def test_a_named_zone_comes_back_as_its_offset_at_that_instant() -> None:
    summer = datetime(2026, 7, 1, 12, tzinfo=ZoneInfo("Europe/Paris"))
    winter = datetime(2026, 12, 1, 12, tzinfo=ZoneInfo("Europe/Paris"))
    for when, hours in ((summer, 2), (winter, 1)):
        back = CompactTranscoder().decode(CompactTranscoder().encode({"t": when}))["t"]
        assert back.tzinfo == timezone(timedelta(hours=hours))
        assert (back.hour, back.utcoffset()) == (12, timedelta(hours=hours))
