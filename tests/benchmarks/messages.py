"""The largest messages Palabre sends and receives on a weak link, and how long each takes at
256 kbit/s.

Builds a long document in a fresh SQLite file: by default the seph-blog1 trace typed twice
(274,308 contributions, one per transaction, as ``tests/benchmarks/history.py`` builds it; the
engine replaying the trace takes several minutes), or with ``--synthetic`` 260,000 keystrokes
of ``tests/support/synthetic.py`` (seconds). Then, against a real server:

1. **First sync**: a fresh client (a recording y-websocket client in Python, offering
   permessage-deflate as browsers do) asks for the whole document: every message it receives
   is counted, the largest named, and the whole state's size given (the one message it would
   be without splitting).
2. **Catch-up after an hour offline**: that client goes offline, types ``--keystrokes`` (5,000)
   keystrokes of a real trace (sveltecomponent) at the end of its copy, while two members on
   good links type as many at the start; it comes back: its sync step 2 (what it sends) and
   the server's answer (what it receives) are measured the same way.

Times at 256 kbit/s are wire bytes (each message deflated as permessage-deflate does, with
the window kept from one message to the next) at 32,000 bytes/s, the rate of ``lome-3g``'s
uplink; its downlink is four times faster. y-websocket drops a socket that received no message
for 30 s.

Run: ``python -m tests.benchmarks.messages [--synthetic] [--keystrokes 5000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from palabre.client import LiveDocument
from palabre.domain.application import PalabreApplication
from palabre.domain.contribution import NewContribution
from palabre.domain.ids import DocumentId
from palabre.domain.roles import Country, Role
from palabre.server.crdt.lib0 import Reader, write_var_uint
from palabre.server.crdt.replica import compact
from palabre.server.storage.database import Database, open_application
from pycrdt import Doc, Text
from websockets.asyncio.client import connect

from tests.benchmarks.history import typed_twice
from tests.support import traces
from tests.support.server import ServerProcess
from tests.support.synthetic import store_history

RATE = 32_000  # bytes per second: 256 kbit/s
BATCH = 2000


@dataclass
class Traffic:
    """Messages of one exchange, one direction: their sizes, raw and on the wire."""

    sizes: list[int] = field(default_factory=list)
    wire: list[int] = field(default_factory=list)
    _deflate: Any = field(default_factory=lambda: zlib.compressobj(wbits=-15))

    def add(self, frame: bytes) -> None:
        self.sizes.append(len(frame))
        squeezed = self._deflate.compress(frame) + self._deflate.flush(zlib.Z_SYNC_FLUSH)
        self.wire.append(len(squeezed) - 4)  # permessage-deflate drops the 4-byte tail

    def line(self, what: str) -> str:
        if not self.sizes:
            return f"{what:<44} nothing"
        largest = max(self.sizes)
        slowest = max(self.wire) / RATE
        return (
            f"{what:<44}{len(self.sizes):>6}{sum(self.sizes):>12,}{largest:>11,}"
            f"{max(self.wire):>11,}{slowest:>9.1f} s"
        )


def header() -> str:
    return f"{'':<44}{'msgs':>6}{'total B':>12}{'largest B':>11}{'on wire':>11}{'@256k':>11}"


class Recorder:
    """A y-websocket client in Python that records every message both ways."""

    def __init__(self, base: str, document_id: str, token: str) -> None:
        ws = base.replace("http://", "ws://")
        self.url = f"{ws}/ws/{document_id}?token={token}&acks=1"
        self.doc: Doc[Any] = Doc()
        self.text = self.doc.get("body", type=Text)

    async def sync(self) -> tuple[Traffic, Traffic]:
        """Connect, exchange sync steps until both sides hold everything and the server
        acknowledged what this client sent; the traffic received and sent."""
        received, sent = Traffic(), Traffic()
        async with connect(self.url, max_size=None, compression="deflate") as ws:
            hello = _sync(0, self.doc.get_state())
            sent.add(hello)
            await ws.send(hello)
            synced = acked = False
            while not (synced and acked):
                frame = await asyncio.wait_for(ws.recv(), 600)
                assert isinstance(frame, bytes)
                received.add(frame)
                if frame[:2] in (b"\x00\x01", b"\x00\x02"):
                    self.doc.apply_update(Reader(frame, 2).var_bytes())
                    synced = synced or frame[1] == 1
                elif frame[:2] == b"\x00\x00":
                    answer = _sync(1, self.doc.get_update(Reader(frame, 2).var_bytes()))
                    sent.add(answer)
                    await ws.send(answer)
                elif frame[0] == 100:
                    acked = Reader(frame, 1).var_uint() >= 1
        return received, sent


def _sync(kind: int, payload: bytes) -> bytes:
    return bytes([0, kind]) + write_var_uint(len(payload)) + payload


# Building ------------------------------------------------------------------------------------


def store_trace(app: PalabreApplication, document: DocumentId) -> int:
    """seph-blog1 typed twice, then one checkpoint at the end."""
    member, position, batch, updates = uuid4(), 0, [], []
    for update in typed_twice(traces.load("seph-blog1")):
        batch.append(NewContribution(member, "bench", update, 1))
        updates.append(update)
        if len(batch) == BATCH:
            position = app.append_contributions(document, position, batch)
            batch = []
    if batch:
        position = app.append_contributions(document, position, batch)
    app.store_checkpoint(document, position, compact(updates))
    return position


def type_offline(recorder: Recorder, count: int) -> None:
    """``count`` transactions of the sveltecomponent trace, at the end of the local copy."""
    current = str(recorder.text)
    base = len(current)
    for txn in traces.load("sveltecomponent").txns[:count]:
        shifted = traces.Txn([(p + base, d, i) for p, d, i in txn.patches])
        current = traces.apply_txn(recorder.text, shifted, current)


async def type_online(base: str, document_id: str, token: str, count: int, seed: int) -> None:
    """A member on a good link: ``count`` keystrokes at the start, each its own update."""
    letters = random.Random(seed).choices("abcdefghijklmnopqrstuvwxyz ", k=count)
    live = LiveDocument(base, document_id, token)
    await live.start()
    try:
        await live.wait_synced(timeout=600)
        for n, letter in enumerate(letters):
            live.text.insert(0, letter)  # pycrdt directly: no copy of the long text each time
            if n % 50 == 0:
                await asyncio.sleep(0)
        await live.wait_saved(timeout=600)
    finally:
        await live.close()


# Running -------------------------------------------------------------------------------------


async def measure(server: ServerProcess, document_id: str, tokens: list[str], count: int) -> None:
    recorder = Recorder(server.base_url, document_id, tokens[0])
    started = time.perf_counter()
    received, sent = await recorder.sync()
    took = time.perf_counter() - started
    whole = len(recorder.doc.get_update())
    print(f"\nfirst sync ({took:.1f} s on the loopback)")
    print(header())
    print(received.line("server -> client (split)"))
    print(sent.line("client -> server"))
    one = Traffic()
    one.add(_sync(1, recorder.doc.get_update()))
    print(one.line("the whole state as one message (unsplit)"))
    print(f"whole state: {whole:,} bytes; text {len(str(recorder.text)):,} characters")

    type_offline(recorder, count)
    await asyncio.gather(
        *(type_online(server.base_url, document_id, t, count, n) for n, t in enumerate(tokens[1:]))
    )
    received, sent = await recorder.sync()
    print(f"\ncatch-up after an hour offline ({count:,} keystrokes there, {2 * count:,} here)")
    print(header())
    print(received.line("server -> client (the others' edits)"))
    print(sent.line("client -> server (its sync step 2)"))


def build(database: Database, synthetic: bool) -> tuple[str, list[str], int, float]:
    app = open_application(database)
    try:
        document = app.create_document("Référentiel commun")
        tokens = [
            app.add_member(name, org, Country.TG, Role.EDITOR, document.id).token
            for name, org in (
                ("Afi Mensah", "Fédération des ONG du Togo"),
                ("Kossi Agbeko", "Union des coopératives de Kara"),
                ("Yann Le Gall", "Chambre régionale de l'ESS"),
            )
        ]
        started = time.perf_counter()
        identity = DocumentId(UUID(str(document.id)))
        if synthetic:
            store_history(app, identity, 260_000)
            count = 260_000
        else:
            count = store_trace(app, identity)
        return str(document.id), tokens, count, time.perf_counter() - started
    finally:
        app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthetic", action="store_true", help="260,000 synthetic keystrokes")
    parser.add_argument("--keystrokes", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{Path(directory) / 'messages.sqlite3'}"
        document_id, tokens, count, seconds = build(Database(url), args.synthetic)
        kind = "synthetic keystrokes" if args.synthetic else "seph-blog1 typed twice"
        print(f"built {count:,} contributions ({kind}) in {seconds:.0f} s")
        server = ServerProcess(url).start()
        try:
            asyncio.run(measure(server, document_id, tokens, args.keystrokes))
        finally:
            server.kill()


if __name__ == "__main__":
    main()
