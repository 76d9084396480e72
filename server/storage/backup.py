"""Backups of the event log, and copies of it into another store, each event kept exactly:
its notification id, originator id, originator version, topic and stored state bytes; and
the interview notes kept in the notes vault beside the log (``notes_vault.py``), which no
event holds.

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

A document's backup holds its events, its contribution log, its comments, its interviews and
their notes, the members with a role on it with their credentials and organisations, and the
catalogue entries that list them, so that a restored store lists and serves the document.

Restoring and copying keep the notes first, then write the events with their own
notification ids (the order the application writes them in: notes no event names are never
shown), into an empty store only (a store that already holds events is refused: ids would
collide), in transactions of :data:`PAGE` events. A crash midway leaves a partial store:
empty it and run again.

Why one file of about 400 lines: the backup format's writer and its reader, which checks every
line the writer wrote, must agree on each field; they stay side by side.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any
from uuid import UUID

import orjson
from eventsourcing.persistence import Notification
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from palabre.domain.application import Listed, PalabreApplication
from palabre.domain.chain import GENESIS, ChainHead, chain_link
from palabre.domain.comment_commands import comments_catalogue
from palabre.domain.errors import InvalidInput
from palabre.domain.ids import DocumentId, catalogue_id, contribution_log_id
from palabre.domain.interview_commands import interviews_catalogue
from palabre.domain.member import Member
from palabre.domain.notes import SealedNotes
from palabre.server.storage.notes_vault import NotesKept, NotesVaultStore
from psycopg.sql import SQL, Identifier

FORMAT = 1
PAGE = 500
Progress = Callable[[int, int], None]


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


def write_backup(
    app: PalabreApplication,
    out: IO[bytes],
    source_head: Callable[[int], str | None],
    document_id: DocumentId | None = None,
    progress: Progress | None = None,
) -> Summary:
    """Write every event (or a document's) stored up to the log's end as it is now;
    ``source_head(n)`` is the audit chain's link at notification n."""
    end = app.recorder.max_notification_id() or 0
    keep = None if document_id is None else _document_originators(app, document_id, end)
    head = ChainHead(end, source_head(end) or GENESIS) if document_id is None else None
    header = {
        "palabre_backup": FORMAT,
        "scope": "store" if document_id is None else "document",
        "document_id": None if document_id is None else str(document_id),
        "created_at": datetime.now(UTC).isoformat(),
        "source_head": None if head is None else {"position": head.position, "link": head.link},
    }
    out.write(orjson.dumps(header) + b"\n")
    link, count = GENESIS, 0
    for notification in notifications(app, end, progress):
        if keep is not None and not keep(notification):
            continue
        link = chain_link(link, notification)
        count += 1
        out.write(orjson.dumps(_line(notification, link)) + b"\n")
    notes = 0
    for kept in kept_notes(app, document_id):
        out.write(orjson.dumps({"notes": _notes_line(kept)}) + b"\n")
        notes += 1
    trailer = {"end": True, "events": count, "notes": notes, "head": link}
    out.write(orjson.dumps(trailer) + b"\n")
    return Summary(count, link, head, notes)


def kept_notes(app: PalabreApplication, document_id: UUID | None = None) -> Iterator[KeptNotes]:
    """Every record of the application's notes vault (or a document's), oldest first."""
    vault = app.notes_vault
    if not isinstance(vault, NotesVaultStore):
        return
    position = 0
    while page := vault.recorder.select_notifications(position, PAGE, inclusive_of_start=False):
        for notification in page:
            record = vault.mapper.to_domain_event(notification)
            if isinstance(record, NotesKept) and document_id in (None, record.document_id):
                notes = SealedNotes(record.seal, record.nonce, record.text)
                yield KeptNotes(record.document_id, notes)
        position = page[-1].id


def _notes_line(kept: KeptNotes) -> dict[str, str]:
    notes = kept.notes
    return {
        "document_id": str(kept.document_id),
        "seal": notes.seal,
        "nonce": notes.nonce,
        "text": notes.text,
    }


def notifications(
    app: PalabreApplication, end: int, progress: Progress | None = None
) -> Iterator[Notification]:
    position = 0
    while page := app.recorder.select_notifications(
        position, PAGE, stop=end, inclusive_of_start=False
    ):
        yield from page
        position = page[-1].id
        if progress is not None:
            progress(position, end)


def _line(notification: Notification, link: str) -> dict[str, Any]:
    return {
        "notification_id": notification.id,
        "originator_id": str(notification.originator_id),
        "originator_version": notification.originator_version,
        "topic": notification.topic,
        "state": base64.b64encode(bytes(notification.state)).decode("ascii"),
        "hash": link,
    }


def _document_originators(
    app: PalabreApplication, document_id: DocumentId, end: int
) -> Callable[[Notification], bool]:
    app.document(document_id)  # NotFound for an unknown document
    members = app.members(document_id)
    wanted = {document_id, contribution_log_id(document_id)}
    for info in members:
        member: object = app.repository.get(info.id)
        assert isinstance(member, Member)
        wanted |= {info.id, info.organisation.id, *member.credentials}
    wanted |= {comment.id for comment in app.comments(document_id)}
    wanted |= {interview.id for interview in app.interviews(document_id)}
    kinds = [
        "documents",
        "organisations",
        "members",
        comments_catalogue(document_id),
        interviews_catalogue(document_id),
    ]
    catalogues = {catalogue_id(kind) for kind in kinds}
    names = {str(originator) for originator in wanted}

    def keep(notification: Notification) -> bool:
        originator = notification.originator_id
        if str(originator) in names:
            return True
        if originator not in catalogues:
            return False
        entry = app.mapper.to_domain_event(notification)
        return isinstance(entry, Listed) and str(entry.entity_id) in names

    return keep


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


# Writing events with their ids -----------------------------------------------------------------


def require_empty(app: PalabreApplication) -> None:
    if app.recorder.max_notification_id():
        raise InvalidInput("the target store already holds events: restore into an empty one")


def insert_exactly(app: PalabreApplication, events: Sequence[Notification]) -> None:
    """Store these events with their own notification ids, in one transaction."""
    recorder = app.recorder
    if isinstance(recorder, SQLiteApplicationRecorder):
        _insert_sqlite(recorder, events)
    elif isinstance(recorder, PostgresApplicationRecorder):
        _insert_postgres(recorder, events)
    else:
        raise InvalidInput(f"cannot restore into {type(recorder).__name__}")


def _insert_sqlite(recorder: SQLiteApplicationRecorder, events: Sequence[Notification]) -> None:
    as_uuid = recorder.datastore.originator_id_type == "uuid"
    statement = (
        f"INSERT INTO {recorder.events_table_name} "
        "(rowid, originator_id, originator_version, topic, state) VALUES (?, ?, ?, ?, ?)"
    )
    with recorder.datastore.transaction(commit=True) as cursor:
        for event in events:
            originator = UUID(str(event.originator_id))
            cursor.execute(
                statement,
                (
                    event.id,
                    originator.hex if as_uuid else str(originator),
                    event.originator_version,
                    event.topic,
                    bytes(event.state),
                ),
            )


def _insert_postgres(recorder: PostgresApplicationRecorder, events: Sequence[Notification]) -> None:
    datastore = recorder.datastore
    table = SQL("{}.{}").format(
        Identifier(datastore.schema), Identifier(recorder.events_table_name)
    )
    insert = SQL(
        "INSERT INTO {} (originator_id, originator_version, topic, state, notification_id) "
        "VALUES (%s, %s, %s, %s, %s)"
    ).format(table)
    with datastore.transaction(commit=True) as cursor:
        cursor.execute(SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(table))
        cursor.executemany(
            insert,
            [
                (
                    UUID(str(e.originator_id)),
                    e.originator_version,
                    e.topic,
                    bytes(e.state),
                    e.id,
                )
                for e in events
            ],
        )
        qualified = f"{datastore.schema}.{recorder.events_table_name}"
        cursor.execute(
            SQL(
                "SELECT setval(pg_get_serial_sequence(%s, 'notification_id'), "
                "(SELECT MAX(notification_id) FROM {}))"
            ).format(table),
            (qualified,),
        )


def keep_notes(app: PalabreApplication, notes: Iterable[KeptNotes]) -> int:
    """Keep notes in the application's vault (before the events that name them)."""
    count = 0
    for kept in notes:
        app.notes_vault.keep(kept.notes, kept.document_id)
        count += 1
    return count


def store_exactly(
    app: PalabreApplication,
    events: Iterable[Entry],
    progress: Callable[[int], None] | None = None,
) -> int:
    """Store every event with its id, a page per transaction, into an empty store (notes
    among them are passed over: :func:`keep_notes` keeps them first)."""
    require_empty(app)
    count, page = 0, []
    for event in events:
        if isinstance(event, KeptNotes):
            continue
        page.append(event)
        if len(page) == PAGE:
            insert_exactly(app, page)
            count += len(page)
            page = []
            if progress is not None:
                progress(count)
    if page:
        insert_exactly(app, page)
        count += len(page)
    if progress is not None:
        progress(count)
    return count
