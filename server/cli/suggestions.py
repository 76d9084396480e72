"""``palabre suggestions list|accept|reject``: suggestions from a terminal, against the
configured store, with the same rules as the HTTP API. The operator at the command line may
decide on any suggestion; an accepted one is written into the text at the end of the log,
credited to its suggester, and a server running on the same store shows it to its editors."""

from __future__ import annotations

import argparse
import asyncio

from palabre.domain.ids import DocumentId, parse_id
from palabre.domain.suggestion import STATUSES, SuggestionRecord
from palabre.server.bootstrap import Services
from palabre.server.cli.parsers import Commands
from palabre.server.suggestions import Located


def add_parsers(commands: Commands) -> None:
    suggestions = commands.add_parser("suggestions", help="list and decide suggestions")
    actions = suggestions.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="one line per suggestion")
    listing.add_argument("document")
    listing.add_argument("--status", choices=list(STATUSES))
    accept = actions.add_parser(
        "accept", help="write the replacement into the text, credited to the suggester"
    )
    accept.add_argument("document")
    accept.add_argument("suggestion")
    reject = actions.add_parser("reject", help="reject, with a reason")
    reject.add_argument("document")
    reject.add_argument("suggestion")
    reject.add_argument("--reason", required=True)


def run(services: Services, args: argparse.Namespace) -> int:
    document = DocumentId(parse_id(args.document, "document id"))
    desk = services.suggestions
    if args.action == "list":
        records = services.application.suggestions(document, args.status)
        located = asyncio.run(desk.locate(document, records))
        for record, where in zip(records, located, strict=True):
            print(line(services, record, where))
        return 0
    suggestion = parse_id(args.suggestion, "suggestion id")
    if args.action == "accept":
        record = asyncio.run(desk.accept(document, suggestion))
        print(f"accepted at position {record.position}")
    else:
        record = asyncio.run(desk.reject(document, suggestion, args.reason))
        print("rejected")
    return 0


def line(services: Services, record: SuggestionRecord, where: Located) -> str:
    """id, status, ``conflict`` or ``anchored`` (open ones; else ``-``), author, the start of
    the quote, the start of the replacement; tab-separated."""
    state = "-" if not record.is_open else "conflict" if where.range.detached else "anchored"
    author = services.application.member(record.author_id).name
    quote, replacement = (_start(t) for t in (record.passage.quote, record.passage.replacement))
    return f"{record.id}\t{record.status}\t{state}\t{author}\t{quote}\t{replacement}"


def _start(text: str) -> str:
    return " ".join(text.split())[:60]
