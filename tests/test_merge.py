"""Merging a run of updates into one contribution (``crdt/replica.py`` ``merge``): merged
by groups, then the merges, it gives the very bytes of one merge of them all, for a run of
several writers' edits, deletions and accents included; and the text they make."""

from __future__ import annotations

import random
from typing import Any

from palabre.server.crdt.replica import MERGE_FAN_IN, merge
from pycrdt import Doc, Text, TransactionEvent, merge_updates


def history(seed: int, edits: int) -> list[bytes]:
    """What a server's replica captures while three writers type, erase and sync."""
    rng = random.Random(seed)
    server: Doc[Any] = Doc()
    captured: list[bytes] = []

    def capture(event: TransactionEvent) -> None:
        captured.append(event.update)

    server.observe(capture)
    writers: list[Doc[Any]] = [Doc(client_id=10 + n) for n in range(3)]
    for _ in range(edits):
        writer = rng.choice(writers)
        writer.apply_update(server.get_update(writer.get_state()))
        text = writer.get("body", type=Text)
        before = writer.get_state()
        current = str(text)  # pycrdt indexes UTF-8 bytes
        if len(current) > 4 and rng.random() < 0.3:
            char = rng.randrange(len(current))
            at = len(current[:char].encode())
            del text[at : at + len(current[char].encode())]
        else:
            text.insert(len(str(text).encode()) if rng.random() < 0.5 else 0, rng.choice("aé🌳 "))
        server.apply_update(writer.get_update(before))
    return captured


def test_merging_by_groups_gives_the_bytes_of_one_merge() -> None:
    updates = history(seed=4, edits=3 * MERGE_FAN_IN * MERGE_FAN_IN // 2)
    assert len(updates) > MERGE_FAN_IN * MERGE_FAN_IN  # two levels of groups
    assert merge(updates) == merge_updates(*updates)
    doc: Doc[Any] = Doc()
    doc.apply_update(merge(updates))
    whole: Doc[Any] = Doc()
    for update in updates:
        whole.apply_update(update)
    assert str(doc.get("body", type=Text)) == str(whole.get("body", type=Text))


def test_one_update_is_its_own_merge() -> None:
    updates = history(seed=5, edits=1)
    assert merge(updates[:1]) == updates[0]
