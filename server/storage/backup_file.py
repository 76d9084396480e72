"""The backup file format: what a line says, how the lines are chained and sealed, and how a
file is written and checked. ``backup.py`` decides what goes into a file and copies events
back into a store.

A backup is a JSON Lines file: a header (``palabre_backup``: 1, ``scope``: ``store`` or
``document``, ``document_id``, ``created_at``, ``source_head``), one line per event
(``notification_id``, ``originator_id``, ``originator_version``, ``topic``, ``state`` in
base64, ``hash``), then one line per kept notes record (``notes``: ``document_id``, ``seal``,
``nonce``, ``text``; each must match its seal, which the events name and the chain covers),
then a trailer (``end``, ``events``, ``notes``, ``head``). Each ``hash`` is the audit
chain's link function (``domain.chain``) over the file's own events, from 64 zeros, so a file
can be checked offline with the README's few lines of Python and a truncated, altered or
reordered file is refused. For the whole store, the file's last hash is the audit chain's
link at the last event, which the header's ``source_head`` records from the store: restoring
that file gives the same chain head.

A writer that stops midway (a crash, a full disk) leaves a file without its trailer, which
reading refuses as truncated; reading raises :class:`BadBackup` at the first fault, so a
reader that checks the whole file before writing anything (``palabre restore``) never writes
from a damaged one.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any
from uuid import UUID

import orjson
from eventsourcing.persistence import Notification
from palabre.domain.chain import GENESIS, ChainHead, chain_link
from palabre.domain.errors import InvalidInput
from palabre.domain.notes import SealedNotes

FORMAT = 1


class BadBackup(InvalidInput):
    """The file is not a complete, unaltered Palabre backup."""


@dataclass(frozen=True)
class Summary:
    events: int
    head: str  # the file's last hash
    source_head: ChainHead | None  # the store's audit chain head the file claims
    notes: int = 0


@dataclass(frozen=True)
class KeptNotes:
    """One record of the notes vault."""

    document_id: UUID
    notes: SealedNotes


Entry = Notification | KeptNotes


# Writing ---------------------------------------------------------------------------------------


class BackupWriter:
    """Writes the header at once; then every event (chaining their hashes), then every notes
    record, in that order; :meth:`finish` writes the trailer."""

    def __init__(
        self, out: IO[bytes], document_id: UUID | None, source_head: ChainHead | None
    ) -> None:
        self._out = out
        self._source_head = source_head
        self._link, self._events, self._notes = GENESIS, 0, 0
        head = (
            None
            if source_head is None
            else {
                "position": source_head.position,
                "link": source_head.link,
            }
        )
        header = {
            "palabre_backup": FORMAT,
            "scope": "store" if document_id is None else "document",
            "document_id": None if document_id is None else str(document_id),
            "created_at": datetime.now(UTC).isoformat(),
            "source_head": head,
        }
        self._write(header)

    def event(self, notification: Notification) -> None:
        self._link = chain_link(self._link, notification)
        self._events += 1
        self._write(_event_line(notification, self._link))

    def notes(self, kept: KeptNotes) -> None:
        self._notes += 1
        self._write({"notes": _notes_line(kept)})

    def finish(self) -> Summary:
        trailer = {"end": True, "events": self._events, "notes": self._notes, "head": self._link}
        self._write(trailer)
        return Summary(self._events, self._link, self._source_head, self._notes)

    def _write(self, line: dict[str, Any]) -> None:
        self._out.write(orjson.dumps(line) + b"\n")


def _event_line(notification: Notification, link: str) -> dict[str, Any]:
    return {
        "notification_id": notification.id,
        "originator_id": str(notification.originator_id),
        "originator_version": notification.originator_version,
        "topic": notification.topic,
        "state": base64.b64encode(bytes(notification.state)).decode("ascii"),
        "hash": link,
    }


def _notes_line(kept: KeptNotes) -> dict[str, str]:
    notes = kept.notes
    return {
        "document_id": str(kept.document_id),
        "seal": notes.seal,
        "nonce": notes.nonce,
        "text": notes.text,
    }


# Reading and checking --------------------------------------------------------------------------


@dataclass(frozen=True)
class Backup:
    header: dict[str, Any]
    entries: Iterator[Entry]  # checked as they are read; BadBackup at the first fault


def read_backup(lines: Iterable[bytes]) -> Backup:
    iterator = iter(lines)
    try:
        header = orjson.loads(next(iterator))
    except (StopIteration, orjson.JSONDecodeError):
        raise BadBackup("not a Palabre backup: no header line") from None
    if not isinstance(header, dict) or header.get("palabre_backup") != FORMAT:
        raise BadBackup("not a Palabre backup (format 1)")
    return Backup(header, _checked(iterator))


def _checked(lines: Iterator[bytes]) -> Iterator[Entry]:
    link, count, notes, previous_id = GENESIS, 0, 0, 0
    for number, raw in enumerate(lines, start=2):
        try:
            line = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise BadBackup(f"line {number}: not JSON") from None
        if not isinstance(line, dict):
            raise BadBackup(f"line {number}: not an object")
        if line.get("end") is True:
            if (line.get("events"), line.get("notes", 0), line.get("head")) != (count, notes, link):
                raise BadBackup(f"line {number}: the trailer does not match the file")
            return
        if "notes" in line:
            notes += 1
            yield _kept(line["notes"], number)
            continue
        if notes:
            raise BadBackup(f"line {number}: an event after the notes")
        notification = _notification(line, number)
        if notification.id <= previous_id:
            raise BadBackup(f"line {number}: notification ids must increase")
        link = chain_link(link, notification)
        if line.get("hash") != link:
            raise BadBackup(f"line {number}: hash mismatch (altered or reordered events)")
        count, previous_id = count + 1, notification.id
        yield notification
    raise BadBackup("the file ends before its trailer: truncated")


def _notification(line: Any, number: int) -> Notification:
    try:
        return Notification(
            id=int(line["notification_id"]),
            originator_id=UUID(line["originator_id"]),
            originator_version=int(line["originator_version"]),
            topic=str(line["topic"]),
            state=base64.b64decode(line["state"], validate=True),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise BadBackup(f"line {number}: not an event line ({error})") from None


def _kept(value: Any, number: int) -> KeptNotes:
    try:
        kept = KeptNotes(
            UUID(value["document_id"]),
            SealedNotes(str(value["seal"]), str(value["nonce"]), str(value["text"])),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise BadBackup(f"line {number}: not a notes line ({error})") from None
    if not kept.notes.intact:
        raise BadBackup(f"line {number}: notes that do not match their seal")
    return kept


def check(backup: Backup, notes: list[KeptNotes] | None = None) -> Summary:
    """Read the whole file, checking every hash, every seal and the trailer; the notes go
    into ``notes`` when given (restoring keeps them before writing the events)."""
    count, head, kept = 0, GENESIS, 0
    for entry in backup.entries:
        if isinstance(entry, KeptNotes):
            kept += 1
            if notes is not None:
                notes.append(entry)
        else:
            count, head = count + 1, chain_link(head, entry)
    claimed = backup.header.get("source_head")
    source = None if claimed is None else ChainHead(claimed["position"], claimed["link"])
    return Summary(count, head, source, kept)
