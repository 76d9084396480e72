"""The update check (``server/crdt/check.py``) on real updates from pycrdt: plain text and
deletes in ``body`` pass; every other kind of content, root or parent is refused by name;
malformed bytes are refused; the shape reports client ids and inserted bytes."""

from __future__ import annotations

import itertools
import pickle
from collections.abc import Callable
from typing import Any

import pytest
from palabre.server.crdt.check import (
    ForbiddenContent,
    Shape,
    check_in_full,
    check_update,
    read_keystroke,
)
from palabre.server.crdt.lib0 import write_var_string, write_var_uint
from palabre.server.crdt.replica import InvalidUpdate
from palabre.server.live.checker import PooledChecker
from palabre.server.settings import Settings
from pycrdt import Array, Doc, Map, Text, XmlElement, XmlFragment

from tests.support import traces
from tests.support.edits import Writer


def test_plain_text_and_deletes_pass_with_their_shape() -> None:
    writer = Writer(101)
    insert = writer.type("Lomé 😀")
    shape = check_update(insert)
    assert shape.clients == {101}
    assert shape.inserted_bytes == len("Lomé 😀".encode())
    assert not shape.deletes
    delete = writer.delete(0, 2)
    assert check_update(delete).clients == frozenset()
    assert check_update(delete).deletes
    assert check_update(writer.doc.get_update()).clients == {101}
    assert check_update(b"\x00\x00").clients == frozenset()


def test_a_merged_state_of_several_writers_passes() -> None:
    a, b = Writer(101), Writer(202)
    b.receive(a.type("Akwaba "))
    b.type("à tous")
    assert check_update(b.doc.get_update()).clients == {101, 202}


def _formatted(doc: Doc[Any]) -> None:
    doc.get("body", type=Text).insert(0, "gras", {"bold": True})


def _embed(doc: Doc[Any]) -> None:
    text = doc.get("body", type=Text)
    text.insert(0, "ab")
    text.insert_embed(1, {"image": "x.png"})


def _other_root(doc: Doc[Any]) -> None:
    doc.get("titre", type=Text).insert(0, "ailleurs")


def _map(doc: Doc[Any]) -> None:
    meta = doc.get("meta", type=Map)
    meta["auteur"] = "moi"


def _array(doc: Doc[Any]) -> None:
    items = doc.get("liste", type=Array)
    items.append(1)


def _xml(doc: Doc[Any]) -> None:
    fragment = doc.get("xml", type=XmlFragment)
    fragment.children.append(XmlElement("p"))


def _subdoc(doc: Doc[Any]) -> None:
    docs = doc.get("docs", type=Map)
    docs["enfant"] = Doc()


@pytest.mark.parametrize(
    "write",
    [_formatted, _embed, _other_root, _map, _array, _xml, _subdoc],
    ids=["format", "embed", "other-root", "map", "array", "xml", "subdoc"],
)
def test_anything_but_plain_text_in_body_is_refused(write: Callable[[Doc[Any]], None]) -> None:
    doc: Doc[Any] = Doc(client_id=7)
    write(doc)
    with pytest.raises(ForbiddenContent):
        check_update(doc.get_update())


def test_client_id_zero_is_the_servers() -> None:
    doc: Doc[Text] = Doc(client_id=0)
    doc.get("body", type=Text).insert(0, "x")
    with pytest.raises(ForbiddenContent, match="client id 0"):
        check_update(doc.get_update())


@pytest.mark.parametrize(
    "mangle",
    [
        lambda u: u[:-1],
        lambda u: u + b"\x00",
        lambda u: b"\xff" * 11,
        lambda u: write_var_uint(1) + write_var_uint(1) + write_var_uint(2**60) + b"\x00",
        lambda u: b"",
    ],
    ids=["truncated", "trailing", "endless-varint", "huge-client", "empty"],
)
def test_malformed_updates_are_refused(mangle: Callable[[bytes], bytes]) -> None:
    update = Writer(101).type("Bonjour")
    with pytest.raises(InvalidUpdate):
        check_update(mangle(update))


def test_invalid_utf8_in_a_string_is_refused() -> None:
    update = bytearray(Writer(101).type("abc"))
    update[update.index(b"abc")] = 0xFF
    with pytest.raises(InvalidUpdate):
        check_update(bytes(update))


# The keystroke reader: updates built by hand with the header of a usual keystroke (one
# client id, one struct), so that only what follows decides which reader answers.

WRITER = write_var_uint(2**52 + 3)  # eight bytes, like pycrdt's client ids
ORIGIN = write_var_uint(101) + write_var_uint(4)  # the item's left origin: client 101, clock 4


