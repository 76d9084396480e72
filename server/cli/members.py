"""``palabre members add|invite``: members of the committee, and their invitation links."""

from __future__ import annotations

import argparse
import sys

from palabre.domain.errors import InvalidInput
from palabre.domain.ids import parse_id
from palabre.domain.roles import Country, Role
from palabre.server.bootstrap import Services
from palabre.server.cli.parsers import Commands
from palabre.server.links import DEFAULT_PUBLIC_URL, invitation_url


def add_parser(commands: Commands) -> None:
    members = commands.add_parser("members", help="add members and invite them")
    actions = members.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="add a member; prints their token, once")
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
    invite = actions.add_parser(
        "invite",
        help="a new invitation link for a member (signs them in to the web page); prints it",
    )
    invite.add_argument("member_id")
    invite.add_argument(
        "--document", help="the document to open (needed if the member has roles on several)"
    )


def run(services: Services, args: argparse.Namespace) -> int:
    if args.action == "add":
        return add(services, args)
    print(invite(services, args))
    return 0


def add(services: Services, args: argparse.Namespace) -> int:
    document = None if args.document is None else parse_id(args.document, "document id")
    issued = services.application.add_member(
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
    return 0


def invite(services: Services, args: argparse.Namespace) -> str:
    """The link, as the API answers it. Without PALABRE_PUBLIC_URL the link names the
    default local address."""
    application = services.application
    member = application.member(parse_id(args.member_id, "member id"))
    if args.document is not None:
        document_id = parse_id(args.document, "document id")
    else:
        scoped = [scope for scope in member.roles if scope != "*"]
        if len(scoped) != 1:
            raise InvalidInput(
                "the member has roles on several documents (or on every one): "
                "name one with --document"
            )
        document_id = parse_id(scoped[0], "document id")
    application.document(document_id)
    token = application.invite(document_id, member.id)
    base = services.settings.public_url or DEFAULT_PUBLIC_URL
    return invitation_url(base, document_id, token)
