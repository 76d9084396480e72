"""``palabre export``: the same exports as ``GET /api/documents/{id}/export``, from the
configured store, to a file, a folder or standard output; ``--all-versions`` writes one file
per approved version, with a progress bar."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from palabre.domain.errors import InvalidInput
from palabre.domain.ids import DocumentId, parse_id
from palabre.server.bootstrap import Services
from palabre.server.cli.parsers import Commands
from palabre.server.cli.progress import ProgressBar
from palabre.server.export.compose import file_name
from palabre.server.export.formats import FORMATS, render
from palabre.server.export.request import COMMENTS, SUGGESTIONS, ExportRequest, parse_request
from palabre.server.export.snapshot import Sources


def add_parsers(commands: Commands) -> None:
    export = commands.add_parser(
        "export",
        help="the text now, at version N or at a position, as md, html, docx, odt, pdf or json",
    )
    export.add_argument("document")
    export.add_argument("--format", required=True, choices=list(FORMATS))
    which = export.add_mutually_exclusive_group()
    which.add_argument("--version", type=int, help="an approved version number")
    which.add_argument("--at", type=int, help="a position (a number of contributions)")
    which.add_argument(
        "--all-versions", action="store_true", help="every approved version, into -o DIR"
    )
    export.add_argument(
        "-o", "--output", help="a file, or a folder for the file named after the export"
    )
    export.add_argument("--lang", default="fr", choices=["fr", "en"])
    export.add_argument("--tz", default="UTC", help="an IANA time zone, e.g. Africa/Lome")
    export.add_argument("--comments", choices=list(COMMENTS), help="append comments as notes")
    export.add_argument(
        "--suggestions", choices=list(SUGGESTIONS), help="append suggestions with their fate"
    )
    export.add_argument(
        "--contributors", action="store_true", help="append contributors by organisation"
    )
    export.add_argument(
        "--sources", action="store_true", help="append the Sources annex (interviews cited)"
    )
    export.add_argument(
        "--changes", type=int, metavar="N", help="append the change note since version N"
    )
    export.add_argument("--generated-at", help="ISO-8601 time for the file's metadata")


def run(services: Services, args: argparse.Namespace) -> int:
    document = DocumentId(parse_id(args.document, "document id"))
    services.application.document(document)  # an unknown document: status 2, before anything
    if args.all_versions:
        return _all_versions(services.sources, document, args)
    return _one(services.sources, document, args)


def _request(args: argparse.Namespace, version: int | None = None) -> ExportRequest:
    """The command line as the HTTP query string, checked by the same parser."""
    query = {"format": args.format, "lang": args.lang, "tz": args.tz}
    number = version if version is not None else args.version
    if number is not None:
        query["version"] = str(number)
    if args.at is not None:
        query["at"] = str(args.at)
    if args.comments is not None:
        query["comments"] = args.comments
    if args.suggestions is not None:
        query["suggestions"] = args.suggestions
    if args.contributors:
        query["contributors"] = "true"
    if args.sources:
        query["sources"] = "true"
    if args.changes is not None:
        query["changes"] = str(args.changes)
    if args.generated_at is not None:
        query["generated_at"] = args.generated_at
    for name in ("version", "at", "changes"):
        if query.get(name, "0").startswith("-"):
            raise InvalidInput(f"--{name} is a whole number, not {query[name]}")
    return parse_request(query)


def _export(sources: Sources, document: DocumentId, wanted: ExportRequest) -> tuple[str, bytes]:
    """The file name and the bytes of one export."""

    async def made() -> tuple[str, bytes]:
        snapshot = await sources.snapshot(document, wanted.version, wanted.at, wanted.options)
        body = await sources.store.call(render, snapshot, wanted.options, sources.fonts)
        return file_name(snapshot, wanted.options), body

    return asyncio.run(made())


def _one(sources: Sources, document: DocumentId, args: argparse.Namespace) -> int:
    name, body = _export(sources, document, _request(args))
    if args.output is None:
        print(name, file=sys.stderr)
        sys.stdout.buffer.write(body)
        sys.stdout.buffer.flush()
        return 0
    target = Path(args.output)
    if target.is_dir():
        target = target / name
    target.write_bytes(body)
    print(target)
    return 0


def _all_versions(sources: Sources, document: DocumentId, args: argparse.Namespace) -> int:
    if args.output is None:
        raise InvalidInput("--all-versions writes one file per version: give -o DIR")
    if args.changes is not None:
        raise InvalidInput("--changes names one version: export the versions one by one")
    folder = Path(args.output)
    folder.mkdir(parents=True, exist_ok=True)
    numbers = [v.number for v in sources.versions.versions(document)]
    bar = ProgressBar(sys.stderr, "approved versions", verb="exporting")
    bar(0, len(numbers))
    for done, number in enumerate(numbers, start=1):
        name, body = _export(sources, document, _request(args, number))
        (folder / name).write_bytes(body)
        bar(done, len(numbers))
    bar.finish()
    print(f"{len(numbers)} versions exported to {folder}")
    return 0
