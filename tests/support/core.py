"""An in-process live core for tests: one room over a recording store
(``tests/support/fakes.py``), connections over recording peers, and helpers to wait for a
condition and to read acknowledgements."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterable
from typing import Any
from uuid import uuid4

from palabre.domain.application import MemberInfo, OrganisationInfo
from palabre.domain.ids import DocumentId, MemberId
from palabre.domain.roles import Country, Role
from palabre.server.crdt.lib0 import Reader
from palabre.server.crdt.protocol import MESSAGE_SAVED
from palabre.server.crdt.replica import rebuild
from palabre.server.live.checker import InlineChecker, UpdateChecker
from palabre.server.live.connection import Connection
from palabre.server.live.room import ReplicaFactory, Room
from palabre.server.settings import Settings

from tests.support.edits import replay
from tests.support.fakes import RecordingPeer, RecordingStore

DEADLINE = 5.0


def member(name: str = "Afi Mensah") -> MemberInfo:
    organisation = OrganisationInfo(uuid4(), "Fédération des ONG du Togo", Country.TG)
    return MemberInfo(MemberId(uuid4()), name, organisation, {"*": Role.EDITOR}, {})


class Core:
    """One room over a recording store, with connections over recording peers."""

    def __init__(
        self,
        settings: Settings,
        checker: UpdateChecker | None = None,
        replica: ReplicaFactory = rebuild,
        store: RecordingStore | None = None,
        document_id: DocumentId | None = None,
    ) -> None:
        self.store = store or RecordingStore()
        self.document_id = document_id or DocumentId(uuid4())
        self.tasks: set[asyncio.Task[Any]] = set()
        stored = self.store.log(self.document_id)
        self.room = Room(
            self.document_id,
            replica(stored),
            len(stored),
            len(stored),
            self.store,
            settings,
            spawn=self.spawn,
            checker=checker or InlineChecker(),
            replica=replica,
        )

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coroutine)
        self.tasks.add(task)
        return task

    def connect(
        self,
        who: MemberInfo | None = None,
        acks: bool = False,
        queue: int = 64,
        role: Role = Role.EDITOR,
        queue_bytes: int = 32 << 20,
    ) -> tuple[Connection, RecordingPeer]:
        peer = RecordingPeer()
        connection = Connection(
            peer, who or member(), role, queue, wants_acks=acks, queue_bytes=queue_bytes
        )
        self.spawn(connection.run_writer())
        self.room.join(connection)
        return connection, peer

    def stored_text(self) -> str:
        return replay(self.store.log(self.document_id))

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


async def until(condition: Callable[[], bool], timeout: float = DEADLINE) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition not met before the deadline"
        await asyncio.sleep(0.002)


def saved_counts(peer: RecordingPeer) -> list[int]:
    return [Reader(frame, 1).var_uint() for frame in peer.of_type(MESSAGE_SAVED)]


def texts(updates: Iterable[bytes]) -> str:
    return replay(list(updates))
