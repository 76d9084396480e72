"""Replicas for the projections, which never import the engine themselves: they receive these
through the small protocols they declare (``projections.approved_versions.TextReplica``,
``projections.history_index.DeltaReplica``).

Both turn every engine failure on stored bytes into ``ValueError`` (``InvalidUpdate``), Rust
panics included, so a stored contribution the engine cannot apply is reported where it is,
never a crash of the reader.
"""

from __future__ import annotations

from collections.abc import Sequence

from palabre.server.crdt.replica import BODY, InvalidUpdate, LiveText, engine_refusals
from pycrdt import Doc, Text

# ``("retain", n)``, ``("delete", n)`` (n in UTF-8 bytes) or ``("insert", text)``: the shape
# ``palabre.projections.authorship.DeltaOp`` reads.
DeltaOp = tuple[str, int | str]


class EngineReplica:
    """The text of stored updates (the approved-versions projection's ``TextReplica``)."""

    def __init__(self) -> None:
        self._live = LiveText()

    def apply_stored(self, updates: Sequence[bytes]) -> None:
        self._live.apply_stored(updates)

    @property
    def text(self) -> str:
        return self._live.text


class DeltaReplay:
    """A replica that reports, for each stored update it applies, the change deltas the engine
    computed for the ``body`` text (``projections/authorship.py`` reads them). The engine
    derives them from the items it integrated, so concurrent edits come out as what each
    update really inserted and deleted. Counts are in UTF-8 bytes in pycrdt 0.14.

    Only plain text is modelled: an update that carries anything else into ``body`` (an
    embed, a formatting attribute) is refused with ValueError, so an authorship record can
    never silently disagree with the text."""

    def __init__(self) -> None:
        self._doc: Doc[Text] = Doc(client_id=0)
        self._text: Text = self._doc.get(BODY, type=Text)
        self._seen: list[list[DeltaOp]] = []
        self._unmodelled = ""
        # pycrdt 0.14's TextEvent declares ``delta`` in ``__slots__`` only, untyped.
        self._subscription = self._text.observe(
            lambda event: self._record(event.delta)  # type: ignore[attr-defined]
        )

    def _record(self, delta: list[dict[str, object]]) -> None:
        ops: list[DeltaOp] = []
        for raw in delta:
            op = _delta_op(raw)
            if op is None:
                self._unmodelled = f"a change the text model does not hold: {raw!r}"[:200]
            else:
                ops.append(op)
        self._seen.append(ops)

    def apply(self, update: bytes) -> list[list[DeltaOp]]:
        """The deltas of one update, in order (one per transaction: usually one, none for an
        update that changed nothing in the text)."""
        self._seen = []
        self._unmodelled = ""
        with engine_refusals("stored update"):
            self._doc.apply_update(update)
        if self._unmodelled:
            raise InvalidUpdate(self._unmodelled)
        return self._seen

    @property
    def text(self) -> str:
        return str(self._text)

    def state(self) -> bytes:
        """Everything applied so far as one update (what a checkpoint stores)."""
        return self._doc.get_update()


def _delta_op(raw: dict[str, object]) -> DeltaOp | None:
    """One of the engine's delta entries as a plain op; None for anything but plain text
    (embeds, formatting), which Palabre's model does not hold."""
    if set(raw) - {"insert", "retain", "delete"}:
        return None  # e.g. "attributes": formatting
    inserted, retained, deleted = raw.get("insert"), raw.get("retain"), raw.get("delete")
    if isinstance(inserted, str):
        return ("insert", inserted)
    if isinstance(retained, int):
        return ("retain", retained)
    if isinstance(deleted, int):
        return ("delete", deleted)
    return None
