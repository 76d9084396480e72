"""Where a projection keeps its rows: a second eventsourcing application in the same
database, whose events are the rows and whose tracking records how far it has read.

Shared by every projection so the one storage subtlety is handled once: eventsourcing's SQLite
factory names every application's events table ``stored_events``, which would put a view's
rows into Palabre's own log (and into the audit chain). On SQLite the table is named after the
view; PostgreSQL already prefixes its tables with the application's name. The tracking table
is shared on SQLite, so tracking keys name both the source log and the view."""

from __future__ import annotations

from collections.abc import Mapping
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import ProcessRecorder, Transcoder
from eventsourcing.sqlite import SQLiteFactory, SQLiteProcessRecorder


class ViewStore(Application[UUID]):
    def __init__(self, env: Mapping[str, str], transcoder: Transcoder) -> None:
        self._transcoder = transcoder
        # No snapshots: on SQLite the snapshot table is shared by every application of a file.
        super().__init__(env=dict(env) | {"IS_SNAPSHOTTING_ENABLED": "n"})
        recorder = self.recorder
        assert isinstance(recorder, ProcessRecorder)
        self._process_recorder = recorder

    def construct_transcoder(self) -> Transcoder:
        return self._transcoder

    def construct_recorder(self) -> ProcessRecorder:
        """A process recorder, which writes rows and tracking in one transaction."""
        factory = self.factory
        if not isinstance(factory, SQLiteFactory):
            return factory.process_recorder()
        recorder = SQLiteProcessRecorder(
            factory.datastore, events_table_name=f"{self.name.lower()}_events"
        )
        if factory.env_create_table():
            recorder.create_table()
        return recorder
