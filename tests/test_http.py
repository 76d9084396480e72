"""The HTTP interface of a real server: authentication, roles, validation, content types."""

from __future__ import annotations

import gzip
from uuid import UUID

import httpx
import pytest
from palabre.client import PalabreClient, PalabreHTTPError
from palabre.client.live import LiveDocument

from tests.conftest import Seed
from tests.support.server import ServerProcess

UNKNOWN = UUID("5f0c3c2e-8d1a-4b7e-9a41-2f6d0e8c7b13")  # no document has it


async def test_health(server: ServerProcess, backend: str) -> None:
    async with PalabreClient(server.base_url) as anonymous:
        health = await anonymous.health()
    assert health["status"] == "ok"
    assert health["database"] == backend  # the store this server really runs on
    assert health["rooms"] == 0


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer plb_nope", "Basic abc", "plb_x"])
async def test_missing_or_bad_credentials_get_401(
    server: ServerProcess, seed: Seed, header: str | None
) -> None:
    headers = {"Authorization": header} if header else {}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
        response = await http.get(f"/api/documents/{seed.document_id}")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"]["code"] == "unauthenticated"


async def test_documents_are_listed_to_their_members_only(
    server: ServerProcess, seed: Seed
) -> None:
    async with PalabreClient(server.base_url, seed.coordinator) as coordinator:
        other = await coordinator.create_document("  Compte rendu   de séance ")
        assert other["title"] == "Compte rendu de séance"
        assert other["contributions"] == 0
        assert {d["id"] for d in await coordinator.documents()} == {seed.document_id, other["id"]}
    async with PalabreClient(server.base_url, seed.editor) as editor:
        assert [d["id"] for d in await editor.documents()] == [seed.document_id]
        with pytest.raises(PalabreHTTPError) as forbidden:
            await editor.document(other["id"])
        assert forbidden.value.status == 403


async def test_only_a_global_coordinator_creates_documents(
    server: ServerProcess, seed: Seed
) -> None:
    async with PalabreClient(server.base_url, seed.editor) as editor:
        with pytest.raises(PalabreHTTPError) as refused:
            await editor.create_document("Nouveau")
    assert refused.value.status == 403
    assert refused.value.code == "coordinator_only"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (b"[]", 400),
        (b'{"title": 3}', 400),
        (b'{"title": "   "}', 400),
        (b'{"title": "' + b"x" * 70_000 + b'"}', 413),
    ],
    ids=["not-json", "not-object", "not-string", "blank", "too-large"],
)
async def test_bad_bodies_are_refused_clearly(
    server: ServerProcess, seed: Seed, body: bytes, status: int
) -> None:
    headers = {"Authorization": f"Bearer {seed.coordinator}", "Content-Type": "application/json"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
        response = await http.post("/api/documents", content=body)
        assert response.status_code == status
        assert response.json()["error"]["message"]
        listed = (await http.get("/api/documents")).json()["documents"]
    assert [d["id"] for d in listed] == [seed.document_id]  # nothing was created


@pytest.mark.parametrize(
    ("document", "status", "message"),
    [
        (str(UNKNOWN), 404, f"no document {UNKNOWN}"),
        (str(UNKNOWN).upper().replace("-", ""), 404, f"no document {UNKNOWN}"),
        ("pas-un-identifiant", 400, "malformed document id"),
        (f"{UNKNOWN}0", 400, "malformed document id"),
    ],
    ids=["unknown", "unknown-other-spelling", "malformed", "one-digit-too-many"],
)
async def test_unknown_documents(
    server: ServerProcess, seed: Seed, document: str, status: int, message: str
) -> None:
    """A well-formed id that names no document: 404; anything else: 400, never a 404 that
    would send a client looking for a document that cannot exist."""
    async with PalabreClient(server.base_url, seed.coordinator) as http:
        with pytest.raises(PalabreHTTPError) as missing:
            await http.text(document)
    assert missing.value.status == status
    assert message in missing.value.message


async def test_text_is_markdown_in_utf8(server: ServerProcess, seed: Seed) -> None:
    headers = {"Authorization": f"Bearer {seed.observer}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
        response = await http.get(f"/api/documents/{seed.document_id}/text")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"
    assert response.text == ""


async def test_text_is_gzip_compressed_for_a_client_that_accepts_it(
    server: ServerProcess, seed: Seed
) -> None:
    """A page opening a long document over a weak link reads it before its live document has
    synced (client/web/src/early.js): fewer bytes when compressed."""
    text = "Les structures du réseau présentent leurs attentes. " * 100
    async with LiveDocument(server.base_url, seed.document_id, seed.editor) as live:
        live.insert(0, text)
        await live.wait_saved()
    url = f"{server.base_url}/api/documents/{seed.document_id}/text"
    bearer = {"Authorization": f"Bearer {seed.observer}"}
    async with httpx.AsyncClient() as http:
        for accepted, encoded in (("gzip, br", True), ("identity", False), ("gzip;q=0", False)):
            headers = bearer | {"Accept-Encoding": accepted}
            async with http.stream("GET", url, headers=headers) as response:
                raw = b"".join([chunk async for chunk in response.aiter_raw()])
            assert response.headers["vary"] == "Accept-Encoding"
            assert response.headers["content-type"] == "text/markdown; charset=utf-8"
            if encoded:
                assert response.headers["content-encoding"] == "gzip"
                assert gzip.decompress(raw).decode("utf-8") == text
                assert len(raw) < len(text.encode("utf-8")) / 4
            else:
                assert "content-encoding" not in response.headers, accepted
                assert raw.decode("utf-8") == text
