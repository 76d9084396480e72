"""The OpenAPI description is part of the interface: every mounted route is described with its
methods and every description is mounted, every reference resolves, and the answers of a real
server match the described shapes field for field (an undescribed field fails too)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import orjson
import pytest
from palabre.server.app import create_app
from palabre.server.bootstrap import open_services
from palabre.server.http.openapi import openapi_document
from palabre.server.settings import Settings
from starlette.applications import Starlette
from starlette.routing import Route, WebSocketRoute

from tests.conftest import Seed
from tests.support.server import ServerProcess
from tests.test_suggestions_http import typed

Json = dict[str, Any]
METHODS = {"get", "put", "post", "delete", "patch"}


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Starlette]:
    with open_services(Settings(database=f"sqlite:///{tmp_path / 'openapi.sqlite3'}")) as services:
        yield create_app(services)


async def test_the_served_description_is_openapi_3_1(app: Starlette) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://palabre") as http:
        response = await http.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    document = orjson.loads(response.content)
    assert document["openapi"] == "3.1.0"
    assert document["info"]["title"] == "Palabre"
    assert document == orjson.loads(orjson.dumps(openapi_document()))


def test_every_route_is_described_and_every_description_is_mounted(app: Starlette) -> None:
    mounted = set()
    for route in app.routes:
        if isinstance(route, WebSocketRoute):
            continue
        assert isinstance(route, Route)
        mounted |= {(m.lower(), route.path) for m in (route.methods or set()) - {"HEAD"}}
    described = {
        (method, path)
        for path, item in openapi_document()["paths"].items()
        for method in item
        if method in METHODS
    }
    assert sorted(mounted - described) == [], "mounted but not described"
    assert sorted(described - mounted) == [], "described but not mounted"


def test_every_reference_resolves_and_every_path_parameter_is_declared() -> None:
    document = openapi_document()
    for reference in _references(document):
        assert _resolve(document, reference) is not None, reference
    for path, item in document["paths"].items():
        declared = {p["name"] for p in item.get("parameters", []) if p["in"] == "path"}
        assert declared == set(re.findall(r"{(\w+)}", path)), path
        for method in set(item) & METHODS:
            operation = item[method]
            assert operation["summary"]
            assert any(code.startswith("2") for code in operation["responses"]), (method, path)


# Real answers against the described shapes -------------------------------------------------


@dataclass
class Checked:
    """An HTTP client whose every answer is checked against the description."""

    http: httpx.AsyncClient
    document: Json

    async def call(
        self, method: str, template: str, body: Json | None = None, **params: str
    ) -> Any:
        response = await self.http.request(method, template.format(**params), json=body)
        operation = self.document["paths"][template][method.lower()]
        described = operation["responses"].get(str(response.status_code))
        assert described is not None, f"{method} {template}: undescribed {response.status_code}"
        response_object = _deref(self.document, described)
        [(media_type, content)] = response_object["content"].items()
        assert response.headers["content-type"] == media_type, (method, template)
        if media_type != "application/json":
            return response.text
        value = response.json()
        conform(self.document, value, content["schema"], f"{method} {template}")
        return value


@pytest.fixture
async def checked(server: ServerProcess, seed: Seed) -> AsyncIterator[Checked]:
    headers = {"Authorization": f"Bearer {seed.coordinator}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
        yield Checked(http, openapi_document())


async def test_answers_match_the_described_shapes(checked: Checked, seed: Seed) -> None:
    call, d = checked.call, "/api/documents/{document_id}"
    doc = seed.document_id
    await call("GET", "/healthz")
    await call("GET", "/readyz")
    assert "palabre_connections" in await call("GET", "/metrics")
    await call("GET", "/api/documents")
    await call("GET", d, document_id=doc)
    await call("GET", d + "/text", document_id=doc)
    created = await call("POST", "/api/documents", {"title": "Compte rendu"})
    assert (await call("GET", d, document_id=created["id"]))["title"] == "Compte rendu"
    await call("GET", d, document_id=str(UUID(int=1)))  # 404, as described
    organisation = await call("POST", "/api/organisations", {"name": "Université", "country": "FR"})
    await call("GET", "/api/organisations")
    body = {
        "name": "Maëlle",
        "organisation_id": organisation["id"],
        "role": "editor",
        "votes": True,
    }
    member = await call("POST", d + "/members", body, document_id=doc)
    await call("GET", d + "/members", document_id=doc)
    await call("GET", d + "/organisations", document_id=doc)
    org_path = d + "/organisations/{organisation_id}"
    await call(
        "PUT", org_path, {"votes": True}, document_id=doc, organisation_id=organisation["id"]
    )
    await call("PUT", d + "/rule", {"quorum": 0.5, "ballot": "secret"}, document_id=doc)
    await call("GET", d + "/rule", document_id=doc)
    meeting = await call(
        "POST", d + "/meetings", {"title": "Séance", "date": "2026-11-23"}, document_id=doc
    )
    m = d + "/meetings/{meeting_id}"
    await call(
        "PUT",
        m + "/attendance",
        {"present": [member["id"]]},
        document_id=doc,
        meeting_id=meeting["id"],
    )
    proposal = await call("POST", d + "/proposals", {"label": "Texte"}, document_id=doc)
    p = d + "/proposals/{proposal_id}"
    headers = {"Authorization": f"Bearer {member['token']}"}
    vote = await checked.http.post(
        (p + "/votes").format(document_id=doc, proposal_id=proposal["id"]),
        json={"vote": "object", "reason": "Pas prêt."},
        headers=headers,
    )
    conform(checked.document, vote.json(), {"$ref": "#/components/schemas/CastVote"}, "vote")
    secret = await call("GET", p, document_id=doc, proposal_id=proposal["id"])
    assert "vote" not in secret["votes"][0]
    await call(
        "POST", p + "/votes", {"vote": "approve"}, document_id=doc, proposal_id=proposal["id"]
    )  # 403
    await call("GET", d + "/proposals", document_id=doc)
    await call("POST", p + "/close", document_id=doc, proposal_id=proposal["id"])
    await call("POST", p + "/close", document_id=doc, proposal_id=proposal["id"])  # 409
    await call("GET", m, document_id=doc, meeting_id=meeting["id"])
    await call("GET", d + "/meetings", document_id=doc)
    await call("POST", m + "/close", document_id=doc, meeting_id=meeting["id"])
    assert "Séance" in await call("GET", m + "/minutes", document_id=doc, meeting_id=meeting["id"])
    changed = {"role": "observer"}
    await call(
        "PATCH", d + "/members/{member_id}", changed, document_id=doc, member_id=member["id"]
    )
    await call("DELETE", d + "/members/{member_id}", document_id=doc, member_id=member["id"])
    await call("POST", d + "/meetings", {"title": ""}, document_id=doc)  # 400


async def test_version_answers_match_the_described_shapes(checked: Checked, seed: Seed) -> None:
    call, d, doc = checked.call, "/api/documents/{document_id}", seed.document_id
    organisation = await call("POST", "/api/organisations", {"name": "Université", "country": "FR"})
    body = {
        "name": "Maëlle",
        "organisation_id": organisation["id"],
        "role": "editor",
        "votes": True,
    }
    member = await call("POST", d + "/members", body, document_id=doc)
    proposal = await call("POST", d + "/proposals", {"label": "Texte"}, document_id=doc)
    headers = {"Authorization": f"Bearer {member['token']}"}
    path = f"/api/documents/{doc}/proposals/{proposal['id']}/votes"
    assert (await checked.http.post(path, json={"vote": "approve"}, headers=headers)).is_success
    p = d + "/proposals/{proposal_id}"
    assert (await call("POST", p + "/close", document_id=doc, proposal_id=proposal["id"]))[
        "version"
    ] == 1
    versions = await call("GET", d + "/versions", document_id=doc)
    assert [v["number"] for v in versions["versions"]] == [1]
    version = await call("GET", d + "/versions/{n}", document_id=doc, n="1")
    assert version["sha256"] == proposal["sha256"]
    await call("GET", d + "/versions/{n}/diff/{m}", document_id=doc, n="1", m="1")
    await call("GET", d + "/versions/{n}", document_id=doc, n="2")  # 404


async def test_suggestion_and_amendment_answers_match_the_described_shapes(
    checked: Checked, server: ServerProcess, seed: Seed
) -> None:
    call, d, doc = checked.call, "/api/documents/{document_id}", seed.document_id
    await typed(server, seed, "Relier les acteurs en Bretagne et au Togo.")
    s, v = d + "/suggestions/{suggestion_id}", d + "/amendments/{amendments_id}"

    async def suggest(quote: str, replacement: str) -> str:
        body = {"quote": quote, "replacement": replacement, "reason": "Plus clair"}
        return str((await call("POST", d + "/suggestions", body, document_id=doc))["id"])

    first, second, third, fourth = [
        await suggest(q, r)
        for q, r in [("Relier", "Unir"), ("les", ""), ("Togo", "TG"), ("en", "à")]
    ]
    await call(
        "PATCH",
        s,
        {"quote": "Relier", "replacement": "Réunir"},
        document_id=doc,
        suggestion_id=first,
    )
    await call("POST", s + "/replies", {"body": "Oui"}, document_id=doc, suggestion_id=first)
    await call("POST", s + "/accept", document_id=doc, suggestion_id=first)
    await call("POST", s + "/accept", document_id=doc, suggestion_id=first)  # 409
    await call("POST", s + "/reject", {"reason": "Non"}, document_id=doc, suggestion_id=second)
    await call("POST", s + "/withdraw", document_id=doc, suggestion_id=third)
    await call("GET", s, document_id=doc, suggestion_id=str(UUID(int=1)))  # 404
    assert len((await call("GET", d + "/suggestions", document_id=doc))["suggestions"]) == 4

    organisation = await call("POST", "/api/organisations", {"name": "FONGTO", "country": "TG"})
    voter = {"name": "Afi", "organisation_id": organisation["id"], "role": "editor", "votes": True}
    member = await call("POST", d + "/members", voter, document_id=doc)
    await call("POST", d + "/meetings", {"title": "Séance", "date": "2026-11-23"}, document_id=doc)
    vote = await call("POST", d + "/amendments", {"suggestion_ids": [fourth]}, document_id=doc)
    cast = {"suggestion_id": fourth, "vote": "approve"}
    path = f"/api/documents/{doc}/amendments/{vote['id']}/votes"
    answer = await checked.http.post(
        path, json=cast, headers={"Authorization": f"Bearer {member['token']}"}
    )
    conform(
        checked.document, answer.json(), {"$ref": "#/components/schemas/AmendmentsVote"}, "vote"
    )
    closed = await call("POST", v + "/close", document_id=doc, amendments_id=vote["id"])
    assert [a["status"] for a in closed["amendments"]] == ["accepted"]
    await call("GET", v, document_id=doc, amendments_id=vote["id"])
    await call("GET", d + "/amendments", document_id=doc)
    await call("POST", d + "/amendments", {"suggestion_ids": []}, document_id=doc)  # 400


# A small JSON Schema check, for the subset the description uses ------------------------------


def conform(document: Json, value: Any, schema: Json, where: str) -> None:
    """Raise AssertionError naming the place where ``value`` breaks ``schema``. Objects must
    not carry fields the schema does not name (unless it gives additionalProperties)."""
    schema = _deref(document, schema)
    if "oneOf" in schema:
        matches = sum(_conforms(document, value, option, where) for option in schema["oneOf"])
        assert matches == 1, f"{where}: {value!r} matches {matches} of oneOf"
        return
    _check_scalar(value, schema, where)
    if isinstance(value, dict) and ("properties" in schema or "additionalProperties" in schema):
        _check_object(document, value, schema, where)
    elif isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            conform(document, item, schema["items"], f"{where}[{index}]")


def _conforms(document: Json, value: Any, schema: Json, where: str) -> bool:
    try:
        conform(document, value, schema, where)
    except AssertionError:
        return False
    return True


TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "null": (type(None),),
}
FORMATS: dict[str, Callable[[str], object]] = {
    "uuid": UUID,
    "date": date.fromisoformat,
    "date-time": datetime.fromisoformat,
}


def _check_scalar(value: Any, schema: Json, where: str) -> None:
    if "type" in schema:
        # bool is an int in Python, not in JSON
        python_type = bool if isinstance(value, bool) else type(value)
        allowed = TYPES[schema["type"]]
        assert python_type in allowed or (python_type is not bool and isinstance(value, allowed)), (
            f"{where}: {value!r} is not {schema['type']}"
        )
    if "enum" in schema:
        assert value in schema["enum"], f"{where}: {value!r} not in {schema['enum']}"
    if "pattern" in schema:
        assert re.search(schema["pattern"], value), f"{where}: {value!r} !~ {schema['pattern']}"
    if "format" in schema and schema["format"] in FORMATS:
        FORMATS[schema["format"]](value)


def _check_object(document: Json, value: Json, schema: Json, where: str) -> None:
    properties = schema.get("properties", {})
    for name in schema.get("required", []):
        assert name in value, f"{where}: missing {name!r}"
    extra = schema.get("additionalProperties")
    for name, item in value.items():
        if name in properties:
            conform(document, item, properties[name], f"{where}.{name}")
        elif isinstance(extra, dict):
            conform(document, item, extra, f"{where}.{name}")
        else:
            raise AssertionError(f"{where}: undescribed field {name!r}")


def _deref(document: Json, node: Json) -> Json:
    while "$ref" in node:
        resolved = _resolve(document, node["$ref"])
        assert resolved is not None, node["$ref"]
        node = resolved | {k: v for k, v in node.items() if k != "$ref"}
    return node


def _resolve(document: Json, reference: str) -> Json | None:
    node: Any = document
    for part in reference.removeprefix("#/").split("/"):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node if isinstance(node, dict) else None


def _references(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _references(item)