def keystroke(
    item: bytes = b"\x84" + ORIGIN,
    text: bytes = b"a",
    *,
    writer: bytes = WRITER,
    clock: int = 5,
    deletes: bytes = b"\x00",
) -> bytes:
    """One item under ``writer``: its info byte and origins or parent (``item``), then a
    string, then the delete set."""
    string = write_var_uint(len(text)) + text
    return b"\x01\x01" + writer + write_var_uint(clock) + item + string + deletes


def delete_set(*clients: tuple[int, list[tuple[int, int]]]) -> bytes:
    out = write_var_uint(len(clients))
    for client, ranges in clients:
        out += write_var_uint(client) + write_var_uint(len(ranges))
        for clock, length in ranges:
            out += write_var_uint(clock) + write_var_uint(length)
    return out


def test_a_hand_built_keystroke_is_what_a_client_sends() -> None:
    writer = Writer(2**52 + 3)
    first = writer.type("L")
    assert first == keystroke(b"\x04\x01" + write_var_string("body"), b"L", clock=0)
    assert writer.type("o") == keystroke(b"\x84" + WRITER + write_var_uint(0), b"o", clock=1)


ACCEPTED = {
    "at-the-end": keystroke(),
    "in-the-middle": keystroke(b"\xc4" + ORIGIN + ORIGIN),
    "at-the-start": keystroke(b"\x44" + ORIGIN),
    "first-in-body": keystroke(b"\x04\x01" + write_var_string("body")),
    "long-string": keystroke(text=b"x" * 100_000),
    "multi-byte": keystroke(text="é".encode()),
    "astral": keystroke(text="Lomé 😀 à".encode()),
    "with-a-delete": keystroke(deletes=delete_set((101, [(2, 1)]))),
    "with-deletes-of-100-ranges": keystroke(deletes=delete_set((2**53 - 1, [(1, 1)] * 100))),
    "deletes-only": b"\x00" + delete_set((101, [(2, 1), (7, 3)])),
    "empty": b"\x00\x00",
    "padded-client-id": keystroke(writer=b"\xe5\x80\x00"),  # 101 in three bytes
    "largest-ids": keystroke(
        b"\xc4" + write_var_uint(2**53 - 1) + write_var_uint(2**53 - 1) + ORIGIN,
        writer=write_var_uint(2**53 - 1),
        clock=2**49 - 1,  # the keystroke reader's largest: seven bytes
    ),
}


