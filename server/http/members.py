"""Organisations and members over HTTP: registering organisations, the organisations of a
document and their voting rights, and a document's members (add, change, remove).

Who may do what: organisations are registered by coordinators of every document; members of
a document are managed by its coordinators (checked here, since the command line adds members
as the operator); voting rights are checked by the domain. What changes is pushed live, and
connections closed, by the live channel from the stored events (``channel/relay.py``).
"""

from __future__ import annotations

from palabre.domain.application import MemberInfo, OrganisationInfo, PalabreApplication
from palabre.domain.errors import NotFound
from palabre.domain.ids import organisation_id_for, parse_id
from palabre.domain.roles import Country, Role
from palabre.domain.shapes import Json
from palabre.server.answers.committee import CommitteeView, organisation_json, removed_json
from palabre.server.http.plumbing import (
    Authenticated,
    JSONResponse,
    coordinated_document,
    flag_field,
    path_id,
    read_json,
    readable_document,
    require_global_coordinator,
    text_field,
)
from palabre.server.http.schema import Op, paths_of
from palabre.server.storage.store import Store
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

DOCUMENT = "/api/documents/{document_id}"
MEMBER = DOCUMENT + "/members/{member_id}"


class MembersApi:
    def __init__(self, store: Store) -> None:
        self._store = store

    @property
    def _app(self) -> PalabreApplication:
        return self._store.application

    def routes(self, endpoint: Authenticated) -> list[Route]:
        organisations = DOCUMENT + "/organisations"
        return [
            Route("/api/organisations", endpoint(self.list_organisations), methods=["GET"]),
            Route("/api/organisations", endpoint(self.create_organisation), methods=["POST"]),
            Route(organisations, endpoint(self.document_organisations), methods=["GET"]),
            Route(
                organisations + "/{organisation_id}",
                endpoint(self.set_organisation_voting),
                methods=["PUT"],
            ),
            Route(DOCUMENT + "/members", endpoint(self.list_members), methods=["GET"]),
            Route(DOCUMENT + "/members", endpoint(self.add_member), methods=["POST"]),
            Route(MEMBER, endpoint(self.change_member), methods=["PATCH"]),
            Route(MEMBER, endpoint(self.remove_member), methods=["DELETE"]),
        ]

    # Organisations ---------------------------------------------------------------------------

    async def list_organisations(self, request: Request, member: MemberInfo) -> Response:
        organisations = await self._store.call(self._app.organisations)
        return JSONResponse({"organisations": [organisation_json(o) for o in organisations]})

    async def create_organisation(self, request: Request, member: MemberInfo) -> Response:
        require_global_coordinator(member, "register organisations")
        body = await read_json(request)
        name, country = text_field(body, "name"), Country.parse(text_field(body, "country"))

        def register() -> tuple[OrganisationInfo, bool]:
            try:
                self._app.organisation(organisation_id_for(name))
                existed = True
            except NotFound:
                existed = False
            return self._app.register_organisation(name, country), not existed

        organisation, created = await self._store.call(register)
        return JSONResponse(organisation_json(organisation), 201 if created else 200)

    async def document_organisations(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        view = CommitteeView(self._app, document_id)
        listed = await self._store.call(view.organisations)
        return JSONResponse({"organisations": listed})

    async def set_organisation_voting(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        organisation_id = path_id(request, "organisation_id", "organisation id")
        votes = flag_field(await read_json(request), "votes")

        def command() -> Json:
            self._app.set_organisation_voting(document_id, organisation_id, votes)
            return CommitteeView(self._app, document_id).document_organisation(organisation_id)

        return JSONResponse(await self._store.call(command))

    # Members ---------------------------------------------------------------------------------

    async def list_members(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        members = await self._store.call(lambda: CommitteeView(self._app, document_id).members())
        return JSONResponse({"members": members})

    async def add_member(self, request: Request, member: MemberInfo) -> Response:
        document_id = await coordinated_document(self._store, request, member, MANAGE)
        body = await read_json(request)
        name, role = text_field(body, "name"), Role.parse(text_field(body, "role"))
        organisation_id = parse_id(text_field(body, "organisation_id"), "organisation id")
        votes, delegate = flag_field(body, "votes", False), flag_field(body, "delegate", False)

        def command() -> tuple[Json, str]:
            issued = self._app.add_member_to(
                document_id, name, organisation_id, role, votes, delegate
            )
            return CommitteeView(self._app, document_id).member(issued.member), issued.token

        answer, token = await self._store.call(command)
        return JSONResponse({**answer, "token": token}, 201)

    async def change_member(self, request: Request, member: MemberInfo) -> Response:
        document_id = await coordinated_document(self._store, request, member, MANAGE)
        member_id = path_id(request, "member_id", "member id")
        body = await read_json(request)
        new_role = Role.parse(text_field(body, "role")) if "role" in body else None
        new_votes = flag_field(body, "votes") if "votes" in body else None

        def command() -> Json:
            """Fields left out keep their current value."""
            before = self._app.member(member_id)
            role = new_role or before.role_on(document_id)
            if role is None:
                raise NotFound(f"member {member_id} has no role on this document")
            votes = before.votes_on(document_id) if new_votes is None else new_votes
            after = self._app.change_role(document_id, member_id, role, votes)
            return CommitteeView(self._app, document_id).member(after)

        return JSONResponse(await self._store.call(command))

    async def remove_member(self, request: Request, member: MemberInfo) -> Response:
        document_id = await coordinated_document(self._store, request, member, MANAGE)
        member_id = path_id(request, "member_id", "member id")
        removed = await self._store.call(self._app.remove_member, document_id, member_id)
        return JSONResponse(removed_json(removed, document_id))


MANAGE = "manage its members"


OPERATIONS = (
    Op("GET", "/api/organisations", "Every organisation", "Organisations"),
    Op(
        "POST",
        "/api/organisations",
        "Register an organisation (coordinators of every document); 200 if it exists already",
        "Organisation",
        body="NewOrganisation",
        status=201,
        also=(200,),
    ),
    Op("GET", DOCUMENT + "/organisations", "Organisations with members or a vote here", "DocOrgs"),
    Op(
        "PUT",
        DOCUMENT + "/organisations/{organisation_id}",
        "Give or take an organisation's vote on this document",
        "DocOrg",
        body="VotingRight",
    ),
    Op("GET", DOCUMENT + "/members", "Members with a role on this document", "Members"),
    Op(
        "POST",
        DOCUMENT + "/members",
        "Add a member; the token is shown once",
        "IssuedMember",
        body="NewMember",
        status=201,
    ),
    Op(
        "PATCH",
        DOCUMENT + "/members/{member_id}",
        "Change a member's role or vote (left-out fields stay); a new role closes their "
        "live connections with 4205",
        "Member",
        body="MemberChange",
    ),
    Op(
        "DELETE",
        DOCUMENT + "/members/{member_id}",
        "Remove a member's role here; their live connections close with 4403",
        "RemovedMember",
    ),
)


def openapi_paths() -> Json:
    """This resource's path items, for ``openapi.py`` to merge."""
    return paths_of(OPERATIONS)
