"""Real Yjs updates for in-process tests: a writer types into its own pycrdt document and
hands back each update it produced, exactly as a client would send them."""

from __future__ import annotations

from pycrdt import Doc, Text, TransactionEvent


class Writer:
    """One client: a document with a fixed client id, typing into ``body``."""

    def __init__(self, client_id: int) -> None:
        self.doc: Doc[Text] = Doc(client_id=client_id)
        self.text: Text = self.doc.get("body", type=Text)
        self._updates: list[bytes] = []
        self.doc.observe(self._capture)

    def _capture(self, event: TransactionEvent) -> None:
        self._updates.append(event.update)

    def type(self, text: str, at: int | None = None) -> bytes:
        """Insert ``text`` (at the end by default); return the update it made."""
        self._updates.clear()
        self.text.insert(len(str(self.text).encode()) if at is None else at, text)
        (update,) = self._updates
        return update

    def delete(self, start: int, length: int) -> bytes:
        self._updates.clear()
        del self.text[start : start + length]
        (update,) = self._updates
        return update

    def receive(self, update: bytes) -> None:
        self.doc.apply_update(update)

    @property
    def value(self) -> str:
        return str(self.text)


def replay(updates: list[bytes]) -> str:
    """The text that these updates make, on a fresh document."""
    doc: Doc[Text] = Doc()
    text = doc.get("body", type=Text)
    for update in updates:
        doc.apply_update(update)
    return str(text)
