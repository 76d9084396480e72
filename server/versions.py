"""The approved versions at the server's edges: the projection built with the CRDT engine
injected, its HTTP resources, and the command-line commands that read, rebuild and verify it.

Reads catch the projection up first, in the store's thread pool (the one seam between async
code and the synchronous store), so an answer never misses a decision already stored.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from typing import Any, TextIO
from uuid import UUID

from palabre.domain.application import MemberInfo, PalabreApplication
from palabre.domain.errors import InvalidInput
from palabre.domain.ids import DocumentId, parse_id
from palabre.projections import text_diff
from palabre.projections.approved_versions import ApprovedVersion, ApprovedVersions
from palabre.projections.diff_cache import DiffCache
from palabre.projections.versions_store import VersionsStore
from palabre.server import crdt
from palabre.server.http import Api, JSONResponse, readable_document
from palabre.server.storage import Database
from palabre.server.store import Store
from palabre.server.transcoder import CompactTranscoder
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

VERSION_NUMBER = re.compile(r"[0-9]{1,9}")
BASE = "/api/documents/{document_id}/versions"


class EngineReplica:
    """The CRDT engine behind the projection's ``TextReplica`` protocol. Any failure of the
    engine on stored bytes becomes ValueError, Rust panics included (pyo3 raises those as a
    BaseException), so a corrupt event is reported as a mismatch, not a crash."""

    def __init__(self) -> None:
        self._live = crdt.LiveText()

    def apply_stored(self, updates: Sequence[bytes]) -> None:
        try:
            self._live.apply_stored(updates)
        except Exception as error:
            raise ValueError(f"update refused by the CRDT engine: {error}") from error
        except BaseException as error:
            if type(error).__name__ != "PanicException":
                raise
            raise ValueError(f"the CRDT engine panicked on a stored update: {error}") from None

    @property
    def text(self) -> str:
        return self._live.text


def open_versions(database: Database, application: PalabreApplication) -> ApprovedVersions:
    """The approved-versions projection over ``application``'s log, stored in the same
    database; the caller closes it."""
    store = VersionsStore(env=database.env(), transcoder=CompactTranscoder())
    return ApprovedVersions(application, store, EngineReplica)


# HTTP ---------------------------------------------------------------------------------------


def version_routes(api: Api, store: Store, versions: ApprovedVersions) -> list[Route]:
    handlers = VersionsApi(store, versions)
    return [
        Route(BASE, api.endpoint(handlers.list_versions), methods=["GET"]),
        Route(BASE + "/{n}", api.endpoint(handlers.get_version), methods=["GET"]),
        Route(BASE + "/{n}/diff/{m}", api.endpoint(handlers.diff_versions), methods=["GET"]),
    ]


def version_json(version: ApprovedVersion, markdown: bool) -> dict[str, Any]:
    shown: dict[str, Any] = {
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


class VersionsApi:
    """Any member with a role on the document may read its approved versions. Diffs between
    versions are kept in a cache: a version's text never changes."""

    def __init__(self, store: Store, versions: ApprovedVersions) -> None:
        self._store = store
        self._versions = versions
        self._diffs = DiffCache()

    async def list_versions(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        found = await self._store.call(self._versions.versions, document_id)
        return JSONResponse({"versions": [version_json(v, markdown=False) for v in found]})

    async def get_version(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        number = _version_number(request, "n")
        version = await self._store.call(self._versions.version, document_id, number)
        return JSONResponse(version_json(version, markdown=True))

    async def diff_versions(self, request: Request, member: MemberInfo) -> Response:
        document_id = await readable_document(self._store, request, member)
        old, new = _version_number(request, "n"), _version_number(request, "m")
        return JSONResponse(await self._store.call(self._diff, document_id, old, new))

    def _diff(self, document_id: DocumentId, old_number: int, new_number: int) -> dict[str, Any]:
        old = self._versions.version(document_id, old_number)
        new = self._versions.version(document_id, new_number)

        def compare() -> text_diff.TextDiff:
            names = f"v{old.number}", f"v{new.number}"
            return text_diff.compare(old.markdown, new.markdown, *names)

        diff = self._diffs.get((document_id, "versions", old.number, new.number), compare)
        return {
            "from": old.number,
            "to": new.number,
            "from_sha256": old.pinned_sha256,
            "to_sha256": new.pinned_sha256,
            "unified": diff.unified,
            "words": [{"op": s.op, "text": s.text} for s in diff.words],
        }


def _version_number(request: Request, name: str) -> int:
    raw = request.path_params[name]
    if not VERSION_NUMBER.fullmatch(raw):
        raise InvalidInput(f"a version number is a whole number, not {raw!r}")
    return int(raw)


# Command line -------------------------------------------------------------------------------


def versions_command(
    application: PalabreApplication, database: Database, args: argparse.Namespace
) -> int:
    """``palabre versions list|show``, ``palabre projections rebuild``, ``palabre verify``."""
    versions = open_versions(database, application)
    try:
        if args.command == "versions" and args.action == "list":
            return print_versions(versions, _document(application, args.document))
        if args.command == "versions" and args.action == "show":
            return show_version(versions, _document(application, args.document), args.number)
        if args.command == "projections" and args.action == "rebuild":
            return rebuild(versions, sys.stderr)
        if args.command == "verify":
            return verify(versions, parse_id(args.document, "document id"))
        raise InvalidInput(f"unknown command {args.command} {getattr(args, 'action', '')}")
    finally:
        versions.close()


def _document(application: PalabreApplication, raw: str) -> UUID:
    return application.document(parse_id(raw, "document id")).id


def print_versions(versions: ApprovedVersions, document_id: UUID) -> int:
    for version in versions.versions(document_id):
        state = "ok" if version.ok else "MISMATCH"
        print(f"v{version.number}\t{version.pinned_sha256}\t{state}\t{version.label}")
    return 0


def show_version(versions: ApprovedVersions, document_id: UUID, number: int) -> int:
    """Metadata on stderr; the Markdown on stdout, byte for byte, so that piping it through
    ``sha256sum`` gives the pinned hash."""
    version = versions.version(document_id, number)
    for name, value in version_json(version, markdown=False).items():
        print(f"{name}: {value}", file=sys.stderr)
    sys.stdout.flush()
    sys.stdout.buffer.write(version.markdown.encode("utf-8"))
    sys.stdout.buffer.flush()
    return 0


def rebuild(versions: ApprovedVersions, stream: TextIO) -> int:
    bar = ProgressBar(stream, "approved versions")
    summary = versions.rebuild(bar)
    bar.finish()
    for mismatch in summary.mismatches:
        print(f"MISMATCH: {mismatch}", file=stream)
    print(f"{summary.versions} versions")
    return 0


def verify(versions: ApprovedVersions, document_id: UUID) -> int:
    report = versions.verify(document_id)
    for check in report.checks:
        state = "ok" if check.ok else "MISMATCH"
        print(f"v{check.number}\t{state}\t{check.rebuilt_sha256 or '-'}\t{check.label}")
        for problem in check.problems:
            print(f"  {problem}")
    if report.ok:
        print(f"all {len(report.checks)} approved versions match their pinned hash")
        return 0
    named = ", ".join(f"v{check.number}" for check in report.mismatches)
    print(f"MISMATCH: {named} of {len(report.checks)} approved versions")
    return 1


class ProgressBar:
    """A one-line progress bar, redrawn in place (on a terminal) at each percent."""

    WIDTH = 30

    def __init__(self, stream: TextIO, what: str, verb: str = "rebuilding") -> None:
        self._stream = stream
        self._what = what
        self._verb = verb
        self._shown = -1

    def __call__(self, done: int, total: int) -> None:
        percent = 100 if total <= 0 else min(100, done * 100 // total)
        if percent == self._shown:
            return
        self._shown = percent
        filled = "#" * (self.WIDTH * percent // 100)
        self._stream.write(
            f"\r{self._verb} {self._what} [{filled:<{self.WIDTH}}] {percent:3d}% ({done}/{total})"
        )
        self._stream.flush()

    def finish(self) -> None:
        self._stream.write("\n")
        self._stream.flush()
