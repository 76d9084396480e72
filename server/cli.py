"""The ``palabre`` command. Each command prints its result alone on its last line."""

from __future__ import annotations

import argparse
import contextlib
import logging
import re
import sys
from collections.abc import Sequence
from typing import Any, BinaryIO

import uvicorn
from palabre.domain.application import PalabreApplication
from palabre.domain.errors import PalabreError
from palabre.domain.ids import parse_id
from palabre.domain.roles import Country, Role
from palabre.projections.audit_chain import AuditChain
from palabre.server import export_cli, history_cli
from palabre.server.app import create_app
from palabre.server.audit_http import audit_lines, open_audit
from palabre.server.events import EventHub
from palabre.server.history_index import open_history_index
from palabre.server.invitations_http import invite_command
from palabre.server.settings import Settings
from palabre.server.storage import Database, open_application
from palabre.server.versions import versions_command

TOKEN_IN_URL = re.compile(r"(token=)[^&\s\"']+")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="palabre",
        description="Event-sourced collaborative editing of the référentiel commun. "
        "The store is PALABRE_DATABASE (default sqlite:///./palabre.sqlite3).",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the HTTP and websocket service")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000, help="0 picks a free port")

    documents = commands.add_parser("documents", help="create and list documents")
    doc_commands = documents.add_subparsers(dest="action", required=True)
    create = doc_commands.add_parser("create", help="create a document; prints its id")
    create.add_argument("title")
    doc_commands.add_parser("list", help="one line per document: id, contributions, title")

    members = commands.add_parser("members", help="add members")
    member_commands = members.add_subparsers(dest="action", required=True)
    add = member_commands.add_parser("add", help="add a member; prints their token, once")
    add.add_argument("name")
    add.add_argument("--organisation", required=True)
    add.add_argument("--country", required=True, choices=[c.value for c in Country])
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument(
        "--document", help="the role holds on this document only (without it, on every document)"
    )
    add.add_argument(
        "--votes",
        action="store_true",
        help="the member may cast their organisation's vote (needs --document)",
    )
    add.add_argument(
        "--delegate",
        action="store_true",
        help="the organisation's voting delegate: only they vote for it (needs --votes)",
    )

    invite = member_commands.add_parser(
        "invite",
        help="a new invitation link for a member (signs them in to the web page); prints it",
    )
    invite.add_argument("member_id")
    invite.add_argument(
        "--document", help="the document to open (needed if the member has roles on several)"
    )

    versions = commands.add_parser("versions", help="read the approved versions of a document")
    version_commands = versions.add_subparsers(dest="action", required=True)
    listing = version_commands.add_parser(
        "list", help="one line per approved version: number, SHA-256, ok or MISMATCH, label"
    )
    listing.add_argument("document")
    show = version_commands.add_parser(
        "show", help="an approved version: its Markdown on stdout, its metadata on stderr"
    )
    show.add_argument("document")
    show.add_argument("number", type=int)

    projections = commands.add_parser("projections", help="maintain the read models")
    projection_commands = projections.add_subparsers(dest="action", required=True)
    projection_commands.add_parser(
        "rebuild", help="rebuild the approved versions from position zero; prints N versions"
    )

    verify = commands.add_parser(
        "verify",
        help="check the audit chain over the whole event log, then rebuild every approved "
        "version of a document from the events and check its hash; exit status 1 on any "
        "broken link or mismatch",
    )
    verify.add_argument("document")

    audit = commands.add_parser("audit", help="the tamper-evident audit trail")
    audit_commands = audit.add_subparsers(dest="action", required=True)
    export = audit_commands.add_parser(
        "export", help="a document's complete event history as JSON Lines, with chain hashes"
    )
    export.add_argument("document")
    export.add_argument("-o", "--output", help="write to this file instead of standard output")
    history_cli.add_parsers(commands)
    export_cli.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        if args.command == "serve":
            return serve(settings, args.host, args.port)
        return run_command(settings, args)
    except PalabreError as error:
        print(f"palabre: {error}", file=sys.stderr)
        return 2


