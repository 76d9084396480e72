"""Invitation links against a real server: a coordinator issues a member's link (HTTP or
command line), the link's token signs that member in, revoking kills every link of that member
on the document and nothing else; the page and its assets are served with the right caching."""

from __future__ import annotations

import gzip
import re
from typing import Any

import httpx
import pytest
from palabre.domain.application import PalabreApplication
from palabre.domain.errors import InvalidInput
from palabre.server.http.web import STATIC
from palabre.server.settings import Settings

from tests.conftest import Seed
from tests.support.cli import palabre
from tests.support.server import ServerProcess

Json = dict[str, Any]
LINK = re.compile(r"^(http://[^/]+)/d/([0-9a-f-]{36})#invite=(plb_[A-Za-z0-9_-]+)$")


@pytest.fixture
def backend() -> str:
    return "sqlite"  # nothing here depends on the store; the browser tests run on SQLite


def _me(server: ServerProcess, document_id: str, token: str) -> httpx.Response:
    return httpx.get(
        f"{server.base_url}/api/documents/{document_id}/me",
        headers={"Authorization": f"Bearer {token}"},
    )


def _invitation(server: ServerProcess, seed: Seed, member_id: str) -> str:
    return f"{server.base_url}/api/documents/{seed.document_id}/members/{member_id}/invitation"


def test_a_link_signs_the_member_in_and_revoking_kills_only_links(
    seed: Seed, server: ServerProcess
) -> None:
    editor = _me(server, seed.document_id, seed.editor).json()
    assert editor["name"] == "Yann Le Gall"
    assert editor["role"] == "editor"
    url = _invitation(server, seed, editor["id"])
    auth = {"Authorization": f"Bearer {seed.coordinator}"}
    first = httpx.post(url, headers=auth)
    second = httpx.post(url, headers=auth)
    assert first.status_code == second.status_code == 201
    links = [LINK.match(r.json()["url"]) for r in (first, second)]
    assert all(links)
    tokens = [m.group(3) for m in links if m]
    assert tokens[0] != tokens[1]
    assert {m.group(2) for m in links if m} == {seed.document_id}
    assert {m.group(1) for m in links if m} == {server.base_url}
    for token in tokens:
        assert _me(server, seed.document_id, token).json()["id"] == editor["id"]

    revoked = httpx.delete(url, headers=auth)
    assert revoked.status_code == 200
    assert revoked.json() == {"member_id": editor["id"], "revoked": 2}
    for token in tokens:
        assert _me(server, seed.document_id, token).status_code == 401
    assert _me(server, seed.document_id, seed.editor).status_code == 200  # their own token
    assert httpx.delete(url, headers=auth).json()["revoked"] == 0


def test_only_coordinators_invite_and_only_members_of_the_document(
    seed: Seed, server: ServerProcess
) -> None:
    observer = _me(server, seed.document_id, seed.observer).json()
    url = _invitation(server, seed, observer["id"])
    as_editor = {"Authorization": f"Bearer {seed.editor}"}
    assert httpx.post(url, headers=as_editor).status_code == 403
    assert httpx.delete(url, headers=as_editor).status_code == 403
    as_coordinator = {"Authorization": f"Bearer {seed.coordinator}"}
    assert httpx.delete(url, headers=as_coordinator).status_code == 404  # never invited
    base = f"{server.base_url}/api/documents/{seed.document_id}/members"
    unknown = httpx.post(
        f"{base}/{'0' * 8}-0000-0000-0000-{'0' * 12}/invitation", headers=as_coordinator
    )
    assert unknown.status_code == 404
    malformed = httpx.post(f"{base}/not-an-id/invitation", headers=as_coordinator)
    assert malformed.status_code == 400
    assert httpx.post(url).status_code == 401


def test_the_command_line_prints_the_same_kind_of_link(seed: Seed, server: ServerProcess) -> None:
    commenter = _me(server, seed.document_id, seed.commenter).json()
    public = {"PALABRE_PUBLIC_URL": "https://palabre.example.org/"}
    done = palabre(server.database_url, "members", "invite", commenter["id"], env=public)
    assert done.returncode == 0, done.stderr
    link = LINK.match(done.stdout.strip().splitlines()[-1].replace("https://", "http://"))
    assert link is not None, done.stdout
    assert done.stdout.startswith(f"https://palabre.example.org/d/{seed.document_id}#invite=")
    assert _me(server, seed.document_id, link.group(3)).json()["id"] == commenter["id"]


