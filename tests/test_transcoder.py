"""The compact transcoder: exact round trips, raw bytes, clear errors on corrupt state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from uuid import uuid4

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


def test_time_zone_is_kept() -> None:
    when = datetime.now(UTC)
    assert CompactTranscoder().decode(CompactTranscoder().encode({"t": when}))["t"] == when
