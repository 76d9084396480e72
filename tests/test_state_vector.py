"""Reading a few clients' clocks out of an encoded state vector (``crdt/state_vector.py``):
the answer is the one decoding the whole vector gives, whatever the ids and clocks (small
ones, whose one-byte encodings appear inside other entries, included), and the replica's
own vectors are read the same way."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from palabre.server.crdt import state_vector
from palabre.server.crdt.lib0 import write_var_uint
from palabre.server.crdt.replica import LiveText

from tests.support.edits import Writer

IDS = st.one_of(st.integers(1, 300), st.integers(1, 2**32), st.integers(1, 2**53))
CLOCKS = st.one_of(st.integers(0, 300), st.integers(0, 2**40))


def _encoded(entries: dict[int, int]) -> bytes:
    pairs = b"".join(write_var_uint(c) + write_var_uint(k) for c, k in entries.items())
    return write_var_uint(len(entries)) + pairs


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(IDS, CLOCKS, max_size=60), st.data())
def test_the_clocks_of_a_few_ids_are_those_of_the_whole_vector(
    entries: dict[int, int], data: st.DataObject
) -> None:
    held = sorted(entries)
    wanted = set(data.draw(st.lists(st.sampled_from(held), max_size=3))) if held else set()
    wanted |= data.draw(st.sets(IDS, max_size=3))  # mostly absent
    wanted |= {clock for clock in list(entries.values())[:2] if clock > 0}  # inside entries
    encoded = _encoded(entries)
    assert state_vector.decode(encoded) == entries
    expected = {client: entries[client] for client in wanted if client in entries}
    assert state_vector.clocks_of(encoded, wanted) == expected


def test_more_than_a_few_ids_are_read_by_decoding_the_whole_vector() -> None:
    entries = {client: client * 3 for client in range(1, 200)}
    wanted = set(range(150, 250))
    assert len(wanted) > state_vector.FEW
    expected = {client: client * 3 for client in range(150, 200)}
    assert state_vector.clocks_of(_encoded(entries), wanted) == expected


def test_a_replica_gives_the_clocks_of_the_ids_asked_for() -> None:
    live = LiveText()
    writers = [Writer(client) for client in (1, 128, 2**31 - 1, 2**40 + 7)]
    for writer, word in zip(writers, ("Akwaba ", "Lomé ", "économie ", "😀"), strict=True):
        live.apply(writer.type(word))
    every = live.clocks()
    assert set(every) == {1, 128, 2**31 - 1, 2**40 + 7}
    assert live.clocks_of({128, 5, 2**40 + 7}) == {128: every[128], 2**40 + 7: every[2**40 + 7]}
