"""Invitation links over HTTP: a coordinator asks for a member's link, or revokes them.

The link is ``{PALABRE_PUBLIC_URL}/d/{document_id}#invite={token}``: the token travels in the
fragment, which browsers never send to the server, so it stays out of every access log; the
page moves it into the browser's storage and removes it from the address bar."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from palabre.domain.application import MemberInfo, PalabreApplication
from palabre.domain.errors import InvalidInput
from palabre.domain.ids import parse_id
from palabre.server.http import Api, JSONResponse, readable_document
from palabre.server.settings import Settings
from palabre.server.store import Store
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

Json = dict[str, Any]
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
INVITATION = "/api/documents/{document_id}/members/{member_id}/invitation"
ME = "/api/documents/{document_id}/me"


def invitation_url(base_url: str, document_id: UUID, token: str) -> str:
    return f"{base_url.rstrip('/')}/d/{document_id}#invite={token}"


def invitation_routes(api: Api, store: Store, settings: Settings) -> list[Route]:
    handlers = InvitationsApi(store, settings)
    return [
        Route(INVITATION, api.endpoint(handlers.invite), methods=["POST"]),
        Route(INVITATION, api.endpoint(handlers.revoke), methods=["DELETE"]),
        Route(ME, api.endpoint(handlers.me), methods=["GET"]),
    ]


class InvitationsApi:
    def __init__(self, store: Store, settings: Settings) -> None:
        self._store = store
        self._public_url = settings.public_url

    async def invite(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        member_id = parse_id(request.path_params["member_id"], "member id")
        token = await self._store.call(self._store.application.invite, document_id, member_id)
        base = self._public_url or str(request.base_url)
        return JSONResponse({"url": invitation_url(base, document_id, token)}, 201)

    async def me(self, request: Request, member: MemberInfo) -> Response:
        """Who the token signs in as, and their role here: the page shows it and sets the
        editor read-only for observers and commenters."""
        document_id = await readable_document(self._store, request, member)
        role = member.role_on(document_id)
        return JSONResponse(
            {
                "id": member.id,
                "name": member.name,
                "organisation_id": member.organisation.id,
                "organisation": member.organisation.name,
                "country": member.organisation.country.value,
                "role": None if role is None else role.value,
                "votes": member.votes_on(document_id),
            }
        )

    async def revoke(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        member_id = parse_id(request.path_params["member_id"], "member id")
        count = await self._store.call(
            self._store.application.revoke_invitations, document_id, member_id
        )
        return JSONResponse({"member_id": member_id, "revoked": count})


def openapi_paths() -> Json:
    """The path item for ``server/openapi.py`` to merge."""
    uuid = {"type": "string", "format": "uuid"}
    errors = {str(code): {"$ref": f"#/components/responses/E{code}"} for code in (401, 403, 404)}
    errors["400"] = {"$ref": "#/components/responses/E400"}
    errors["409"] = {"$ref": "#/components/responses/E409"}

    def answer(properties: Json) -> Json:
        schema = {"type": "object", "properties": properties, "required": list(properties)}
        return {"description": "JSON", "content": {"application/json": {"schema": schema}}}

    me = {
        "id": uuid,
        "name": {"type": "string"},
        "organisation_id": uuid,
        "organisation": {"type": "string"},
        "country": {"type": "string", "enum": ["FR", "TG"]},
        "role": {"type": "string", "enum": ["coordinator", "editor", "commenter", "observer"]},
        "votes": {"type": "boolean"},
    }
    reads = {k: v for k, v in errors.items() if k in ("400", "401", "403", "404")}
    return {
        ME: {
            "parameters": [{"name": "document_id", "in": "path", "required": True, "schema": uuid}],
            "get": {
                "summary": "The member the token signs in as, with their role and vote here",
                "responses": {"200": answer(me)} | reads,
            },
        },
        INVITATION: {
            "parameters": [
                {"name": name, "in": "path", "required": True, "schema": uuid}
                for name in ("document_id", "member_id")
            ],
            "post": {
                "summary": "A new invitation link for the member (coordinators): it signs "
                "them in; the secret is in the URL's fragment",
                "responses": {"201": answer({"url": {"type": "string"}})} | errors,
            },
            "delete": {
                "summary": "Revoke every invitation link of the member on this document "
                "(coordinators)",
                "responses": {"200": answer({"member_id": uuid, "revoked": {"type": "integer"}})}
                | errors,
            },
        },
    }


def invite_command(application: PalabreApplication, settings: Settings, args: Any) -> str:
    """``palabre members invite MEMBER_ID [--document ID]``: the link, as the API answers it.
    Without PALABRE_PUBLIC_URL the link names the default local address."""
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
    return invitation_url(settings.public_url or DEFAULT_PUBLIC_URL, document_id, token)
