"""The permission matrix: every HTTP route and the websocket's actions against every kind of
caller, on a real server. Exactly the callers a row allows succeed; the others get the status
the README documents (401 without a valid token, 403 with a token that gives no such right).
Table-driven: a mounted route without a row fails ``test_every_route_has_a_row``.

Each row runs on a fresh world (two documents, their members, a meeting, a proposal, a
comment, an approved version), so a caller's success never changes what the next one meets.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from palabre.domain.contribution import NewContribution
from palabre.domain.ids import DocumentId
from palabre.domain.roles import Country, Role
from palabre.server.app import create_app
from palabre.server.bootstrap import open_services
from palabre.server.settings import Settings
from palabre.server.storage.database import Database, open_application
from pycrdt import Doc, Text
from starlette.routing import Route, WebSocketRoute
from websockets.asyncio.client import connect

from tests.support.live import closed_with, ws_url
from tests.support.server import ServerProcess

CALLERS = (
    "anonymous",
    "bad_token",
    "revoked",
    "observer",
    "commenter",
    "editor",
    "coordinator",
    "other_member",
    "other_coordinator",
    "admin",  # a coordinator of every document: the only one who creates documents
)
MEMBERS_OF_A = ("observer", "commenter", "editor", "coordinator", "admin")
EVERYONE = frozenset(CALLERS)
AUTHENTICATED = EVERYONE - {"anonymous", "bad_token", "revoked"}
READERS = frozenset(MEMBERS_OF_A)
WRITERS = frozenset({"commenter", "editor", "coordinator", "admin"})
COORDINATORS = frozenset({"coordinator", "admin"})
VOTERS = frozenset({"editor", "coordinator"})  # members with their organisation's vote
INTERVIEWERS = frozenset({"commenter"}) | COORDINATORS  # the world's interview: led by them
D = "/api/documents/{document_id}"
ASSET = sorted((Path(__file__).parents[1] / "server" / "static" / "assets").iterdir())[0].name


@dataclass(frozen=True)
class Row:
    method: str
    path: str  # the route's path
    allowed: frozenset[str]
    body: Any = None
    query: str = ""
    success: int = 200
    prepare: str = ""  # a change to the world before the request (see ``prepare``)


ROWS = [
    Row("GET", "/healthz", EVERYONE),
    Row("GET", "/readyz", EVERYONE),
    Row("GET", "/metrics", EVERYONE),
    Row("GET", "/openapi.json", EVERYONE),
    Row("GET", "/", EVERYONE),
    Row("GET", "/d/{document_id}", EVERYONE),
    Row("GET", "/assets/{name}", EVERYONE),
    Row("GET", "/sw.js", EVERYONE),
    Row("GET", "/api/documents", AUTHENTICATED),
    Row("POST", "/api/documents", frozenset({"admin"}), {"title": "Nouveau"}, success=201),
    Row("GET", D, READERS),
    Row("GET", D + "/text", READERS),
    Row("GET", D + "/me", READERS),
    Row("GET", "/api/organisations", AUTHENTICATED),
    Row(
        "POST",
        "/api/organisations",
        frozenset({"admin"}),
        {"name": "Neuve", "country": "TG"},
        success=201,
    ),
    Row("GET", D + "/organisations", READERS),
    Row("PUT", D + "/organisations/{organisation_id}", COORDINATORS, {"votes": True}),
    Row("GET", D + "/members", READERS),
    Row("POST", D + "/members", COORDINATORS, "new_member", success=201),
    Row("PATCH", D + "/members/{member_id}", COORDINATORS, {"role": "commenter"}),
    Row("DELETE", D + "/members/{member_id}", COORDINATORS),
    Row("POST", D + "/members/{member_id}/invitation", COORDINATORS, {}, success=201),
    Row("DELETE", D + "/members/{member_id}/invitation", COORDINATORS),
    Row("GET", D + "/rule", READERS),
    Row("PUT", D + "/rule", COORDINATORS, {"quorum": 0.5, "mode": "consent", "ballot": "open"}),
    Row("GET", D + "/meetings", READERS),
    Row("POST", D + "/meetings", COORDINATORS, "new_meeting", success=201, prepare="no_meeting"),
    Row("GET", D + "/meetings/{meeting_id}", READERS),
    Row("PUT", D + "/meetings/{meeting_id}/attendance", COORDINATORS, "attendance"),
    Row("POST", D + "/meetings/{meeting_id}/close", COORDINATORS, prepare="no_open_proposal"),
    Row("GET", D + "/meetings/{meeting_id}/minutes", READERS),
    Row("GET", D + "/proposals", READERS),
    Row("POST", D + "/proposals", COORDINATORS, {"label": "Encore"}, success=201),
    Row("GET", D + "/proposals/{proposal_id}", READERS),
    Row("POST", D + "/proposals/{proposal_id}/votes", VOTERS, {"vote": "approve"}, success=201),
    Row("POST", D + "/proposals/{proposal_id}/close", COORDINATORS),
    Row("GET", D + "/events", READERS, query="?probe=head"),
    Row("GET", D + "/versions", READERS),
    Row("GET", D + "/versions/{n}", READERS),
    Row("GET", D + "/versions/{n}/diff/{m}", READERS),
    Row("GET", D + "/audit", READERS),
    Row("GET", D + "/comments", READERS),
    Row("POST", D + "/comments", WRITERS, {"body": "Avis", "quote": "texte"}, success=201),
    Row("GET", D + "/comments/{comment_id}", READERS),
    Row("PATCH", D + "/comments/{comment_id}", frozenset({"commenter"}), {"body": "Corrigé"}),
    Row("POST", D + "/comments/{comment_id}/replies", WRITERS, {"body": "Oui"}, success=201),
    Row("POST", D + "/comments/{comment_id}/resolve", frozenset({"commenter"}) | COORDINATORS),
    Row(
        "POST",
        D + "/comments/{comment_id}/reopen",
        frozenset({"commenter"}) | COORDINATORS,
        prepare="resolved_comment",
    ),
    Row("GET", D + "/history/at", READERS, query="?position=1"),
    Row("GET", D + "/diff", READERS, query="?from=0&to=1"),
    Row("GET", D + "/authorship", READERS),
    Row("GET", D + "/history", READERS),
    Row("GET", D + "/export", READERS, query="?format=md"),
    Row("GET", D + "/versions/{n}/changes/{m}", READERS),
    Row("GET", D + "/proposals/{proposal_id}/changes", READERS),
    Row("GET", D + "/interviews", READERS),
    Row("POST", D + "/interviews", COORDINATORS, "new_interview", success=201),
    Row("GET", D + "/interviews/{interview_id}", READERS),
    Row("PATCH", D + "/interviews/{interview_id}", INTERVIEWERS, {"summary": "Revu"}),
    Row(
        "POST",
        D + "/interviews/{interview_id}/links",
        INTERVIEWERS | {"editor"},
        {"quote": "texte", "section": ""},
        success=201,
    ),
    Row("DELETE", D + "/interviews/{interview_id}/links/{link_id}", INTERVIEWERS | {"editor"}),
    Row("GET", D + "/sources", READERS),
    Row("GET", D + "/suggestions", READERS),
    Row(
        "POST",
        D + "/suggestions",
        WRITERS,
        {"quote": "commenter", "replacement": "relire", "reason": "Plus juste"},
        success=201,
    ),
    Row("GET", D + "/suggestions/{suggestion_id}", READERS),
    Row(
        "PATCH",
        D + "/suggestions/{suggestion_id}",
        frozenset({"commenter"}),  # its author
        {"quote": "texte", "replacement": "document"},
    ),
    Row("POST", D + "/suggestions/{suggestion_id}/replies", WRITERS, {"body": "Oui"}, success=201),
    # The passage's author (the coordinator wrote the text) or a coordinator decides.
    Row("POST", D + "/suggestions/{suggestion_id}/accept", COORDINATORS),
    Row("POST", D + "/suggestions/{suggestion_id}/reject", COORDINATORS, {"reason": "Non"}),
    Row("POST", D + "/suggestions/{suggestion_id}/withdraw", frozenset({"commenter"})),
    Row("GET", D + "/amendments", READERS),
    Row("POST", D + "/amendments", COORDINATORS, "new_amendments", success=201),
    Row("GET", D + "/amendments/{amendments_id}", READERS),
    Row(
        "POST",
        D + "/amendments/{amendments_id}/votes",
        VOTERS,
        "amendment_vote",
        success=201,
    ),
    Row("POST", D + "/amendments/{amendments_id}/close", COORDINATORS),
]


@dataclass
class World:
    """One row's fresh world on document A (document B is the other one)."""

    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)


