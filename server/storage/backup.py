"""Backups of the event log, and copies of it into another store, each event kept exactly:
its notification id, originator id, originator version, topic and stored state bytes; and
the interview notes kept in the notes vault beside the log (``notes_vault.py``), which no
event holds. This module reads a store into a backup file and writes events back into a
store with their own ids; the file format (lines, hashes, seals, trailer) is
``backup_file.py``.

A document's backup holds its events, its contribution log, its comments, its interviews and
their notes, the members with a role on it with their credentials and organisations, and the
catalogue entries that list them, so that a restored store lists and serves the document.

Restoring and copying keep the notes first, then write the events with their own
notification ids (the order the application writes them in: notes no event names are never
shown), into an empty store only (a store that already holds events is refused: ids would
collide), in transactions of :data:`PAGE` events. A crash midway leaves a partial store:
empty it and run again. A crash while writing a backup leaves a file without its trailer,
which restoring refuses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO
from uuid import UUID

from eventsourcing.persistence import Notification
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from palabre.domain.application import Listed, PalabreApplication
from palabre.domain.chain import GENESIS, ChainHead
from palabre.domain.comment_commands import comments_catalogue
from palabre.domain.errors import InvalidInput
from palabre.domain.ids import DocumentId, catalogue_id, contribution_log_id
from palabre.domain.interview_commands import interviews_catalogue
from palabre.domain.member import Member
from palabre.domain.notes import SealedNotes
from palabre.server.storage.backup_file import BackupWriter, Entry, KeptNotes, Summary
from palabre.server.storage.notes_vault import NotesKept, NotesVaultStore
from psycopg.sql import SQL, Identifier

PAGE = 500
Progress = Callable[[int, int], None]


# A store into a file -----------------------------------------------------------------------------


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
    writer = BackupWriter(out, document_id, head)
    for notification in notifications(app, end, progress):
        if keep is None or keep(notification):
            writer.event(notification)
    for kept in kept_notes(app, document_id):
        writer.notes(kept)
    return writer.finish()


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