def run_command(settings: Settings, args: argparse.Namespace) -> int:
    database = Database(settings.database)
    application = open_application(database)
    try:
        if args.command in ("history", "comments"):
            index = open_history_index(database, application, settings.checkpoint_every)
            try:
                return history_cli.run(application, index, args)
            finally:
                index.close()
        if args.command == "export":
            fonts = settings.export_fonts
            return export_cli.run(application, database, settings.checkpoint_every, args, fonts)
        if args.command == "documents" and args.action == "create":
            print(application.create_document(args.title).id)
        elif args.command == "documents" and args.action == "list":
            for info in application.documents():
                print(f"{info.id}\t{info.contributions}\t{info.title}")
        elif args.command == "members" and args.action == "add":
            document = None if args.document is None else parse_id(args.document, "document id")
            issued = application.add_member(
                args.name,
                args.organisation,
                Country.parse(args.country),
                Role.parse(args.role),
                document,
                votes=args.votes,
                delegate=args.delegate,
            )
            print(
                f"member {issued.member.id} ({issued.member.name}, "
                f"{issued.member.organisation.name}, {args.role}); token:",
                file=sys.stderr,
            )
            print(issued.token)
        elif args.command == "members" and args.action == "invite":
            print(invite_command(application, settings, args))
        elif args.command == "verify":
            return verify(application, Database(settings.database), args)
        elif args.command == "audit" and args.action == "export":
            return export_audit(application, Database(settings.database), args)
        elif args.command in ("versions", "projections"):
            return versions_command(application, Database(settings.database), args)
        return 0
    finally:
        application.close()


def verify(application: PalabreApplication, database: Database, args: argparse.Namespace) -> int:
    """The audit chain first (its lines come before the versions' summary, which stays the
    last line), then the approved versions; 1 if either is broken."""
    application.document(parse_id(args.document, "document id"))  # an unknown one: status 2
    audit = open_audit(database, application)
    try:
        chain_ok = verify_chain_command(audit)
    finally:
        audit.close()
    versions = versions_command(application, database, args)
    return versions if chain_ok else 1


def verify_chain_command(audit: AuditChain) -> bool:
    """Check the links stored so far; only an intact chain is extended with the events
    stored since the last catch-up."""
    report = audit.verify()
    if report.broken is not None:
        broken = report.broken
        print(f"chain\tBROKEN\tnotification {broken.notification_id}: {broken.problem}")
        print(f"MISMATCH: the audit chain breaks at notification {broken.notification_id}")
        return False
    linked = audit.catch_up()
    head = audit.head()
    print(
        f"chain\tok\t{report.checked} events match their links; {linked} newer events "
        f"linked now; head {head.link} at notification {head.position}"
    )
    return True


def export_audit(
    application: PalabreApplication, database: Database, args: argparse.Namespace
) -> int:
    """JSON Lines on standard output (or the file), streamed; the count on standard error."""
    audit = open_audit(database, application)
    try:
        lines = audit_lines(audit.history(parse_id(args.document, "document id")))
        with contextlib.ExitStack() as stack:
            out: BinaryIO = (
                stack.enter_context(open(args.output, "wb")) if args.output else sys.stdout.buffer
            )
            count = 0
            for line in lines:
                out.write(line)
                count += 1
        print(f"{count} events exported", file=sys.stderr)
        return 0
    finally:
        audit.close()


def serve(settings: Settings, host: str, port: int) -> int:
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for name in ("uvicorn.access", "uvicorn.error"):
        logging.getLogger(name).addFilter(RedactTokens())
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=settings.log_level,
        ws="websockets-sansio",
        # A little above our own limit, so that our named 4413 close is what clients see.
        ws_max_size=settings.max_message_bytes + 4096,
        ws_ping_interval=20,
        ws_ping_timeout=20,
        timeout_graceful_shutdown=30,
        lifespan="on",
    )
    _Server(config, app.state.events).run()
    return 0


class RedactTokens(logging.Filter):
    """Tokens travel in websocket URLs; keep them out of every log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(
                TOKEN_IN_URL.sub(r"\1***", a) if isinstance(a, str) else a
                for a in (record.args if isinstance(record.args, tuple) else (record.args,))
            )
        record.msg = TOKEN_IN_URL.sub(r"\1***", str(record.msg))
        return True


class _Server(uvicorn.Server):
    """uvicorn's server, announcing the bound address (useful with --port 0), and ending the
    event streams first at shutdown: they never finish by themselves, and uvicorn would wait
    its whole graceful timeout for them."""

    def __init__(self, config: uvicorn.Config, events: EventHub) -> None:
        super().__init__(config)
        self._events = events

    async def shutdown(self, sockets: Any = None) -> None:
        self._events.close()
        await super().shutdown(sockets)

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets)
        for server in self.servers:
            for sock in server.sockets:
                host, port = sock.getsockname()[:2]
                print(f"palabre listening on http://{host}:{port}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
