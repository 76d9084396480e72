"""``palabre versions list|show`` and ``palabre projections rebuild``: the approved versions,
read from their projection (which catches up first), and its rebuild from position zero."""

from __future__ import annotations

import argparse
import sys
from uuid import UUID

from palabre.domain.application import PalabreApplication
from palabre.domain.ids import parse_id
from palabre.projections.approved_versions import ApprovedVersions
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
    projections = commands.add_parser("projections", help="maintain the read models")
    projection_actions = projections.add_subparsers(dest="action", required=True)
    projection_actions.add_parser(
        "rebuild", help="rebuild the approved versions from position zero; prints N versions"
    )


def run_versions(services: Services, args: argparse.Namespace) -> int:
    document_id = _document(services.application, args.document)
    if args.action == "list":
        return print_versions(services.versions, document_id)
    return show_version(services.versions, document_id, args.number)


def run_projections(services: Services, args: argparse.Namespace) -> int:
    bar = ProgressBar(sys.stderr, "approved versions")
    summary = services.versions.rebuild(bar)
    bar.finish()
    for mismatch in summary.mismatches:
        print(f"MISMATCH: {mismatch}", file=sys.stderr)
    print(f"{summary.versions} versions")
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
