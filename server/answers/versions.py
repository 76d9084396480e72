"""An approved version as an answer: its number, label, pinned and rebuilt hashes, whether they
match, the decision and the audit chain head it sealed; with its Markdown and tally on its
own page."""

from __future__ import annotations

from palabre.domain.shapes import Json
from palabre.projections.versions_store import ApprovedVersion


def version_json(version: ApprovedVersion, markdown: bool) -> Json:
    shown: Json = {
        "number": version.number,
        "label": version.label,
        "sha256": version.pinned_sha256,
        "rebuilt_sha256": version.sha256,
        "ok": version.ok,
        "problem": version.problem,
        "position": version.position,
        "decision": version.decision,
        "meeting_id": version.meeting_id,
        "proposal_id": version.proposal_id,
        "decided_at": version.decided_at,
        "decided_by": version.decided_by,
        "chain_head": version.chain_head,
        "chain_position": version.chain_position,
    }
    if markdown:
        shown |= {"tally": version.tally, "markdown": version.markdown}
    return shown
