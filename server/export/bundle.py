"""The JSON bundle: the Markdown exactly as approved, with everything that says what it is (the
decision and its votes, the amendments decided in its meeting, the hashes, the audit chain
head, comments, suggestions, contributors, sources, the change note since a version), so that
a third party can check the text against its hash with standard tools:

    jq -j .markdown BUNDLE.json | sha256sum     # equals: jq -r .sha256 BUNDLE.json

Keys are sorted and times are ISO-8601 in UTC (``date_local`` repeats the snapshot's time in
the reader's zone), so the same request gives the same bytes; ``generated_at`` is the one field
meant to vary (see ``ExportOptions.generated_at``)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import orjson
from palabre.server.export.model import (
    Approval,
    ExportOptions,
    Note,
    Person,
    Remark,
    Snapshot,
    SourcesAnnex,
    SuggestionNote,
)

FORMAT_VERSION = 1


def render_bundle(snapshot: Snapshot, options: ExportOptions) -> bytes:
    bundle: dict[str, Any] = {
        "palabre_export": FORMAT_VERSION,
        "document": {"id": snapshot.document_id, "title": snapshot.title},
        "snapshot": {
            "kind": "version" if snapshot.approval is not None else "position",
            "current": snapshot.current,
            "position": snapshot.position,
            "version": None if snapshot.approval is None else snapshot.approval.number,
            "date": _utc(snapshot.at),
            "date_local": snapshot.at.astimezone(options.zone).isoformat(),
        },
        "markdown": snapshot.markdown,
        "sha256": snapshot.sha256,
        "approval": None if snapshot.approval is None else _approval(snapshot.approval),
        "audit_chain": {
            "head": snapshot.chain.link,
            "position": snapshot.chain.position,
            "sealed_by_decision": snapshot.chain.sealed_by_decision,
        },
        "comments": None if snapshot.notes is None else [_note(n) for n in snapshot.notes],
        "contributors": None
        if snapshot.contributors is None
        else [asdict(c) for c in snapshot.contributors],
        "suggestions": None
        if snapshot.suggestions is None
        else [_suggestion(s) for s in snapshot.suggestions],
        "amendments": [asdict(a) for a in snapshot.amendments],
        "sources": None if snapshot.sources is None else _sources(snapshot.sources),
        "changes": None
        if snapshot.changes is None
        else {"since": snapshot.changes.number, "note": snapshot.changes.note},
        "lang": options.lang,
        "timezone": options.zone.key,
        "generated_at": _utc(options.generated(snapshot)),
    }
    return orjson.dumps(
        bundle, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE
    )


def _approval(approval: Approval) -> dict[str, Any]:
    decision = approval.decision
    return {
        "number": approval.number,
        "label": approval.label,
        "pinned_sha256": approval.pinned_sha256,
        "rebuilt_matches_pinned": approval.ok,
        "problem": approval.problem,
        "proposal_id": decision.proposal_id,
        "decision": decision.outcome,
        "decided_at": _utc(decision.decided_at),
        "decided_by": None if decision.decided_by is None else _person(decision.decided_by),
        "meeting": None if decision.meeting is None else asdict(decision.meeting),
        "rule": dict(decision.rule),
        "tally": {
            "voting_organisations": decision.voting_organisations,
            "voted": decision.voted,
            "quorum_met": decision.quorum_met,
            "approve": decision.approve,
            "abstain": decision.abstain,
            "object": decision.object,
        },
        "votes": [asdict(vote) for vote in decision.votes],
        "not_voted": [asdict(organisation) for organisation in decision.not_voted],
    }


def _remark(remark: Remark, **fields: Any) -> dict[str, Any]:
    """A comment's or a suggestion's note: what they share, then ``fields``, then the
    replies (the bundle's order)."""
    return {
        "id": remark.id,
        "author": _person(remark.author),
        "created_at": _utc(remark.created_at),
        "status": remark.status,
        "section": remark.section,
        "quote": remark.quote,
        **fields,
        "replies": [
            {"author": _person(r.author), "created_at": _utc(r.created_at), "body": r.body}
            for r in remark.replies
        ],
    }


def _note(note: Note) -> dict[str, Any]:
    return _remark(note, body=note.body)


def _suggestion(note: SuggestionNote) -> dict[str, Any]:
    return _remark(
        note,
        replacement=note.replacement,
        reason=note.reason,
        decided_by=None if note.decided_by is None else _person(note.decided_by),
        decided_at=None if note.decided_at is None else _utc(note.decided_at),
        decision_reason=note.decision_reason,
        by_committee=note.by_committee,
    )


def _sources(annex: SourcesAnnex) -> dict[str, Any]:
    """The cited interviews and the coverage by section; never an interview's notes."""
    return {
        "recorded": annex.recorded,
        "cited": [
            {
                "date": i.date,
                "mode": i.mode,
                "organisations": [{"name": n, "country": c} for n, c in i.organisations],
                "sections": list(i.sections),
            }
            for i in annex.cited
        ],
        "sections": [
            {"heading": s.heading, "interviews": s.interviews, "countries": dict(s.countries)}
            for s in annex.sections
        ],
    }


def _person(person: Person) -> dict[str, str]:
    return asdict(person)


def _utc(when: datetime) -> str:
    return when.astimezone(UTC).isoformat()
