"""``palabre documents create|list``."""

from __future__ import annotations

import argparse

from palabre.server.bootstrap import Services
from palabre.server.cli.parsers import Commands


def add_parser(commands: Commands) -> None:
    documents = commands.add_parser("documents", help="create and list documents")
    actions = documents.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="create a document; prints its id")
    create.add_argument("title")
    actions.add_parser("list", help="one line per document: id, contributions, title")


def run(services: Services, args: argparse.Namespace) -> int:
    application = services.application
    if args.action == "create":
        print(application.create_document(args.title).id)
    else:
        for info in application.documents():
            print(f"{info.id}\t{info.contributions}\t{info.title}")
    return 0
