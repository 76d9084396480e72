"""Interview notes, kept apart from the event log and sealed into it.

The audit trail exports every stored event of a document, and its hash chain covers the
stored bytes: an event that held the notes would hand them to every member who reads the
trail, and redacting them there would break the chain. So the notes never enter an event.
An event records only their *seal*: the SHA-256 of a random 16-byte nonce followed by the
notes' UTF-8 bytes. The text and its nonce are kept in the notes vault, a store beside the
log (``server/storage/notes_vault.py``), which the domain reaches through the small
:class:`NotesVault` protocol.

- The seal reveals nothing: without the nonce, even a one-word note cannot be guessed by
  hashing candidates.
- The seal binds: whoever may read the notes gets the nonce too and can check them against
  the seal that the chain has linked; notes changed in the vault no longer match it.
- Order of writes: the vault first, then the event. A crash in between leaves notes that no
  event names (never shown), never an event whose notes are lost.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

NONCE_BYTES = 16


def seal_of(nonce: str, text: str) -> str:
    """The seal: SHA-256 of the nonce's bytes (given as hex) then the text's UTF-8 bytes."""
    return hashlib.sha256(bytes.fromhex(nonce) + text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SealedNotes:
    seal: str
    nonce: str  # hex
    text: str

    @classmethod
    def of(cls, text: str) -> SealedNotes:
        nonce = secrets.token_hex(NONCE_BYTES)
        return cls(seal_of(nonce, text), nonce, text)

    @property
    def intact(self) -> bool:
        """Whether the text and nonce still give the seal."""
        try:
            return seal_of(self.nonce, self.text) == self.seal
        except ValueError:  # a nonce that is not hex
            return False


class NotesVault(Protocol):
    """Where sealed notes are kept, by seal."""

    def keep(self, notes: SealedNotes, document_id: UUID) -> None:
        """Store them durably (keeping the same seal twice is not an error)."""

    def find(self, seal: str) -> SealedNotes | None:
        """The notes kept under ``seal``, as stored (the caller checks :attr:`intact`)."""

    def close(self) -> None: ...


@dataclass(frozen=True)
class NotesReading:
    """The notes as one reader may see them: ``visible`` says whether they may; ``text`` is
    None when they may not, when there are none, or when the vault cannot give them back
    intact (``problem``: ``missing`` or ``altered``)."""

    visible: bool
    text: str | None
    problem: str = ""


HIDDEN = NotesReading(visible=False, text=None)
