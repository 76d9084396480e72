"""The ``palabre history …`` and ``palabre comments list`` commands: the same reads as the
HTTP API, against the configured store, for people auditing from a terminal."""

from __future__ import annotations

import argparse
import asyncio

from palabre.domain.errors import InvalidInput
from palabre.domain.ids import DocumentId, parse_id
from palabre.domain.times import parse_time
from palabre.server.answers.history import HistoryReports, diff_json, session_filter
from palabre.server.bootstrap import Services
from palabre.server.cli.parsers import Commands


def add_parsers(commands: Commands) -> None:
    history = commands.add_parser(
        "history", help="the text's history: any point, diffs, editing sessions, authorship"
    )
    actions = history.add_subparsers(dest="action", required=True)
    at = actions.add_parser("at", help="the Markdown at a position or a time")
    at.add_argument("document")
    when = at.add_mutually_exclusive_group(required=True)
    when.add_argument("--position", type=int, help="a number of contributions")
    when.add_argument("--time", help="an ISO-8601 time with its offset, e.g. 2026-10-14T10:00Z")
    diff = actions.add_parser("diff", help="the unified diff between two positions")
    diff.add_argument("document")
    diff.add_argument("old", type=int)
    diff.add_argument("new", type=int)
    sessions = actions.add_parser("sessions", help="editing sessions, one per line")
    sessions.add_argument("document")
    authorship = actions.add_parser("authorship", help="characters written per organisation")
    authorship.add_argument("document")
    authorship.add_argument("--at", type=int, help="a position (default: now)")
    comments = commands.add_parser("comments", help="read comment threads")
    comment_actions = comments.add_subparsers(dest="action", required=True)
    listing = comment_actions.add_parser("list", help="one line per thread")
    listing.add_argument("document")
    listing.add_argument("--status", choices=["open", "resolved"])


def run(services: Services, args: argparse.Namespace) -> int:
    application = services.application
    document = DocumentId(parse_id(args.document, "document id"))
    count = application.document(document).contributions
    if args.command == "comments":
        return _comments(services, document, args.status)
    reports = HistoryReports(application, services.history)
    if args.action == "at":
        position = (
            _position(args.position, count)
            if args.position is not None
            else application.position_at(document, parse_time(args.time, "--time"))
        )
        print(_text_at(services, document, position), end="")
    elif args.action == "diff":
        old, new = _position(args.old, count), _position(args.new, count)
        before, after = (_text_at(services, document, p) for p in (old, new))
        print(diff_json(old, new, before, after)["unified"], end="")
    elif args.action == "sessions":
        for s in reports.sessions_report(document, session_filter({})):
            print(
                f"{s['start']}\t{s['end']}\t{s['member']}\t{s['organisation']}\t"
                f"{s['country']}\t{s['contributions']}\t+{s['added']}\t-{s['removed']}\t"
                f"{' | '.join(s['sections'])}"
            )
    else:
        at = None if args.at is None else _position(args.at, count)
        shares = reports.authorship_report(document, at)["shares"]
        for organisation, chars in sorted(shares["organisations"].items()):
            print(f"{organisation}\t{chars}")
        countries = shares["countries"]
        print(f"FR {countries.get('FR', 0)}\tTG {countries.get('TG', 0)}")
    return 0


def _position(value: int, count: int) -> int:
    if not 0 <= value <= count:
        raise InvalidInput(f"position {value} is outside 0..{count}")
    return value


def _text_at(services: Services, document: DocumentId, position: int) -> str:
    return asyncio.run(services.texts.at(document, position))


def _comments(services: Services, document: DocumentId, status: str | None) -> int:
    threads = services.application.comments(document, status)
    ranges = asyncio.run(services.texts.locate(document, [t.anchor for t in threads]))
    for thread, where in zip(threads, ranges, strict=True):
        state = "detached" if where.detached else "anchored"
        quote = " ".join(thread.anchor.quote.split())[:60]
        print(
            f"{thread.id}\t{thread.status}\t{state}\t{len(thread.replies)} replies\t"
            f"{thread.anchor.section}\t{quote}"
        )
    return 0
