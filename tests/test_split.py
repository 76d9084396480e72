"""Splitting a large update (``server/crdt/split.py``): the pieces, applied in order (as one
websocket delivers them), make exactly the document the whole update makes, in pycrdt and in
Yjs, each piece within the limit unless one struct alone is above it, and each integrated by
Yjs as it arrives (nothing it holds waits for a later piece); an update it cannot read is
given back whole."""

from __future__ import annotations

import base64
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import orjson
import pytest
from palabre.server.crdt.split import split_update
from pycrdt import Array, Doc, Map, Text, XmlElement, XmlFragment, XmlText

INTEROP = Path(__file__).parent / "interop"


def typed(seed: int, clients: int = 3, edits: int = 600) -> Doc[Any]:
    """A text typed and erased by several clients in turn, with accents and emoji."""
    rng = random.Random(seed)
    docs: list[Doc[Any]] = [Doc(client_id=100 + n) for n in range(clients)]
    texts = [d.get("body", type=Text) for d in docs]
    for _ in range(edits):
        n = rng.randrange(clients)
        text, current = texts[n], str(texts[n])
        at = len(current[: rng.randint(0, len(current))].encode())  # pycrdt counts UTF-8 bytes
        if current and rng.random() < 0.25:
            span = len(current[len(current.encode()[:at].decode()) :][:3].encode())
            del text[at : at + span]
        else:
            text.insert(at, rng.choice(["a", "é", "Lomé ", "« ok » ", "🌳", "texte "]))
        if rng.random() < 0.3:  # they sync now and then
            for other in docs:
                if other is not docs[n]:
                    other.apply_update(docs[n].get_update(other.get_state()))
    for a in docs:
        for b in docs:
            b.apply_update(a.get_update(b.get_state()))
    return docs[0]


def rebuilt(pieces: list[bytes], base: Doc[Any] | None = None) -> Doc[Any]:
    doc = base if base is not None else Doc()
    for piece in pieces:
        doc.apply_update(piece)
    return doc


def same(a: Doc[Any], b: Doc[Any]) -> bool:
    return a.get_state() == b.get_state() and str(a.get("body", type=Text)) == str(
        b.get("body", type=Text)
    )


@pytest.mark.parametrize("limit", [64, 300, 2000])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_pieces_in_order_make_the_same_document_each_within_the_limit(
    seed: int, limit: int
) -> None:
    source = typed(seed)
    whole = source.get_update()
    pieces = split_update(whole, limit)
    assert len(pieces) > 1
    assert same(rebuilt(pieces), source)
    longest_struct = 40  # a single struct (one insert of a few words) can be above a tiny limit
    assert all(len(p) <= max(limit, longest_struct) + 40 for p in pieces), [len(p) for p in pieces]


# Yjs itself (Node): what browsers run.
APPLY_IN_YJS = """
import * as Y from 'yjs'
import { readFileSync } from 'node:fs'
const doc = new Y.Doc()
for (const line of readFileSync(0, 'utf8').split('\\n').filter(Boolean)) {
  Y.applyUpdate(doc, Buffer.from(line, 'base64'))
}
process.stdout.write(JSON.stringify({ text: doc.getText('body').toString(),
  pending: doc.store.pendingStructs !== null || doc.store.pendingDs !== null }))
"""


@pytest.mark.node
def test_yjs_applies_the_pieces_in_order_to_the_same_text() -> None:
    source = typed(4)
    pieces = split_update(source.get_update(), 200)
    assert len(pieces) > 5
    answer = in_yjs(APPLY_IN_YJS, pieces)
    assert answer == {"text": str(source.get("body", type=Text)), "pending": False}


def in_yjs(script: str, pieces: list[bytes]) -> Any:
    """What ``script`` prints, run in Node with Yjs, given the pieces one per line (base64)."""
    node = shutil.which("node")
    assert node is not None, "Node.js is needed (tests/interop)"
    lines = "\n".join(base64.b64encode(p).decode() for p in pieces)
    done = subprocess.run(
        [node, "--input-type=module", "-e", script],
        input=lines,
        capture_output=True,
        text=True,
        cwd=INTEROP,
        check=True,
    )
    return orjson.loads(done.stdout)