@pytest.mark.parametrize("update", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_the_keystroke_reader_reads_usual_keystrokes_as_the_full_reader(update: bytes) -> None:
    assert read_keystroke(update) is not None, "not read by the keystroke reader"
    assert read_keystroke(update) == check_in_full(update) == check_update(update)


def test_clock_ranges_count_characters_as_javascript_does() -> None:
    update = keystroke(text="é😀".encode(), clock=10)
    shape = check_update(update)
    assert read_keystroke(update) is not None
    assert (shape.inserted_bytes, shape.groups[0].clock, shape.groups[0].end) == (6, 10, 13)


def test_a_shape_from_a_worker_comes_back_read_without_the_update() -> None:
    update = keystroke(text=b"x" * 100_000)
    shape = read_keystroke(update)
    assert shape is not None
    pickled = pickle.dumps(shape)
    assert len(pickled) < 1000
    assert pickle.loads(pickled) == shape == check_in_full(update)


LEFT_TO_THE_FULL_READER = {
    "two-structs": b"\x01\x02" + WRITER + b"\x05" + (b"\x84" + ORIGIN + b"\x01a") * 2 + b"\x00",
    "clock-of-eight-bytes": keystroke(clock=2**53 - 2),
    "deletes-of-two-clients": keystroke(deletes=delete_set((101, [(0, 1)]), (202, [(3, 1)]))),
    "deleted-content": b"\x01\x01" + WRITER + b"\x05\x81" + ORIGIN + b"\x03\x00",
    "nine-byte-client-id": keystroke(writer=b"\xe5" + b"\x80" * 7 + b"\x00"),  # 101, padded
}


@pytest.mark.parametrize(
    "update", LEFT_TO_THE_FULL_READER.values(), ids=LEFT_TO_THE_FULL_READER.keys()
)
def test_what_the_keystroke_reader_leaves_the_full_reader_accepts(update: bytes) -> None:
    assert read_keystroke(update) is None
    check_update(update)


def _string(value: str) -> bytes:
    return write_var_string(value)


REFUSED: dict[str, tuple[bytes, type[InvalidUpdate]]] = {
    "format": (
        b"\x01\x01" + WRITER + b"\x05\x86" + ORIGIN + _string("bold") + _string("true") + b"\x00",
        ForbiddenContent,
    ),
    "embed": (
        b"\x01\x01" + WRITER + b"\x05\x85" + ORIGIN + _string('{"image":"x"}') + b"\x00",
        ForbiddenContent,
    ),
    "sub-document": (
        b"\x01\x01" + WRITER + b"\x05\x89" + ORIGIN + _string("guid") + b"\x00",
        ForbiddenContent,
    ),
    "nested-type": (b"\x01\x01" + WRITER + b"\x05\x87" + ORIGIN + b"\x02\x00", ForbiddenContent),
    "json": (keystroke(b"\x82" + ORIGIN), ForbiddenContent),
    "another-root": (keystroke(b"\x04\x01" + _string("titre")), ForbiddenContent),
    "a-root-named-like-body": (keystroke(b"\x04\x01" + _string("bodY")), ForbiddenContent),
    "parent-by-id": (keystroke(b"\x04\x00" + ORIGIN), ForbiddenContent),
    "map-entry-in-body": (
        keystroke(b"\x24\x01" + _string("body") + _string("clé")),
        ForbiddenContent,
    ),
    "writer-zero": (keystroke(writer=b"\x00"), ForbiddenContent),
    "writer-zero-padded": (keystroke(writer=b"\x80\x80\x00"), ForbiddenContent),
    "writer-2**53": (keystroke(writer=write_var_uint(2**53)), ForbiddenContent),
    "origin-client-zero": (keystroke(b"\x84\x00\x04"), ForbiddenContent),
    "origin-clock-2**53": (keystroke(b"\x84" + b"\x65" + write_var_uint(2**53)), ForbiddenContent),
    "right-origin-client-2**53": (
        keystroke(b"\xc4" + ORIGIN + write_var_uint(2**53) + b"\x00"),
        ForbiddenContent,
    ),
    "clock-past-2**53": (keystroke(clock=2**53 - 1), ForbiddenContent),
    "deleter-zero": (keystroke(deletes=delete_set((0, [(1, 1)]))), ForbiddenContent),
    "deleted-clock-2**53": (keystroke(deletes=delete_set((7, [(2**53, 1)]))), ForbiddenContent),
    "deleted-length-2**53": (keystroke(deletes=delete_set((7, [(1, 2**53)]))), ForbiddenContent),
    "invalid-utf8": (keystroke(text=b"\xff"), InvalidUpdate),
    "a-lone-surrogate": (keystroke(text=b"\xed\xa0\x80"), InvalidUpdate),
    "cut-in-a-character": (keystroke(text="é".encode()[:1]), InvalidUpdate),
    "string-past-the-end": (keystroke()[:-3] + b"\x05a\x00", InvalidUpdate),
    "no-delete-set": (keystroke()[:-1], InvalidUpdate),
    "trailing-byte": (keystroke() + b"\x00", InvalidUpdate),
    "deletes-only-trailing": (b"\x00\x00\x00", InvalidUpdate),
    "fewer-ranges-than-said": (
        keystroke(deletes=delete_set((7, [(1, 1)] * 3))[:-2]),
        InvalidUpdate,
    ),
    "more-ranges-than-said": (
        keystroke(deletes=delete_set((7, [(1, 1)] * 3)) + b"\x01\x01"),
        InvalidUpdate,
    ),
    "deletes-cut": (keystroke(deletes=delete_set((7, [(1, 1)]))[:-1]), InvalidUpdate),
}


@pytest.mark.parametrize(("update", "refusal"), REFUSED.values(), ids=REFUSED.keys())
def test_the_full_reader_refuses_what_looks_like_a_keystroke(
    update: bytes, refusal: type[InvalidUpdate]
) -> None:
    assert read_keystroke(update) is None
    with pytest.raises(refusal) as refused:
        check_update(update)
    if refusal is InvalidUpdate:
        assert not isinstance(refused.value, ForbiddenContent)


def test_the_keystroke_reader_reads_nearly_every_update_of_a_real_trace_alike() -> None:
    updates = list(itertools.islice(traces.updates_of(traces.load("seph-blog1")), 20_000))
    read = [u for u in updates if read_keystroke(u) is not None]
    assert len(read) > 0.99 * len(updates)
    for update in read:
        assert read_keystroke(update) == check_in_full(update)


async def test_the_check_is_off_only_when_a_benchmark_says_so() -> None:
    formatted: Doc[Any] = Doc(client_id=7)
    _formatted(formatted)
    update = formatted.get_update()
    assert Settings.from_env({}).update_check == "on"
    with pytest.raises(ForbiddenContent):
        await PooledChecker(Settings.from_env({})).check(update)
    off = PooledChecker(Settings.from_env({"PALABRE_UPDATE_CHECK": "off"}))
    assert await off.check(update) == Shape(frozenset(), 0, False)
