"""``palabre interviews list|show|add`` and ``palabre sources``: interviews as sources, and the
coverage of the text by them, from the configured store. The operator at the command line
reads every interview's notes (``show``); what the HTTP API answers, this prints."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

import orjson
from palabre.domain.errors import InvalidInput
from palabre.domain.ids import DocumentId, organisation_id_for, parse_id
from palabre.domain.interview_details import Details
from palabre.domain.shapes import Json
from palabre.server.answers.interviews import interview_answers
from palabre.server.answers.sources import sources_report
from palabre.server.bootstrap import Services
from palabre.server.cli.parsers import Commands


def add_parsers(commands: Commands) -> None:
    interviews = commands.add_parser("interviews", help="interviews, the sources of the text")
    actions = interviews.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="one line per interview")
    listing.add_argument("document")
    show = actions.add_parser("show", help="one interview as JSON, notes included")
    show.add_argument("document")
    show.add_argument("interview")
    add = actions.add_parser("add", help="record an interview; prints its id")
    add.add_argument("document")
    add.add_argument(
        "--organisation", action="append", required=True, help="an id or a name (repeat)"
    )
    add.add_argument("--date", required=True, help="YYYY-MM-DD")
    add.add_argument("--mode", required=True, choices=["on_site", "video", "phone"])
    add.add_argument("--led-by", action="append", required=True, help="a member id (repeat)")
    add.add_argument("--place", default="")
    add.add_argument("--summary", default="", help="Markdown")
    add.add_argument("--notes-file", help="a Markdown file holding the notes")
    add.add_argument("--quotable", action="store_true")
    add.add_argument(
        "--not-confidential", action="store_true", help="every member may read the notes"
    )
    sources = commands.add_parser(
        "sources", help="coverage and balance of sources, per section and per organisation"
    )
    sources.add_argument("document")


def run_interviews(services: Services, args: argparse.Namespace) -> int:
    document = DocumentId(parse_id(args.document, "document id"))
    services.application.document(document)  # an unknown document: status 2
    if args.action == "list":
        return _list(services, document)
    if args.action == "show":
        return _show(services, document, parse_id(args.interview, "interview id"))
    return _add(services, document, args)


def _answers(services: Services, document: DocumentId, interview: str | None = None) -> list[Json]:
    app = services.application
    records = (
        [app.interview(document, parse_id(interview, "interview id"))]
        if interview is not None
        else app.interviews(document)
    )
    readings = app.notes_for(document, records)  # the operator reads every one
    return asyncio.run(
        interview_answers(services.store, services.texts, document, records, readings)
    )


def _list(services: Services, document: DocumentId) -> int:
    for found in _answers(services, document):
        heard = ", ".join(f"{o['name']} ({o['country']})" for o in found["organisations"])
        attached = sum(not link["detached"] for link in found["links"])
        print(
            f"{found['id']}\t{found['date']}\t{found['mode']}\t{heard}\t"
            f"{attached}/{len(found['links'])} links\t"
            f"{'quotable' if found['quotable'] else 'not quotable'}\t"
            f"{'confidential' if found['confidential'] else 'open notes'}"
        )
    return 0


def _show(services: Services, document: DocumentId, interview: object) -> int:
    [found] = _answers(services, document, str(interview))
    sys.stdout.buffer.write(orjson.dumps(found, option=orjson.OPT_INDENT_2) + b"\n")
    return 0


def _add(services: Services, document: DocumentId, args: argparse.Namespace) -> int:
    organisations = [_organisation(services, name) for name in args.organisation]
    body: Json = {
        "organisation_ids": organisations,
        "date": args.date,
        "mode": args.mode,
        "led_by": args.led_by,
        "place": args.place,
        "summary": args.summary,
        "quotable": args.quotable,
        "confidential": not args.not_confidential,
    }
    notes = Path(args.notes_file).read_text(encoding="utf-8") if args.notes_file else None
    record = services.application.record_interview(document, Details.parse(body), notes)
    print(record.id)
    return 0


def _organisation(services: Services, given: str) -> str:
    """An organisation's id, from its id or its registered name."""
    try:
        return str(parse_id(given, "organisation"))
    except InvalidInput:
        return str(services.application.organisation(organisation_id_for(given)).id)


def run_sources(services: Services, args: argparse.Namespace) -> int:
    document = DocumentId(parse_id(args.document, "document id"))
    services.application.document(document)
    report = asyncio.run(sources_report(services.store, services.texts, document))
    for section in report["sections"]:
        heard = ", ".join(o["name"] for o in section["organisations"])
        countries = section["countries"]
        print(
            f"section\t{section['heading'] or '(préambule)'}\t"
            f"{len(section['interviews'])} interviews\t"
            f"FR {countries['FR']}\tTG {countries['TG']}\t{heard}"
        )
    for organisation in report["organisations"]:
        state = "interviewed" if organisation["interviewed"] else "not interviewed"
        where = " | ".join(organisation["sections"]) or "-"
        print(f"organisation\t{organisation['name']}\t{organisation['country']}\t{state}\t{where}")
    totals = report["countries"]
    print(f"FR {totals['FR']}\tTG {totals['TG']}")
    return 0
