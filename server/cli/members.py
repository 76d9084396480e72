"""``palabre members add|list|invite``: members of the committee, and their invitation links.

Each command is one call to the application (one transaction for ``add`` and ``invite``): a
crash before it commits leaves nothing behind, after it the member or link is stored whole.
``invite`` prints a link whose token is stored only as its hash; a link lost on the way is
replaced by running the command again (the old one keeps working until revoked)."""

from __future__ import annotations

import argparse
import sys
from uuid import UUID

from palabre.domain.application import MemberInfo, PalabreApplication
from palabre.domain.errors import InvalidInput
from palabre.domain.ids import parse_id
from palabre.domain.member import EVERY_DOCUMENT
from palabre.domain.roles import Country, Role
from palabre.server.bootstrap import Services
from palabre.server.cli.parsers import Commands
from palabre.server.links import DEFAULT_PUBLIC_URL, invitation_url


def add_parser(commands: Commands) -> None:
    members = commands.add_parser("members", help="add, list and invite members")
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
    listing = actions.add_parser(
        "list", help="one line per member: id, name, organisation, country, role(s)"
    )
    listing.add_argument("--document", help="only the members with a role on this document")
    invite = actions.add_parser(
        "invite",
        help="a new invitation link for a member (signs them in to the web page); prints it",
    )
    invite.add_argument("member_id")
    invite.add_argument(
        "--document",
        help="the document to open (needed if the member may open several: the error lists them)",
    )


def run(services: Services, args: argparse.Namespace) -> int:
    if args.action == "add":
        return add(services, args)
    if args.action == "list":
        return list_members(services, args)
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


def list_members(services: Services, args: argparse.Namespace) -> int:
    application = services.application
    if args.document is None:
        document = None
        members = application.all_members()
    else:
        document = parse_id(args.document, "document id")
        members = application.members(document)
    for member in members:
        organisation = member.organisation
        print(
            f"{member.id}\t{member.name}\t{organisation.name}\t{organisation.country.value}\t"
            f"{roles_of(member, document)}"
        )
    return 0


def roles_of(member: MemberInfo, document: UUID | None) -> str:
    """``editor`` for a role on ``document`` itself, ``coordinator on every document`` for one
    that holds everywhere; without a document, every role the member has, with its scope."""
    if document is None:
        return ", ".join(_scoped(role, scope) for scope, role in member.roles.items())
    own = member.roles.get(str(document))
    return own.value if own is not None else _scoped(member.roles[EVERY_DOCUMENT], EVERY_DOCUMENT)


def _scoped(role: Role, scope: str) -> str:
    return f"{role.value} on " + ("every document" if scope == EVERY_DOCUMENT else scope)


def invite(services: Services, args: argparse.Namespace) -> str:
    """The link, as the API answers it. Without PALABRE_PUBLIC_URL the link names the
    default local address."""
    application = services.application
    member = application.member(parse_id(args.member_id, "member id"))
    if args.document is not None:
        document_id = parse_id(args.document, "document id")
        application.document(document_id)
    else:
        document_id = only_document(application, member)
    token = application.invite(document_id, member.id)
    base = services.settings.public_url or DEFAULT_PUBLIC_URL
    return invitation_url(base, document_id, token)


def only_document(application: PalabreApplication, member: MemberInfo) -> UUID:
    """The one document the member may open; otherwise InvalidInput saying why, listing the
    documents (id and title) when there are several, so that the next command is plain."""
    every = application.documents()
    documents = [d for d in every if member.role_on(d.id) is not None]
    if len(documents) == 1:
        return documents[0].id
    if not every:
        raise InvalidInput("there is no document yet: create one with palabre documents create")
    if not documents:
        raise InvalidInput(f"member {member.id} has no role on any document")
    listed = "".join(f"\n  {d.id}\t{d.title}" for d in documents)
    raise InvalidInput(
        f"the member may open {len(documents)} documents: name one with --document{listed}"
    )
