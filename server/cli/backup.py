"""``palabre backup [DOC] -o FILE``, ``palabre restore FILE`` and ``palabre migrate --to
URL``: the event log out of a store, into an empty one, or from one store into another
(SQLite into PostgreSQL), every event with its notification id, so the audit chain of the
copy is the original's. The file format and the exact writes are ``storage/backup.py``.

Each shows a progress bar on standard error and its result on the last line of standard
output. ``restore`` reads the whole file once to check every hash before it writes anything;
``restore --check`` stops there (nothing is opened for writing). After ``restore`` and
``migrate`` the target's audit chain is linked and compared with the source's head, each
document gets a checkpoint (derived from the copied events), and ``migrate`` runs the checks
of ``palabre verify`` on every document. A crash midway leaves a partial target: empty it
and run again (both refuse a target that already holds events).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from palabre.domain.ids import DocumentId, parse_id
from palabre.domain.shapes import Json
from palabre.server.bootstrap import Services, open_services
from palabre.server.cli.audit import verify_chain, verify_versions
from palabre.server.cli.parsers import Commands
from palabre.server.cli.progress import ProgressBar
from palabre.server.storage.backup import (
    Entry,
    KeptNotes,
    check,
    keep_notes,
    kept_notes,
    notifications,
    read_backup,
    require_empty,
    store_exactly,
    write_backup,
)
from palabre.server.storage.database import Database


def add_parsers(commands: Commands) -> None:
    backup = commands.add_parser(
        "backup", help="every event of the store, or of one document, into a checkable file"
    )
    backup.add_argument("document", nargs="?", help="only this document's events")
    backup.add_argument("-o", "--output", required=True, help="the file to write")
    restore = commands.add_parser("restore", help="a backup's events into an empty store")
    restore.add_argument("file")
    restore.add_argument(
        "--check", action="store_true", help="only check the file's hashes; write nothing"
    )
    migrate = commands.add_parser(
        "migrate", help="copy this store into another, empty one, then verify every document"
    )
    migrate.add_argument("--to", required=True, help="the target store's URL (postgresql://...)")


# backup ----------------------------------------------------------------------------------------


def run_backup(services: Services, args: argparse.Namespace) -> int:
    document_id = None if args.document is None else DocumentId(parse_id(args.document))
    bar = ProgressBar(sys.stderr, "events", verb="backing up")
    with open(args.output, "wb") as out:
        summary = write_backup(
            services.application, out, services.audit.link_at, document_id, progress=bar
        )
    bar.finish()
    print(
        f"{summary.events} events and {summary.notes} interview notes backed up to "
        f"{args.output}, head {summary.head}"
    )
    return 0


# restore ---------------------------------------------------------------------------------------


def run_restore(services: Services, args: argparse.Namespace) -> int:
    path = Path(args.file)
    notes: list[KeptNotes] = []
    checked = _check_file(path, notes)
    if args.check:
        print(f"{checked} events and {len(notes)} interview notes, every hash and seal ok")
        return 0
    require_empty(services.application)
    keep_notes(services.application, notes)
    with path.open("rb") as lines:
        backup = read_backup(lines)
        count = _store(services, backup.entries, checked)
    ok = _same_head(services, backup.header)
    _checkpoint_all(services)
    print(f"{count} events restored from {path}")
    return 0 if ok else 1


def _check_file(path: Path, notes: list[KeptNotes]) -> int:
    """Every hash, seal and the trailer, before anything is written; returns the event count
    and puts the notes into ``notes``."""
    size = max(1, path.stat().st_size)
    bar = ProgressBar(sys.stderr, "the file", verb="checking")
    with path.open("rb") as lines:
        summary = check(read_backup(_reporting(lines, size, bar)), notes)
    bar.finish()
    return summary.events


def _reporting(lines: IO[bytes], size: int, bar: ProgressBar) -> Iterator[bytes]:
    done = 0
    for line in lines:
        done += len(line)
        bar(done, size)
        yield line


def _store(services: Services, events: Iterator[Entry], total: int) -> int:
    bar = ProgressBar(sys.stderr, "events", verb="restoring")
    count = store_exactly(services.application, events, progress=lambda done: bar(done, total))
    bar.finish()
    return count


def _same_head(services: Services, header: Json) -> bool:
    """A whole store's backup names the source's audit chain head: the copy must reach it."""
    claimed = header.get("source_head")
    if not isinstance(claimed, dict):
        return True
    link = services.audit.link_at(int(claimed["position"]))
    if link != claimed["link"]:
        print(f"MISMATCH: audit chain head {link} differs from the source's {claimed['link']}")
        return False
    print(f"chain\tok\thead {link} at notification {claimed['position']}, as in the source")
    return True


def _checkpoint_all(services: Services) -> None:
    documents = services.application.documents()
    bar = ProgressBar(sys.stderr, "documents", verb="checkpointing")

    async def checkpoint_all() -> None:
        for done, document in enumerate(documents, start=1):
            await services.store.checkpoint(document.id, 1)
            bar(done, len(documents))

    asyncio.run(checkpoint_all())
    bar.finish()


# migrate ---------------------------------------------------------------------------------------


def run_migrate(services: Services, args: argparse.Namespace) -> int:
    target_url = Database(args.to)
    if target_url.url == services.database.url:
        print("palabre: --to names the store being copied", file=sys.stderr)
        return 2
    with open_services(dataclasses.replace(services.settings, database=target_url.url)) as target:
        require_empty(target.application)
        keep_notes(target.application, kept_notes(services.application))
        end = services.application.recorder.max_notification_id() or 0
        bar = ProgressBar(sys.stderr, "events", verb="copying")
        count = store_exactly(
            target.application,
            notifications(services.application, end),
            progress=lambda done: bar(done, end),
        )
        bar.finish()
        source_link = services.audit.link_at(end)
        same = _same_head(target, {"source_head": {"position": end, "link": source_link}})
        _checkpoint_all(target)
        ok = verify_chain(target.audit) and same
        for document in target.application.documents():
            print(f"document {document.id}\t{document.title}")
            ok = verify_versions(target.versions, document.id) and ok
    print(f"{count} events copied to {target_url.redacted}" + ("" if ok else "; MISMATCH"))
    return 0 if ok else 1
