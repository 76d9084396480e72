"""Hostile websocket frames, as an attacker would make them: mutated real Yjs updates,
truncated and oversized varints, wrong message types, valid updates that carry more than
plain text (formatting, embeds, other roots, maps, sub-documents, updates under another
member's client id), deep or huge awareness JSON, very large frames, text frames, and plain
text updates that are fine. Deterministic for a seed."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import orjson
from palabre.server.crdt.lib0 import write_var_string, write_var_uint
from palabre.server.crdt.protocol import (
    awareness_message,
    sync_step1_message,
    sync_step2_message,
    update_message,
)
from pycrdt import Doc, Map, Text

from tests.support.edits import Writer

Frame = bytes | str
WORDS = ["Akwaba ", "Lomé ", "économie ", "solidaire ", "😀 ", "référentiel ", "\n# Titre\n"]
BIG = 16 << 20
WRITER_BYTES = 64 << 10  # then the attacker types under a new client id, in a new document


class FrameMaker:
    def __init__(self, seed: int, victim_client: int = 0) -> None:
        self.rng = random.Random(seed)
        self.writer = Writer(self.rng.randrange(1, 2**31))
        self.typed = 0  # UTF-8 bytes in the writer's text
        self.victim_client = victim_client  # a client id someone else writes under
        self.kinds: list[tuple[str, Callable[[], Frame]]] = [
            ("plain", self.plain),
            ("mutated", self.mutated),
            ("truncated", self.truncated),
            ("varint", self.varint),
            ("message-type", self.message_type),
            ("formatting", lambda: self.rich(_formatting)),
            ("embed", lambda: self.rich(_embed)),
            ("other-root", lambda: self.rich(_other_root)),
            ("map", lambda: self.rich(_map)),
            ("subdoc", lambda: self.rich(_subdoc)),
            ("stolen-client", self.stolen_client),
            ("awareness-deep", self.awareness_deep),
            ("awareness-big", self.awareness_big),
            ("awareness-garbage", self.awareness_garbage),
            ("sync-step1", self.sync_step1),
            ("huge", self.huge),
            ("text", self.text),
        ]

    def next(self) -> tuple[str, Frame]:
        weights = [30, 20, 8, 6, 4, 3, 3, 3, 3, 2, 3, 3, 2, 3, 4, 0.05, 2]
        name, make = self.rng.choices(self.kinds, weights)[0]
        return name, make()

    def plain(self) -> bytes:
        return update_message(self.typing())

    def typing(self) -> bytes:
        """The next word at the end of the writer's text: its length is counted here, since
        measuring the text would make a long campaign quadratic; past WRITER_BYTES a new
        writer starts, so that no campaign is held back by its own typing."""
        if self.typed > WRITER_BYTES:
            self.writer, self.typed = Writer(self.rng.randrange(1, 2**31)), 0
        word = self.rng.choice(WORDS)
        update = self.writer.type(word, at=self.typed)
        self.typed += len(word.encode())
        return update

    def mutated(self) -> bytes:
        update = bytearray(self.typing())
        for _ in range(self.rng.randint(1, 4)):
            at = self.rng.randrange(len(update))
            choice = self.rng.random()
            if choice < 0.5:
                update[at] = self.rng.randrange(256)
            elif choice < 0.75:
                update.insert(at, self.rng.randrange(256))
            else:
                del update[at]
        return self.rng.choice([update_message, sync_step2_message])(bytes(update))

    def truncated(self) -> bytes:
        frame = self.plain()
        return frame[: self.rng.randrange(1, len(frame))]

    def varint(self) -> bytes:
        endless = b"\xff" * self.rng.randint(5, 40)
        return self.rng.choice(
            [
                b"\x00\x02" + endless,
                b"\x00\x02\x05" + endless,
                b"\x01" + endless,
                b"\x00\x02" + write_var_uint(2**62) + b"\x00",
                b"\x00\x00" + endless,
            ]
        )

    def message_type(self) -> bytes:
        kind = self.rng.choice([4, 5, 99, 101, 127, 255])
        return bytes([kind]) + bytes(self.rng.randrange(256) for _ in range(8))

    def rich(self, write: Callable[[Doc[Any]], None]) -> bytes:
        doc: Doc[Any] = Doc(client_id=self.rng.randrange(1, 2**31))
        write(doc)
        return update_message(doc.get_update())

    def stolen_client(self) -> bytes:
        forger = Writer(self.victim_client or self.rng.randrange(1, 2**31))
        return update_message(forger.type("usurpé"))

    def awareness_deep(self) -> bytes:
        depth = self.rng.choice([200, 2000, 100_000])
        state = "[" * depth + "]" * depth
        return awareness_message(_awareness(self.rng.randrange(1, 2**31), state))

    def awareness_big(self) -> bytes:
        state = orjson.dumps({"user": {"name": "x" * self.rng.choice([1000, 20_000, 300_000])}})
        return awareness_message(_awareness(self.rng.randrange(1, 2**31), state.decode()))

    def awareness_garbage(self) -> bytes:
        return awareness_message(bytes(self.rng.randrange(256) for _ in range(24)))

    def sync_step1(self) -> bytes:
        return sync_step1_message(b"\x00")

    def huge(self) -> bytes:
        return update_message(b"\x01" * BIG)

    def text(self) -> str:
        return "bonjour"


def _awareness(client: int, state: str) -> bytes:
    return write_var_uint(1) + write_var_uint(client) + write_var_uint(1) + write_var_string(state)


def _formatting(doc: Doc[Any]) -> None:
    doc.get("body", type=Text).insert(0, "gras", {"bold": True})


def _embed(doc: Doc[Any]) -> None:
    text = doc.get("body", type=Text)
    text.insert(0, "ab")
    text.insert_embed(1, {"image": "x"})


def _other_root(doc: Doc[Any]) -> None:
    doc.get("autre", type=Text).insert(0, "ailleurs")


def _map(doc: Doc[Any]) -> None:
    doc.get("meta", type=Map)["clé"] = "valeur"


def _subdoc(doc: Doc[Any]) -> None:
    doc.get("docs", type=Map)["enfant"] = Doc()
