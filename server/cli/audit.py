"""``palabre verify DOC`` and ``palabre audit export DOC``: the tamper-evident history.

``verify`` checks the audit chain over the whole event log first (its lines come before the
versions' summary, which stays the last line), then that the history index can read every
contribution of the document, then rebuilds every approved version of the document from the
contribution events alone; exit status 1 if any is broken."""

from __future__ import annotations

import argparse
import contextlib
import sys
from typing import BinaryIO
from uuid import UUID

from palabre.domain.ids import DocumentId, parse_id
from palabre.projections.approved_versions import ApprovedVersions
from palabre.projections.audit_chain import AuditChain
from palabre.projections.history_index import HistoryIndex
from palabre.projections.history_replay import UnreadableHistory
from palabre.server.answers.audit import audit_lines, notes_revealer
from palabre.server.bootstrap import Services
from palabre.server.cli.parsers import Commands


def add_parsers(commands: Commands) -> None:
    verify = commands.add_parser(
        "verify",
        help="check the audit chain over the whole event log, then rebuild every approved "
        "version of a document from the events and check its hash; exit status 1 on any "
        "broken link or mismatch",
    )
    verify.add_argument("document")
    audit = commands.add_parser("audit", help="the tamper-evident audit trail")
    actions = audit.add_subparsers(dest="action", required=True)
    export = actions.add_parser(
        "export", help="a document's complete event history as JSON Lines, with chain hashes"
    )
    export.add_argument("document")
    export.add_argument("-o", "--output", help="write to this file instead of standard output")


def run_verify(services: Services, args: argparse.Namespace) -> int:
    document_id = parse_id(args.document, "document id")
    services.application.document(document_id)  # an unknown one: status 2
    chain_ok = verify_chain(services.audit)
    history_ok = verify_history(services.history, DocumentId(document_id))
    versions_ok = verify_versions(services.versions, document_id)
    return 0 if chain_ok and history_ok and versions_ok else 1


def verify_history(history: HistoryIndex, document_id: DocumentId) -> bool:
    """Index the whole log: a contribution the history cannot model is named."""
    try:
        position = history.catch_up(document_id)
    except UnreadableHistory as found:
        problem: UnreadableHistory | None = found
    else:
        problem = history.problem(document_id)
    if problem is None:
        print(f"history\tok\tevery contribution is readable; indexed to {position}")
        return True
    print(f"history\tBROKEN\tcontribution {problem.position}: {problem.reason}")
    return False


def verify_chain(audit: AuditChain) -> bool:
    """Check the links stored so far; only an intact chain is extended with the events
    stored since the last catch-up."""
    report = audit.verify()
    if report.broken is not None:
        broken = report.broken
        print(f"chain\tBROKEN\tnotification {broken.notification_id}: {broken.problem}")
        print(f"MISMATCH: the audit chain breaks at notification {broken.notification_id}")
        return False
    linked = audit.catch_up()
    head = audit.head()
    print(
        f"chain\tok\t{report.checked} events match their links; {linked} newer events "
        f"linked now; head {head.link} at notification {head.position}"
    )
    return True


def verify_versions(versions: ApprovedVersions, document_id: UUID) -> bool:
    report = versions.verify(document_id)
    for check in report.checks:
        state = "ok" if check.ok else "MISMATCH"
        print(f"v{check.number}\t{state}\t{check.rebuilt_sha256 or '-'}\t{check.label}")
        for problem in check.problems:
            print(f"  {problem}")
    if report.ok:
        print(f"all {len(report.checks)} approved versions match their pinned hash")
        return True
    named = ", ".join(f"v{check.number}" for check in report.mismatches)
    print(f"MISMATCH: {named} of {len(report.checks)} approved versions")
    return False


def run_audit(services: Services, args: argparse.Namespace) -> int:
    """JSON Lines on standard output (or the file), streamed; the count on standard error."""
    document_id = parse_id(args.document, "document id")
    reveal = notes_revealer(services.application, document_id)  # the operator reads them all
    lines = audit_lines(services.audit.history(document_id), reveal)
    with contextlib.ExitStack() as stack:
        out: BinaryIO = (
            stack.enter_context(open(args.output, "wb")) if args.output else sys.stdout.buffer
        )
        count = 0
        for line in lines:
            out.write(line)
            count += 1
    print(f"{count} events exported", file=sys.stderr)
    return 0