def build_world(database_url: str, admin: str, base_url: str) -> World:
    """Documents and members written with the domain application, the committee's state
    through the HTTP API as the admin (a text, a version, an open meeting and proposal)."""
    world = World()
    app = open_application(Database(database_url))
    try:
        a, b = app.create_document("A"), app.create_document("B")
        world.ids["document_id"] = str(a.id)
        roles = {
            "observer": Role.OBSERVER,
            "commenter": Role.COMMENTER,
            "editor": Role.EDITOR,
            "coordinator": Role.COORDINATOR,
        }
        for name, role in roles.items():
            votes = name in VOTERS
            issued = app.add_member(name, f"Org {name}", Country.FR, role, a.id, votes=votes)
            world.tokens[name] = issued.token
            world.ids[f"{name}_id"] = str(issued.member.id)
        world.ids["organisation_id"] = str(app.member(issued.member.id).organisation.id)
        world.tokens["other_member"] = app.add_member(
            "autre", "Org B", Country.TG, Role.EDITOR, b.id
        ).token
        world.tokens["other_coordinator"] = app.add_member(
            "coord B", "Org B", Country.TG, Role.COORDINATOR, b.id
        ).token
        text: Doc[Text] = Doc()
        text.get("body", type=Text).insert(0, "Un texte à commenter.")
        typed = NewContribution(issued.member.id, "s", text.get_update(), 1)
        app.append_contributions(DocumentId(a.id), 0, [typed])
    finally:
        app.close()
    world.tokens["admin"] = admin
    world.tokens["bad_token"] = "plb_" + "x" * 43
    world.tokens["anonymous"] = ""
    asyncio.run(_committee(world, base_url))
    return world


