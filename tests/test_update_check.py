"""The update check (``server/crdt/check.py``) on real updates from pycrdt: plain text and
deletes in ``body`` pass; every other kind of content, root or parent is refused by name;
malformed bytes are refused; the shape reports client ids and inserted bytes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from palabre.server.crdt.check import ForbiddenContent, check_update
from palabre.server.crdt.lib0 import write_var_uint
from palabre.server.crdt.replica import InvalidUpdate
from pycrdt import Array, Doc, Map, Text, XmlElement, XmlFragment

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
