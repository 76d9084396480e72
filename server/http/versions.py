"""Approved versions over HTTP: the list, one version with its Markdown and tally, and the
diff between two versions. Reads catch the projection up first, in the store's thread pool
(the one seam between async code and the synchronous store), so an answer never misses a
decision already stored.
"""

from __future__ import annotations

import re

from palabre.domain.application import MemberInfo
from palabre.domain.errors import InvalidInput
from palabre.domain.ids import DocumentId
from palabre.domain.shapes import Json
from palabre.projections import text_diff
from palabre.projections.approved_versions import ApprovedVersions
from palabre.projections.diff_cache import DiffCache
from palabre.server.answers.versions import version_json
from palabre.server.http.plumbing import Authenticated, JSONResponse, readable_document
from palabre.server.http.schema import Op, paths_of
from palabre.server.storage.store import Store
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

VERSION_NUMBER = re.compile(r"[0-9]{1,9}")
BASE = "/api/documents/{document_id}/versions"
VERSION = BASE + "/{n}"


class VersionsApi:
    """Any member with a role on the document may read its approved versions. Diffs between
    versions are kept in a cache: a version's text never changes."""

    def __init__(self, store: Store, versions: ApprovedVersions) -> None:
        self._store = store
        self._versions = versions
        self._diffs = DiffCache()

    def routes(self, endpoint: Authenticated) -> list[Route]:
        return [
            Route(BASE, endpoint(self.list_versions), methods=["GET"]),
            Route(BASE + "/{n}", endpoint(self.get_version), methods=["GET"]),
            Route(BASE + "/{n}/diff/{m}", endpoint(self.diff_versions), methods=["GET"]),
        ]

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

    def _diff(self, document_id: DocumentId, old_number: int, new_number: int) -> Json:
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


OPERATIONS = (
    Op("GET", BASE, "Approved versions, v1 first", "Versions"),
    Op("GET", VERSION, "One approved version, rebuilt from the events and checked", "Version"),
    Op("GET", VERSION + "/diff/{m}", "What changed from version n to version m", "Diff"),
)


def openapi_paths() -> Json:
    """This resource's path items, for ``openapi.py`` to merge."""
    return paths_of(OPERATIONS)