async def _committee(world: World, base_url: str) -> None:
    document = f"/api/documents/{world.ids['document_id']}"
    as_admin = {"Authorization": f"Bearer {world.tokens['admin']}"}
    async with httpx.AsyncClient(base_url=base_url, headers=as_admin, timeout=30) as http:

        async def call(method: str, path: str, body: Any = None) -> Any:
            answer = await http.request(method, document + path, json=body)
            assert answer.status_code < 300, (path, answer.text)
            return answer.json()

        meeting = await call("POST", "/meetings", {"title": "Séance", "date": "2026-12-01"})
        for_version = await call("POST", "/proposals", {"label": "v1"})
        for voter in sorted(VOTERS):
            as_voter = {"Authorization": f"Bearer {world.tokens[voter]}"}
            vote = {"vote": "approve"}
            path = f"{document}/proposals/{for_version['id']}/votes"
            assert (await http.post(path, json=vote, headers=as_voter)).status_code == 201
        closed = await call("POST", f"/proposals/{for_version['id']}/close")
        assert closed["decision"] == "accepted", closed
        world.ids["proposal_id"] = (await call("POST", "/proposals", {"label": "v2"}))["id"]
        world.ids["meeting_id"] = meeting["id"]
        invited = world.ids["editor_id"]
        revoked = (await call("POST", f"/members/{invited}/invitation", {}))["url"]
        world.tokens["revoked"] = revoked.split("#invite=", 1)[1]
        await call("DELETE", f"/members/{invited}/invitation")
        commenter = {"Authorization": f"Bearer {world.tokens['commenter']}"}
        comment = await http.post(
            document + "/comments", json={"body": "Avis", "quote": "texte"}, headers=commenter
        )
        world.ids["comment_id"] = comment.json()["id"]
        interview = {
            "organisation_ids": [world.ids["organisation_id"]],
            "date": "2026-11-20",
            "mode": "on_site",
            "led_by": [world.ids["commenter_id"]],
        }
        world.ids["interview_id"] = (await call("POST", "/interviews", interview))["id"]
        editor = {"Authorization": f"Bearer {world.tokens['editor']}"}
        link = await http.post(
            f"{document}/interviews/{world.ids['interview_id']}/links",
            json={"quote": "texte", "section": ""},
            headers=editor,
        )
        assert link.status_code == 201, link.text
        world.ids["link_id"] = link.json()["id"]
        world.ids["member_id"] = world.ids["observer_id"]
        suggestion = {"quote": "texte", "replacement": "document", "reason": "Plus clair"}
        made = await http.post(document + "/suggestions", json=suggestion, headers=commenter)
        assert made.status_code == 201, made.text
        world.ids["suggestion_id"] = made.json()["id"]
        voted = {"quote": "Un", "replacement": "Ce", "reason": "Plus précis"}
        made = await http.post(document + "/suggestions", json=voted, headers=commenter)
        assert made.status_code == 201, made.text
        world.ids["voted_suggestion_id"] = made.json()["id"]
        amendments = await call("POST", "/amendments", {"suggestion_ids": [made.json()["id"]]})
        world.ids["amendments_id"] = amendments["id"]


