"""The factories of every stored view: each is a second eventsourcing application in the same
database as Palabre's log (``projections/view_store.py``), opened here with the project's
transcoder and, where the view rebuilds texts, the CRDT engine's replicas. The caller (the
composition root, ``server/bootstrap.py``) closes what it opens."""

from __future__ import annotations

from datetime import timedelta

from palabre.domain.application import PalabreApplication
from palabre.projections.approved_versions import ApprovedVersions
from palabre.projections.audit_chain import AuditChain
from palabre.projections.audit_store import AuditStore
from palabre.projections.history import PAUSE
from palabre.projections.history_index import HistoryIndex
from palabre.projections.history_index_store import HistoryIndexStore
from palabre.projections.versions_store import VersionsStore
from palabre.server.crdt.replay import DeltaReplay, EngineReplica
from palabre.server.storage.database import Database
from palabre.server.storage.transcoder import CompactTranscoder


def open_versions(database: Database, application: PalabreApplication) -> ApprovedVersions:
    """The approved versions [versions validées], rebuilt through the engine."""
    store = VersionsStore(env=database.env(), transcoder=CompactTranscoder())
    return ApprovedVersions(application, store, EngineReplica)


def open_audit(database: Database, application: PalabreApplication) -> AuditChain:
    """The hash chain over every stored event."""
    store = AuditStore(env=database.env(), transcoder=CompactTranscoder())
    return AuditChain(application, store)


def open_history_index(
    database: Database, application: PalabreApplication, every: int, pause: timedelta = PAUSE
) -> HistoryIndex:
    """Authorship and editing sessions stored beside the checkpoints (``pause``: the silence
    that ends an editing session; tests shorten it)."""
    views = HistoryIndexStore(env=database.env(), transcoder=CompactTranscoder())
    return HistoryIndex(application, views, DeltaReplay, every, pause)
