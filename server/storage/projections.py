"""The pulled projections (approved versions, audit chain) kept near the log's end in a
serving process, and how far behind they are.

Both catch up when read, so answers never miss a stored event; this follower also catches
them up every few seconds in the background so that a quiet server's lag stays bounded and
``/readyz`` can vouch for it. Every instance on one database runs one: the projections track
their position in the same transaction as their rows, so instances catching up at once store
each row once (the loser of a race resumes after the winner; see ``projections/runner.py``).
A failed catch-up is logged and tried again at the next turn; a crash loses nothing.
"""

from __future__ import annotations

import asyncio
import logging

from palabre.projections.approved_versions import ApprovedVersions
from palabre.projections.audit_chain import AuditChain
from palabre.server.storage.store import Store

log = logging.getLogger("palabre.projections")

FOLLOW_SECONDS = 5.0


class ProjectionsFollower:
    def __init__(self, store: Store, versions: ApprovedVersions, audit: AuditChain) -> None:
        self._store = store
        self._versions = versions
        self._audit = audit

    def lag(self) -> dict[str, int]:
        """Notifications each projection has not processed yet (blocking: a store thread)."""
        end = self._store.application.recorder.max_notification_id() or 0
        return {
            "versions": max(0, end - self._versions.position()),
            "audit": max(0, end - self._audit.position()),
        }

    def catch_up(self) -> None:
        self._versions.catch_up()
        self._audit.catch_up()

    async def run(self, every: float = FOLLOW_SECONDS) -> None:
        """Catch up now and every ``every`` seconds, until cancelled."""
        while True:
            try:
                await self._store.call(self.catch_up)
            except Exception:
                log.exception("catching the projections up failed; trying again")
            await asyncio.sleep(every)
