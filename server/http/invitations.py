"""Invitation links over HTTP (``server/links.py`` says what a link is): a coordinator asks
for a member's link, or revokes them; and ``GET .../me``, who a token signs in as."""

from __future__ import annotations

from palabre.domain.application import MemberInfo
from palabre.domain.shapes import Json
from palabre.server.http.plumbing import Authenticated, JSONResponse, path_id, readable_document
from palabre.server.http.schema import (
    BOOLEAN,
    COUNTRY,
    ID,
    INTEGER,
    READS,
    STRING,
    changes,
    enum,
    json_answer,
    obj,
    operation,
    path_item,
)
from palabre.server.links import invitation_url
from palabre.server.storage.store import Store
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

INVITATION = "/api/documents/{document_id}/members/{member_id}/invitation"
ME = "/api/documents/{document_id}/me"


class InvitationsApi:
    def __init__(self, store: Store, public_url: str) -> None:
        """``public_url``: PALABRE_PUBLIC_URL; empty: the address the request came to."""
        self._store = store
        self._public_url = public_url

    def routes(self, endpoint: Authenticated) -> list[Route]:
        return [
            Route(INVITATION, endpoint(self.invite), methods=["POST"]),
            Route(INVITATION, endpoint(self.revoke), methods=["DELETE"]),
            Route(ME, endpoint(self.me), methods=["GET"]),
        ]

    async def invite(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        member_id = path_id(request, "member_id", "member id")
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
        member_id = path_id(request, "member_id", "member id")
        count = await self._store.call(
            self._store.application.revoke_invitations, document_id, member_id
        )
        return JSONResponse({"member_id": member_id, "revoked": count})


def openapi_paths() -> Json:
    """Path items for ``openapi.py`` to merge."""
    me = {
        "id": ID,
        "name": STRING,
        "organisation_id": ID,
        "organisation": STRING,
        "country": COUNTRY,
        "role": enum("coordinator", "editor", "commenter", "observer"),
        "votes": BOOLEAN,
    }
    who = operation(
        "The member the token signs in as, with their role and vote here",
        json_answer(obj(me)),
        failures=READS,
    )
    invite = operation(
        "A new invitation link for the member (coordinators): it signs them in; the secret "
        "is in the URL's fragment",
        json_answer(obj({"url": STRING})),
        status=201,
        failures=changes(body=False),
    )
    revoke = operation(
        "Revoke every invitation link of the member on this document (coordinators)",
        json_answer(obj({"member_id": ID, "revoked": INTEGER})),
        failures=changes(body=False),
    )
    return path_item(ME, get=who) | path_item(INVITATION, post=invite, delete=revoke)