def prepare(row: Row, world: World, base_url: str) -> None:
    """What a row needs first, done as the admin: no meeting open, no proposal or vote on
    amendments open, or the comment resolved."""
    document = f"{base_url}/api/documents/{world.ids['document_id']}"
    as_admin = {"Authorization": f"Bearer {world.tokens['admin']}"}
    steps = {
        "no_open_proposal": [
            f"/proposals/{world.ids['proposal_id']}/close",
            f"/amendments/{world.ids['amendments_id']}/close",
        ],
        "no_meeting": [
            f"/proposals/{world.ids['proposal_id']}/close",
            f"/amendments/{world.ids['amendments_id']}/close",
            f"/meetings/{world.ids['meeting_id']}/close",
        ],
        "resolved_comment": [f"/comments/{world.ids['comment_id']}/resolve"],
    }
    for step in steps.get(row.prepare, []):
        answer = httpx.post(document + step, headers=as_admin, timeout=30)
        assert answer.status_code == 200, (step, answer.text)


def request_of(row: Row, world: World, caller: str) -> tuple[str, str, Any]:
    ids = world.ids | {"n": "1", "m": "1", "name": ASSET}
    if "/invitation" in row.path:
        ids["member_id"] = ids["editor_id"]  # the member who was invited
    path = row.path.format(**ids)
    body = row.body
    if body == "new_member":
        body = {"name": f"Nouveau {caller}", "organisation_id": ids["organisation_id"]}
        body |= {"role": "editor", "votes": False, "delegate": False}
    elif body == "new_meeting":
        body = {"title": "Autre", "date": "2026-12-02"}
    elif body == "attendance":
        body = {"present": [ids["editor_id"]]}
    elif body == "new_amendments":
        body = {"suggestion_ids": [ids["suggestion_id"]]}
    elif body == "amendment_vote":
        body = {"suggestion_id": ids["voted_suggestion_id"], "vote": "approve"}
    elif body == "new_interview":
        body = {
            "organisation_ids": [ids["organisation_id"]],
            "date": "2026-11-20",
            "mode": "video",
            "led_by": [ids["coordinator_id"]],
        }
    method = "HEAD" if row.query == "?probe=head" else row.method
    query = "" if row.query == "?probe=head" else row.query
    return method, path + query, body


def expected(row: Row, caller: str) -> int:
    if caller in row.allowed:
        return row.success
    if caller in ("anonymous", "bad_token", "revoked"):
        return 401
    return 403


