"""The packed form of the engine's change deltas (``projections/text_deltas.py``) and the
attributed text rebuilt from a snapshot plus changes."""

from __future__ import annotations

import pytest
from palabre.projections.authorship import DeltaOp, Run
from palabre.projections.text_deltas import Snapshot, pack, replay, unpack


def test_a_change_packs_and_unpacks_to_itself() -> None:
    change: list[list[DeltaOp]] = [
        [("retain", 3), ("delete", 2), ("insert", "« é »")],
        [("insert", "12")],
    ]
    packed = pack(change)
    assert packed == [[3, -2, "« é »"], ["12"]]
    assert unpack(packed) == change
    with pytest.raises(ValueError, match="0 bytes"):
        unpack([[0]])


def test_changes_after_a_snapshot_rebuild_the_attributed_text() -> None:
    text = "Lomé\n".encode()
    snapshot = Snapshot(4, text, ["awa", "yann"], [0, 3, 1, len(text) - 3])
    rebuilt = replay(snapshot, [("afi", [[("retain", 3), ("insert", "x")]]), ("awa", [])])
    assert rebuilt.runs == [Run("Lom", "awa"), Run("x", "afi"), Run("é\n", "yann")]
    assert rebuilt.text == "Lomxé\n"


def test_a_snapshot_whose_runs_do_not_fit_its_text_is_refused() -> None:
    with pytest.raises(ValueError, match="do not fit"):
        Snapshot(1, b"abc", ["awa"], [0, 2]).authorship()
