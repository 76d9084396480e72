"""An open proposal and a member who may vote on it: the starting point of the tests of a
vote sent again (idempotency, weak links)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import httpx
from palabre.domain.application import PalabreApplication
from palabre.domain.roles import Country, Role

from tests.conftest import Seed
from tests.support.server import ServerProcess


@dataclass(frozen=True)
class Ballot:
    document_id: str
    proposal_id: str
    voter: str  # token
    voter_id: str

    @property
    def votes(self) -> str:
        return f"/api/documents/{self.document_id}/proposals/{self.proposal_id}/votes"

    @property
    def proposal(self) -> str:
        return f"/api/documents/{self.document_id}/proposals/{self.proposal_id}"


def open_ballot(application: PalabreApplication, server: ServerProcess, seed: Seed) -> Ballot:
    """A voting editor of another organisation, and a proposal the coordinator opens."""
    voter = application.add_member(
        "Kossi Agbeko",
        "Fédération des ONG du Togo",
        Country.TG,
        Role.EDITOR,
        UUID(seed.document_id),
        votes=True,
    )
    answer = httpx.post(
        f"{server.base_url}/api/documents/{seed.document_id}/proposals",
        json={"label": "Texte de la séance"},
        headers={"Authorization": f"Bearer {seed.coordinator}"},
    )
    assert answer.status_code == 201, answer.text
    return Ballot(seed.document_id, answer.json()["id"], voter.token, str(voter.member.id))
