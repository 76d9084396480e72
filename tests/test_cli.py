"""The ``palabre`` command, run as a real process against the same store as a live server."""

from __future__ import annotations

import os
import subprocess
import sys
from uuid import UUID, uuid4

from palabre.client import LiveDocument, PalabreClient
from palabre.domain.application import PalabreApplication
from palabre.domain.roles import Country, Role

from tests.support.server import REPO, ServerProcess


def palabre(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "palabre.server.cli", *args],
        cwd=REPO,
        env=os.environ | {"PALABRE_DATABASE": database_url},
        capture_output=True,
        text=True,
        timeout=60,
    )


def last_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


async def test_cli_works_while_the_server_runs(server: ServerProcess, database_url: str) -> None:
    coordinator = last_line(
        palabre(
            database_url,
            "members",
            "add",
            "Awa Koffi",
            "--organisation",
            "Coordination Lomé",
            "--country",
            "TG",
            "--role",
            "coordinator",
        )
    )
    document = last_line(palabre(database_url, "documents", "create", "Référentiel commun"))
    UUID(document)
    editor = last_line(
        palabre(
            database_url,
            "members",
            "add",
            "Yann",
            "--organisation",
            "CRESS",
            "--country",
            "FR",
            "--role",
            "editor",
            "--document",
            document,
        )
    )
    assert editor.startswith("plb_")
    async with LiveDocument(server.base_url, document, editor) as live:
        live.insert(0, "# Référentiel")
        await live.wait_saved()
    async with PalabreClient(server.base_url, coordinator) as http:
        assert await http.text(document) == "# Référentiel"
    listing = palabre(database_url, "documents", "list")
    assert listing.stdout.strip() == f"{document}\t1\tRéférentiel commun"


def test_cli_refuses_bad_input_clearly(database_url: str) -> None:
    unknown = palabre(
        database_url,
        "members",
        "add",
        "X",
        "--organisation",
        "O",
        "--country",
        "FR",
        "--role",
        "editor",
        "--document",
        "00000000-0000-0000-0000-000000000000",
    )
    assert unknown.returncode == 2
    assert "no document" in unknown.stderr
    country = palabre(
        database_url,
        "members",
        "add",
        "X",
        "--organisation",
        "O",
        "--country",
        "BE",
        "--role",
        "editor",
    )
    assert country.returncode == 2
    assert "invalid choice" in country.stderr
    title = palabre(database_url, "documents", "create", "   ")
    assert title.returncode == 2
    assert "needs a title" in title.stderr
    bad_store = subprocess.run(
        [sys.executable, "-m", "palabre.server.cli", "documents", "list"],
        cwd=REPO,
        env=os.environ | {"PALABRE_DATABASE": "mysql://nope"},
        capture_output=True,
        text=True,
    )
    assert bad_store.returncode == 2
    assert "PALABRE_DATABASE" in bad_store.stderr


def test_cli_adds_voting_members_and_delegates(database_url: str) -> None:
    document = last_line(palabre(database_url, "documents", "create", "Référentiel"))
    delegate = palabre(
        database_url,
        "members",
        "add",
        "Afi",
        "--organisation",
        "FONGTO",
        "--country",
        "TG",
        "--role",
        "editor",
        "--document",
        document,
        "--votes",
        "--delegate",
    )
    last_line(delegate)
    refused = palabre(
        database_url,
        "members",
        "add",
        "Kossi",
        "--organisation",
        "FONGTO",
        "--country",
        "TG",
        "--role",
        "editor",
        "--votes",
    )
    assert refused.returncode == 2
    assert "per document" in refused.stderr
    from palabre.domain.ids import parse_id
    from palabre.server.storage.database import Database, open_application

    app = open_application(Database(database_url))
    try:
        committee = app.committee(parse_id(document))
        assert len(committee.voting_organisations) == 1
        assert len(committee.delegates) == 1
    finally:
        app.close()


def test_members_list_names_each_member_with_their_roles(
    database_url: str, application: PalabreApplication
) -> None:
    document = application.create_document("Référentiel commun").id
    other = application.create_document("Compte rendu").id
    awa = application.add_member("Awa Koffi", "Coordination Lomé", Country.TG, Role.COORDINATOR)
    yann = application.add_member(
        "Yann Le Gall", "CRESS Bretagne", Country.FR, Role.EDITOR, document
    )
    afi = application.add_member("Afi Mensah", "FONGTO", Country.TG, Role.EDITOR)
    application.change_role(other, afi.member.id, Role.COMMENTER, votes=False)
    awa_line = f"{awa.member.id}\tAwa Koffi\tCoordination Lomé\tTG\t"
    yann_line = f"{yann.member.id}\tYann Le Gall\tCRESS Bretagne\tFR\t"
    afi_line = f"{afi.member.id}\tAfi Mensah\tFONGTO\tTG\t"
    assert _lines(palabre(database_url, "members", "list")) == [
        awa_line + "coordinator on every document",
        yann_line + f"editor on {document}",
        afi_line + f"editor on every document, commenter on {other}",
    ]
    assert _lines(palabre(database_url, "members", "list", "--document", str(document))) == [
        awa_line + "coordinator on every document",
        yann_line + "editor",
        afi_line + "editor on every document",
    ]
    assert _lines(palabre(database_url, "members", "list", "--document", str(other))) == [
        awa_line + "coordinator on every document",
        afi_line + "commenter",
    ]
    unknown = palabre(database_url, "members", "list", "--document", str(uuid4()))
    assert unknown.returncode == 2
    assert "no document" in unknown.stderr


def test_the_first_coordinator_is_invited_to_the_only_document(database_url: str) -> None:
    """The README's first steps: a coordinator of every document, then one document, then the
    link, with no --document to look up."""
    add = palabre(
        database_url,
        *("members", "add", "Awa Koffi", "--organisation", "Coordination Lomé"),
        *("--country", "TG", "--role", "coordinator"),
    )
    member_id = _lines(palabre(database_url, "members", "list"))[0].split("\t")[0]
    assert f"member {member_id} " in add.stderr
    early = palabre(database_url, "members", "invite", member_id)
    assert early.returncode == 2
    assert "no document yet" in early.stderr
    document = last_line(palabre(database_url, "documents", "create", "Référentiel commun"))
    link = last_line(palabre(database_url, "members", "invite", member_id))
    assert link.startswith(f"http://127.0.0.1:8000/d/{document}#invite=plb_")


def _lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()