@dataclass(frozen=True)
class Matrix:
    """One server for the whole matrix (on SQLite: who may do what is decided above the
    store), its admin, and the world that reads and refused callers share."""

    server: ServerProcess
    database_url: str
    admin: str
    shared: World

    def fresh(self) -> World:
        return build_world(self.database_url, self.admin, self.server.base_url)


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    database_url = f"sqlite:///{tmp_path_factory.mktemp('matrix') / 'matrix.sqlite3'}"
    app = open_application(Database(database_url))
    try:
        admin = app.add_member("Admin", "Coordination", Country.TG, Role.COORDINATOR).token
    finally:
        app.close()
    env = {"PALABRE_AUTH_FAILURES_PER_MINUTE": "1000000"}  # bad tokens on purpose, often
    server = ServerProcess(database_url, env).start()
    try:
        yield Matrix(server, database_url, admin, build_world(database_url, admin, server.base_url))
    finally:
        server.kill()


def test_every_route_has_a_row(tmp_path: Path) -> None:
    with open_services(Settings(database=f"sqlite:///{tmp_path / 'routes.sqlite3'}")) as services:
        routes = create_app(services).routes
    mounted = {
        (method, route.path)
        for route in routes
        if isinstance(route, Route)
        for method in (route.methods or set()) - {"HEAD"}
    }
    assert mounted == {(row.method, row.path) for row in ROWS}
    assert [r.path for r in routes if isinstance(r, WebSocketRoute)] == ["/ws/{document_id}"]


@pytest.mark.parametrize("row", ROWS, ids=[f"{r.method} {r.path}" for r in ROWS])
def test_exactly_the_allowed_callers_succeed(row: Row, matrix: Matrix) -> None:
    found: dict[str, int] = {}
    # Those who may not go first, in the shared world; each allowed caller of a write gets a
    # fresh world, since a success changes what the next one would meet.
    for caller in sorted(CALLERS, key=lambda c: c in row.allowed):
        writes = row.method != "GET" and caller in row.allowed
        world = matrix.fresh() if writes else matrix.shared
        if writes:
            prepare(row, world, matrix.server.base_url)
        method, path, body = request_of(row, world, caller)
        token = world.tokens[caller]
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        answer = httpx.request(
            method, matrix.server.base_url + path, json=body, headers=headers, timeout=30
        )
        found[caller] = answer.status_code
    assert found == {caller: expected(row, caller) for caller in CALLERS}


WS_EXPECTED = {
    "anonymous": "4401",
    "bad_token": "4401",
    "revoked": "4401",
    "observer": "denied",
    "commenter": "denied",
    "editor": "stored",
    "coordinator": "stored",
    "admin": "stored",
    "other_member": "4403",
    "other_coordinator": "4403",
}


def test_the_websocket_lets_exactly_the_editors_write(matrix: Matrix) -> None:
    world = matrix.fresh()
    base_url = matrix.server.base_url
    found = {caller: asyncio.run(_write(base_url, world, caller)) for caller in CALLERS}
    assert found == WS_EXPECTED


async def _write(base_url: str, world: World, caller: str) -> str:
    """Join, type one word; 'stored', 'denied' (permission denied message), or the close."""
    document_id = world.ids["document_id"]
    doc: Doc[Text] = Doc()
    doc.get("body", type=Text).insert(0, f"[{caller}]")
    update = doc.get_update()
    frame = b"\x00\x02" + bytes([len(update)]) + update if len(update) < 128 else b""
    assert frame
    async with connect(ws_url(base_url, document_id, world.tokens[caller])) as ws:
        first = await asyncio.wait_for(ws.recv(), 10) if caller in MEMBERS_OF_A else None
        if first is None:
            code, _ = await closed_with(ws)
            return str(code)
        await ws.send(frame)
        if caller not in ("editor", "coordinator", "admin"):
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(10):
                    while True:
                        message = await ws.recv()
                        if isinstance(message, bytes) and message[:2] == b"\x02\x00":
                            return "denied"
            return "nothing"
    headers = {"Authorization": f"Bearer {world.tokens['admin']}"}
    async with httpx.AsyncClient(headers=headers) as http:
        for _ in range(100):
            text = (await http.get(f"{base_url}/api/documents/{document_id}/text")).text
            if f"[{caller}]" in text:
                return "stored"
            await asyncio.sleep(0.1)
    return "lost"
