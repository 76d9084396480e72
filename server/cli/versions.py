"""``palabre versions list|show|changes`` and ``palabre projections rebuild``: the approved
versions, read from their projection (which catches up first), the change note between two of
them, and the projection's rebuild from position zero."""

from __future__ import annotations

import argparse
import asyncio
import sys
from uuid import UUID

from palabre.domain.application import PalabreApplication
from palabre.domain.ids import DocumentId, parse_id
from palabre.projections.approved_versions import ApprovedVersions
from palabre.server.answers.change_note import change_note, note_options
from palabre.server.answers.changes import wanted_version
from palabre.server.answers.versions import version_json
from palabre.server.bootstrap import Services
from palabre.server.cli.parsers import Commands
from palabre.server.cli.progress import ProgressBar


def add_parsers(commands: Commands) -> None:
    versions = commands.add_parser("versions", help="read the approved versions of a document")
    actions = versions.add_subparsers(dest="action", required=True)
    listing = actions.add_parser(
        "list", help="one line per approved version: number, SHA-256, ok or MISMATCH, label"
    )
    listing.add_argument("document")
    show = actions.add_parser(
        "show", help="an approved version: its Markdown on stdout, its metadata on stderr"
    )
    show.add_argument("document")
    show.add_argument("number", type=int)
    changes = actions.add_parser(
        "changes", help="the change note from version N to version M (or current), Markdown"
    )
    changes.add_argument("document")
    changes.add_argument("old", metavar="N")
    changes.add_argument("new", metavar="M", help="a version number, or current")
    changes.add_argument("--lang", default="fr", choices=["fr", "en"])
    changes.add_argument("--tz", default="UTC", help="an IANA time zone, for the decisions' days")
    projections = commands.add_parser("projections", help="maintain the read models")
    projection_actions = projections.add_subparsers(dest="action", required=True)
    projection_actions.add_parser(
        "rebuild", help="rebuild the approved versions from position zero; prints N versions"
    )


def run_versions(services: Services, args: argparse.Namespace) -> int:
    document_id = _document(services.application, args.document)
    if args.action == "list":
        return print_versions(services.versions, document_id)
    if args.action == "changes":
        return print_changes(services, DocumentId(document_id), args)
    return show_version(services.versions, document_id, args.number)


def run_projections(services: Services, args: argparse.Namespace) -> int:
    bar = ProgressBar(sys.stderr, "approved versions")
    summary = services.versions.rebuild(bar)
    bar.finish()
    for mismatch in summary.mismatches:
        print(f"MISMATCH: {mismatch}", file=sys.stderr)
    print(f"{summary.versions} versions")
    return 0


def print_changes(services: Services, document_id: DocumentId, args: argparse.Namespace) -> int:
    """The note on standard output, as ``GET .../versions/{n}/changes/{m}`` writes it."""
    old, new = wanted_version(args.old, "n"), wanted_version(args.new, "m")
    assert old is not None
    lang, where = note_options({"lang": args.lang, "tz": args.tz})
    facts = asyncio.run(services.changes.facts(document_id, old, new))
    sys.stdout.write(change_note(facts, lang, where))
    return 0


def _document(application: PalabreApplication, raw: str) -> UUID:
    return application.document(parse_id(raw, "document id")).id


def print_versions(versions: ApprovedVersions, document_id: UUID) -> int:
    for version in versions.versions(document_id):
        state = "ok" if version.ok else "MISMATCH"
        print(f"v{version.number}\t{version.pinned_sha256}\t{state}\t{version.label}")
    return 0


def show_version(versions: ApprovedVersions, document_id: UUID, number: int) -> int:
    """Metadata on stderr; the Markdown on stdout, byte for byte, so that piping it through
    ``sha256sum`` gives the pinned hash."""
    version = versions.version(document_id, number)
    for name, value in version_json(version, markdown=False).items():
        print(f"{name}: {value}", file=sys.stderr)
    sys.stdout.flush()
    sys.stdout.buffer.write(version.markdown.encode("utf-8"))
    sys.stdout.buffer.flush()
    return 0