# Yjs again, piece by piece: whether anything is left pending after each one.
PENDING_IN_YJS = """
import * as Y from 'yjs'
import { readFileSync } from 'node:fs'
const doc = new Y.Doc()
const pending = []
for (const line of readFileSync(0, 'utf8').split('\\n').filter(Boolean)) {
  Y.applyUpdate(doc, Buffer.from(line, 'base64'))
  pending.push(doc.store.pendingStructs !== null)
}
process.stdout.write(JSON.stringify({ text: doc.getText('body').toString(), pending }))
"""


@pytest.mark.node
@pytest.mark.parametrize("seed", [4, 6])
def test_yjs_places_each_piece_as_it_arrives_none_waits_for_a_later_one(seed: int) -> None:
    """Three members' interleaved typing, cut small: every struct comes after what it stands
    next to, so Yjs integrates each piece at once instead of keeping it pending (and merging
    everything pending again with each piece that follows)."""
    source = typed(seed)
    pieces = split_update(source.get_update(), 200)
    assert len(pieces) > 5
    answer = in_yjs(PENDING_IN_YJS, pieces)
    assert answer["text"] == str(source.get("body", type=Text))
    assert answer["pending"] == [False] * len(pieces)


def test_a_catch_up_is_split_too_and_completes_an_older_replica() -> None:
    source = typed(5, edits=300)
    older: Doc[Any] = Doc()
    older.apply_update(source.get_update())
    text = source.get("body", type=Text)
    for n in range(400):
        text.insert(len(str(text).encode()), f" suite {n}")
    catch_up = source.get_update(older.get_state())
    pieces = split_update(catch_up, 500)
    assert len(pieces) > 1
    assert same(rebuilt(pieces, older), source)


def test_a_small_update_stays_whole() -> None:
    update = typed(6, edits=5).get_update()
    assert split_update(update, len(update)) == [update]


def test_one_struct_above_the_limit_goes_alone_and_whole() -> None:
    doc: Doc[Any] = Doc(client_id=7)
    text = doc.get("body", type=Text)
    text.insert(0, "x" * 5000)  # one paste: one struct
    for n in range(50):
        text.insert(0, f"{n} ")
    pieces = split_update(doc.get_update(), 1000)
    assert len(pieces) > 1
    assert max(len(p) for p in pieces) > 5000
    assert same(rebuilt(pieces), doc)


def test_every_kind_of_content_is_read_and_split() -> None:
    """Palabre's documents hold plain text, but the reader knows every content kind, so an
    older stored document with other content is split correctly too."""
    doc: Doc[Any] = Doc(client_id=9)
    body = doc.get("body", type=Text)
    meta = doc.get("meta", type=Map)
    items = doc.get("items", type=Array)
    xml = doc.get("xml", type=XmlFragment)
    for n in range(60):
        body.insert(0, f"mot {n} ")
        meta[f"k{n}"] = {"n": n, "x": 1.5, "ok": True, "none": None, "l": [1, "deux", n * 1e6]}
        items.append(n if n % 3 else f"élément {n}")
        items.append(b"\x00\x01" * n)
    items.append(Map({"nested": "oui"}))
    xml.children.append(XmlElement("p", {"class": "x"}, [XmlText("texte")]))
    body.format(0, 4, {"bold": True})
    del meta["k3"]
    pieces = split_update(doc.get_update(), 200)
    assert len(pieces) > 3
    copy = rebuilt(pieces)
    assert copy.get_state() == doc.get_state()
    assert str(copy.get("body", type=Text)) == str(body)
    assert copy.get("meta", type=Map).to_py() == meta.to_py()
    assert copy.get("items", type=Array).to_py() == items.to_py()


def test_an_update_it_cannot_read_is_given_back_whole() -> None:
    update = typed(8).get_update()
    broken = update[: len(update) // 2]
    assert split_update(broken, 100) == [broken]
    unknown = b"\x01\x01\x05\x00\x1f" + b"\x00" * 500  # one struct of an unknown kind
    assert split_update(unknown, 100) == [unknown]