def test_the_page_and_its_assets_are_served_compressed_and_cached(server: ServerProcess) -> None:
    page = httpx.get(f"{server.base_url}/d/{'1' * 8}-1111-1111-1111-{'1' * 12}")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-cache"
    assert page.headers["content-encoding"] == "gzip"
    assets = re.findall(r"/assets/(app-[A-Za-z0-9]+\.(?:js|css))", page.text)
    assert len(assets) == 2
    for name in assets:
        asset = httpx.get(f"{server.base_url}/assets/{name}")
        assert asset.status_code == 200
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
        plain = httpx.get(
            f"{server.base_url}/assets/{name}", headers={"Accept-Encoding": "identity"}
        )
        assert "content-encoding" not in plain.headers
        assert gzip.decompress(gzip.compress(plain.content)) == asset.content
        # Brotli from the build when accepted (the browser tests' Chromium asks for it and
        # runs what it decoded); a weight of zero refuses it.
        with httpx.stream(
            "GET", f"{server.base_url}/assets/{name}", headers={"Accept-Encoding": "br, gzip"}
        ) as brotli:
            assert brotli.headers["content-encoding"] == "br"
            assert b"".join(brotli.iter_raw()) == (STATIC / "assets" / f"{name}.br").read_bytes()
        refused = httpx.get(
            f"{server.base_url}/assets/{name}", headers={"Accept-Encoding": "br;q=0, gzip"}
        )
        assert refused.headers["content-encoding"] == "gzip"
        assert refused.content == plain.content
    assert httpx.get(f"{server.base_url}/assets/app-missing.js").status_code == 404
    assert httpx.get(f"{server.base_url}/assets/..%2Fweb.py").status_code == 404
    assert httpx.get(f"{server.base_url}/assets/{assets[0]}.br").status_code == 404


def test_the_first_load_stays_under_its_weight_budget(server: ServerProcess) -> None:
    """What a browser downloads the first time, compressed as this server sends it."""
    page = httpx.get(f"{server.base_url}/", headers={"Accept-Encoding": "gzip"})
    total = int(page.headers["content-length"])
    for name in re.findall(r"/assets/([^\"']+)", page.text):
        asset = httpx.get(f"{server.base_url}/assets/{name}", headers={"Accept-Encoding": "gzip"})
        assert asset.headers["content-encoding"] == "gzip"
        total += int(asset.headers["content-length"])
    assert total < 400 * 1024, f"first load is {total / 1024:.0f} KB compressed"


def test_the_public_url_must_be_a_web_address() -> None:
    assert Settings.from_env({"PALABRE_PUBLIC_URL": "https://palabre.example.org"}).public_url
    with pytest.raises(InvalidInput, match="PALABRE_PUBLIC_URL"):
        Settings.from_env({"PALABRE_PUBLIC_URL": "palabre.example.org"})


def test_the_command_line_asks_which_document_when_it_is_ambiguous(
    seed: Seed, server: ServerProcess, application: PalabreApplication
) -> None:
    """A coordinator of every document: with one document, the link opens it; with several,
    the error lists them (id and title) and --document picks one."""
    coordinator = _me(server, seed.document_id, seed.coordinator).json()  # every document
    command = ["members", "invite", coordinator["id"]]
    only = palabre(server.database_url, *command)
    assert only.returncode == 0, only.stderr
    assert only.stdout.startswith(f"http://127.0.0.1:8000/d/{seed.document_id}#invite=plb_")
    other = application.create_document("Compte rendu de la séance")
    ambiguous = palabre(server.database_url, *command)
    assert ambiguous.returncode == 2
    assert "name one with --document" in ambiguous.stderr
    assert f"  {seed.document_id}\tRéférentiel commun\n" in ambiguous.stderr
    assert f"  {other.id}\tCompte rendu de la séance\n" in ambiguous.stderr
    named = palabre(server.database_url, *command, "--document", str(other.id))
    assert named.returncode == 0, named.stderr
    assert named.stdout.startswith(f"http://127.0.0.1:8000/d/{other.id}#invite=plb_")
