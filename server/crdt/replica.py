"""One document's replica in the engine: the shared Markdown text ``body``, updates applied
to it, and the states and messages derived from it.

Every update from the network passes through :meth:`LiveText.apply`, which turns any engine
failure into :class:`InvalidUpdate`: pycrdt raises ``ValueError`` on most malformed updates
and ``pyo3_runtime.PanicException`` (a ``BaseException``, not an ``Exception``) on some. After
a panic the replica's state cannot be trusted; :attr:`LiveText.poisoned` says so, and the room
that owns it rebuilds it from the store.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Iterable, Iterator

from palabre.server.crdt import state_vector
from pycrdt import Doc, Text, TransactionEvent, merge_updates

BODY = "body"  # the shared Markdown text
EMPTY_UPDATE = b"\x00\x00"


class InvalidUpdate(ValueError):
    """Bytes that the CRDT engine refused, or a malformed protocol message."""


def is_engine_panic(error: BaseException) -> bool:
    """A Rust panic surfaced by pyo3: a BaseException that is neither an Exception nor one
    of Python's own (KeyboardInterrupt, SystemExit, GeneratorExit, CancelledError)."""
    return type(error).__name__ == "PanicException"


@contextlib.contextmanager
def engine_refusals(what: str, on_panic: Iterable[LiveText] = ()) -> Iterator[None]:
    """Turn whatever the engine raises while handling ``what`` into InvalidUpdate, a Rust
    panic included (then the replicas in ``on_panic`` are marked poisoned)."""
    try:
        yield
    except Exception as error:
        raise InvalidUpdate(f"{what} refused by the CRDT engine: {error}") from None
    except BaseException as error:
        if not is_engine_panic(error):
            raise
        for replica in on_panic:
            replica.poisoned = True
        raise InvalidUpdate(f"the CRDT engine panicked on {what}: {error}") from None


class LiveText:
    """A replica of one document's CRDT state, holding its Markdown text ``body``."""

    def __init__(self, client_id: int = 0) -> None:
        # A room's replica never authors content, so its client id never appears in any
        # update. Copies do: anchors write markers under id 0 (see ``anchors``), an accepted
        # suggestion is written under a fresh id (see ``passages``).
        self.client_id = client_id
        self._doc: Doc[Text] = Doc(client_id=client_id)
        self._text: Text = self._doc.get(BODY, type=Text)
        self._captured: list[bytes] = []
        self._doc.observe(self._capture)
        self.poisoned = False  # the engine panicked inside this replica: rebuild it

    def _capture(self, event: TransactionEvent) -> None:
        self._captured.append(event.update)

    def apply(self, update: bytes) -> list[bytes]:
        """Apply an update; return what it changed (nothing for a duplicate, possibly more
        than it carried when it completes updates that were waiting for it)."""
        self._captured.clear()
        with engine_refusals("update", on_panic=[self]):
            self._doc.apply_update(update)
        changes, self._captured = self._captured, []
        return changes

    def apply_stored(self, updates: Iterable[bytes]) -> None:
        """Apply updates read from the store. Any engine failure (a panic included) is a
        ValueError: stored bytes that cannot be applied are a finding, not a crash."""
        try:
            with engine_refusals("stored update", on_panic=[self]):
                for update in updates:
                    self._doc.apply_update(update)
        finally:
            self._captured.clear()

    def replace(self, start: int, end: int, text: str) -> bytes:
        """Replace the characters ``[start, end)`` with ``text`` (indexes in characters,
        converted to pycrdt 0.14's UTF-8 bytes) in one transaction, under this replica's
        client id; return the update that carries the change. For copies the server writes
        in (a suggestion's replacement), never for a room's replica."""
        current = str(self._text)
        low = len(current[:start].encode("utf-8"))
        high = low + len(current[start:end].encode("utf-8"))
        before = self._doc.get_state()
        with engine_refusals("a replacement", on_panic=[self]), self._doc.transaction():
            if high > low:
                del self._text[low:high]
            if text:
                self._text.insert(low, text)
        self._captured.clear()
        return self._doc.get_update(before)

    @property
    def text(self) -> str:
        return str(self._text)

    def size(self) -> int:
        """The text's length in UTF-8 bytes, without reading the text."""
        return len(self._text)

    def clocks(self) -> dict[int, int]:
        """The state vector: for each client id, the clock this replica holds up to."""
        return state_vector.decode(self._doc.get_state())

    def clocks_of(self, clients: Collection[int]) -> dict[int, int]:
        """The clocks of those of ``clients`` this replica holds anything of, without
        decoding the whole state vector (``state_vector.py``)."""
        return state_vector.clocks_of(self._doc.get_state(), clients)

    def state_vector(self) -> bytes:
        return self._doc.get_state()

    def encode_state(self, state_vector: bytes | None = None) -> bytes:
        """Everything this replica holds as one update, or what a peer at ``state_vector``
        lacks. Raises InvalidUpdate for a malformed state vector."""
        if state_vector is None:
            return self._doc.get_update()
        with engine_refusals("state vector"):
            return self._doc.get_update(state_vector)


def rebuild(updates: Iterable[bytes]) -> LiveText:
    live = LiveText()
    live.apply_stored(updates)
    return live


def compact(updates: Iterable[bytes]) -> bytes:
    """The full state that the given updates produce, as one update."""
    return rebuild(updates).encode_state()


MERGE_FAN_IN = 32  # updates merged by one call of the engine


def merge(updates: list[bytes]) -> bytes:
    """The updates as one update. Merged by groups of ``MERGE_FAN_IN``, then the merges, and
    so on: the engine's cost grows faster than the count it is given (a run of 512 keystrokes
    of seph-blog1 took 2.7 µs per update in one call against 1.0 in groups of 32), and the
    result is the same bytes."""
    while len(updates) > 1:
        updates = [
            group[0] if len(group) == 1 else merge_updates(*group)
            for group in (
                updates[at : at + MERGE_FAN_IN] for at in range(0, len(updates), MERGE_FAN_IN)
            )
        ]
    return updates[0]


def merge_all(updates: list[bytes]) -> bytes:
    """The updates as one update, for sending (a slow reader's queue, ``live/outgoing.py``);
    InvalidUpdate if the engine refuses them (a panic included)."""
    with engine_refusals("a merge of updates"):
        return merge(updates)
