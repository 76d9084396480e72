"""The answer to a new client's sync step 1 (an empty state vector: it holds nothing), kept
between joins: the document cut into messages of at most ``limit`` bytes (``crdt/split.py``)
and the messages themselves, so their frames (compressed once, ``outgoing.py``) serve every
client that joins until the document changes much.

Cutting a whole state is linear in its size, on the event loop: for seph-blog1 (429 KB of
state) tens of milliseconds, most of a late joiner's wait and a pause for everyone in the
room. Kept here, a change costs nothing: it is added to the answer's open tail, and a join
sends the kept pieces, then the tail merged into one update (kept as pieces of its own once
it outgrows ``limit``: runs of consecutive changes within the limit, merged, no update read);
applied in order they make the document as it is, since each change was applied after the
pieces before it. When what is kept has grown to twice
the state it was cut from (text written, then erased), or the tail to that much without a
join, everything is dropped and the next join cuts the state again.

Answers to other state vectors (a client that holds part of the document) are not kept: they
are cut as they come, usually small. Nothing here is stored; a room rebuilt after a panic
starts again with nothing kept.
"""

from __future__ import annotations

from palabre.server.crdt.protocol import sync_step2_message, update_message
from palabre.server.crdt.replica import InvalidUpdate, LiveText, merge_all
from palabre.server.crdt.split import split_update
from palabre.server.live.outgoing import Outgoing

EMPTY_STATE_VECTOR = b"\x00"  # a client that holds nothing asks with this
GROWTH = 2  # what is kept is cut again once it outgrows the state it came from this much


class FirstSync:
    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._pieces: list[Outgoing] | None = None  # update messages, in order
        self._last: Outgoing | None = None  # the last piece again, as the sync step 2
        self._kept = 0  # bytes of the pieces
        self._state = 0  # bytes of the state they were cut from
        self._tail: list[bytes] = []  # changes since the pieces
        self._tail_bytes = 0
        self._tail_answer: Outgoing | None = None  # the tail merged, as the sync step 2
        self.cuts = 0  # whole states cut (for tests and benchmarks)

    @property
    def holding(self) -> int:
        """Bytes of updates kept (pieces and tail)."""
        return self._kept + self._tail_bytes

    def changed(self, change: bytes) -> None:
        """The room applied ``change``: it goes to the tail while something is kept."""
        if self._pieces is None:
            return
        self._tail.append(change)
        self._tail_bytes += len(change)
        self._tail_answer = None
        if self._kept + self._tail_bytes > GROWTH * self._state + self._limit:
            self.drop()

    def drop(self) -> None:
        """Forget everything (a rebuilt replica, a tail grown too long)."""
        self._pieces = self._last = self._tail_answer = None
        self._tail, self._tail_bytes, self._kept = [], 0, 0

    def answer(self, live: LiveText) -> list[Outgoing]:
        """The messages that give a client holding nothing the document ``live`` holds: update
        messages, the last one a sync step 2."""
        if self._pieces is None or self._kept + self._tail_bytes > GROWTH * self._state:
            self._cut(live)
        elif self._tail_bytes > self._limit:
            self._close_tail(live)
        assert self._pieces is not None
        assert self._last is not None
        if not self._tail:
            return [*self._pieces[:-1], self._last]
        if self._tail_answer is None:
            try:
                self._tail_answer = Outgoing(sync_step2_message(merge_all(self._tail)))
            except InvalidUpdate:
                self._cut(live)
                return [*self._pieces[:-1], self._last]
        return [*self._pieces, self._tail_answer]

    def _cut(self, live: LiveText) -> None:
        state = live.encode_state()
        self.drop()
        self.cuts += 1
        self._state = len(state)
        self._keep(split_update(state, self._limit))

    def _close_tail(self, live: LiveText) -> None:
        """The tail as pieces of its own, kept after the others: runs of consecutive changes
        of at most ``limit`` bytes together, each merged into one (in the order they were
        applied, so each comes after what it stands next to); no update is read for it. A
        change above the limit alone (a paste) is cut."""
        pieces: list[bytes] = []
        run: list[bytes] = []
        size = 0
        try:
            for change in self._tail:
                if run and size + len(change) > self._limit:
                    pieces.append(merge_all(run))
                    run, size = [], 0
                if len(change) > self._limit:
                    pieces.extend(split_update(change, self._limit))
                    continue
                run.append(change)
                size += len(change)
            if run:
                pieces.append(merge_all(run))
        except InvalidUpdate:
            self._cut(live)
            return
        self._tail, self._tail_bytes, self._tail_answer = [], 0, None
        self._keep(pieces)

    def _keep(self, pieces: list[bytes]) -> None:
        kept = [Outgoing(update_message(piece)) for piece in pieces]
        self._pieces = [*(self._pieces or []), *kept]
        self._kept += sum(len(piece) for piece in pieces)
        self._last = Outgoing(sync_step2_message(pieces[-1]))
