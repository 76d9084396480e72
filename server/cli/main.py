"""The ``palabre`` command's parser and dispatch table. Every command but ``serve`` runs
against the services :func:`~palabre.server.bootstrap.open_services` opens, and closes them."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from palabre.domain.errors import PalabreError
from palabre.server.bootstrap import Services, open_services
from palabre.server.cli import (
    audit,
    backup,
    documents,
    export,
    history,
    interviews,
    members,
    serve,
    suggestions,
    versions,
)
from palabre.server.settings import Settings

Command = Callable[[Services, argparse.Namespace], int]

COMMANDS: dict[str, Command] = {
    "documents": documents.run,
    "members": members.run,
    "versions": versions.run_versions,
    "projections": versions.run_projections,
    "verify": audit.run_verify,
    "audit": audit.run_audit,
    "history": history.run,
    "comments": history.run,
    "suggestions": suggestions.run,
    "export": export.run,
    "backup": backup.run_backup,
    "restore": backup.run_restore,
    "migrate": backup.run_migrate,
    "interviews": interviews.run_interviews,
    "sources": interviews.run_sources,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="palabre",
        description="Event-sourced collaborative editing of the référentiel commun. "
        "The store is PALABRE_DATABASE (default sqlite:///./palabre.sqlite3).",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve.add_parsers(commands)
    documents.add_parser(commands)
    members.add_parser(commands)
    versions.add_parsers(commands)
    audit.add_parsers(commands)
    history.add_parsers(commands)
    suggestions.add_parsers(commands)
    export.add_parsers(commands)
    backup.add_parsers(commands)
    interviews.add_parsers(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        if args.command == "serve":
            return serve.serve(settings, args.host, args.port)
        with open_services(settings) as services:
            return COMMANDS[args.command](services, args)
    except PalabreError as error:
        print(f"palabre: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C outside the server's own handling (which exits 0)
        print("palabre: interrupted", file=sys.stderr)
        return 130
