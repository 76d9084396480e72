"""Who is here: the awareness states of one room, each owned by the connection that set it.

The server validates every entry, lets a connection change only the client ids it introduced,
and stamps each state with the member the server authenticated (``member``), replacing anything
the client claimed under that key.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from palabre.server.crdt.awareness import AwarenessEntry, decode_awareness, encode_awareness
from palabre.server.crdt.check import TooLarge
from palabre.server.crdt.replica import InvalidUpdate

MAX_CLIENTS_PER_CONNECTION = 8


@dataclass
class _Held:
    owner: Hashable
    clock: int
    state: str


class Presence:
    def __init__(self, max_state_bytes: int = 16 << 10) -> None:
        self._held: dict[int, _Held] = {}
        self._max_state_bytes = max_state_bytes

    def apply(self, owner: Hashable, payload: bytes, stamp: Mapping[str, Any]) -> bytes | None:
        """Validate an awareness update from ``owner``; return the payload to forward, if any."""
        accepted: list[AwarenessEntry] = []
        for entry in decode_awareness(payload):
            held = self._held.get(entry.client_id)
            if held is not None and held.owner != owner:
                continue  # another connection's presence: not this one's to change
            if held is None and self._count(owner) >= MAX_CLIENTS_PER_CONNECTION:
                raise InvalidUpdate("too many awareness clients on one connection")
            if held is not None and entry.clock <= held.clock and entry.state != "null":
                continue  # stale
            state = self._stamped(entry.state, stamp, self._max_state_bytes)
            if state == "null":
                self._held.pop(entry.client_id, None)
            else:
                self._held[entry.client_id] = _Held(owner, entry.clock, state)
            accepted.append(AwarenessEntry(entry.client_id, entry.clock, state))
        return encode_awareness(accepted) if accepted else None

    def remove(self, owner: Hashable) -> bytes | None:
        """Forget everything ``owner`` set; return the payload telling the others."""
        gone = [cid for cid, held in self._held.items() if held.owner == owner]
        entries = [AwarenessEntry(cid, self._held.pop(cid).clock + 1, "null") for cid in gone]
        return encode_awareness(entries) if entries else None

    def snapshot(self) -> bytes | None:
        if not self._held:
            return None
        return encode_awareness(
            AwarenessEntry(cid, held.clock, held.state) for cid, held in self._held.items()
        )

    def _count(self, owner: Hashable) -> int:
        return sum(1 for held in self._held.values() if held.owner == owner)

    @staticmethod
    def _stamped(state: str, stamp: Mapping[str, Any], limit: int) -> str:
        if len(state) > limit:
            raise TooLarge(f"an awareness state above {limit} characters")
        try:
            value = orjson.loads(state) if state else None
        except orjson.JSONDecodeError:
            raise InvalidUpdate("awareness state is not JSON") from None
        if value is None:
            return "null"
        if not isinstance(value, dict):
            raise InvalidUpdate("awareness state must be a JSON object")
        value["member"] = dict(stamp)
        return orjson.dumps(value).decode("utf-8")
