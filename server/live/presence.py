"""Who is here: the awareness states of one room, each owned by the connection that set it.

The server validates every entry, lets a connection change only the client ids it introduced,
and stamps each state with the member the server authenticated (``member``), replacing anything
the client claimed under that key.

Telling the truth on weak links:

- A state not renewed for ``timeout`` seconds (30, y-protocols' own rule: stock clients renew
  every 15 s) is dropped by :meth:`Presence.expire`, which the room calls every few seconds,
  and the others are told: a silent dead link no longer shows its member present to the
  people already there, nor to those who arrive after (the snapshot they get).
- The removal the others get keeps the state's clock, as y-websocket's reference server does
  (y-protocols accepts a removal at the clock it holds), rather than a later one that would
  hide the client's next renewal.
- A client id held by another connection of the same member is taken over: a phone that
  reconnects while its dead connection still waits for a timeout is present again at once.
  Only by a connection that holds no state yet (its first message is its own state): stock
  clients send back every presence change they receive, and a member's second tab echoing
  the first one's state, or the state of a tab that left, must not take it over (it used to:
  a writer whose member's other connections came and went reached the limit of client ids
  per connection and was closed with 4400).
- A client that comes back with a clock the others already saw removed is given the next
  clock: its state goes out under it, and the client itself is sent its state under that clock,
  which it adopts (y-protocols takes a higher clock for its own id), so that its renewals count.
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
TIMEOUT_SECONDS = 30.0  # y-protocols' outdatedTimeout
MAX_REMEMBERED = 4096  # client ids whose leaving clock is remembered


@dataclass
class _Held:
    owner: Hashable
    member: object  # the stamp's member id: who may take the client id over
    clock: int
    state: str
    renewed: float  # when its owner last sent it


@dataclass(frozen=True)
class Applied:
    """What an awareness update from one connection leads to: the payload for the others,
    and the one for the sender itself (its states under the clocks it must adopt)."""

    forward: bytes | None
    echo: bytes | None = None


class Presence:
    def __init__(self, max_state_bytes: int = 16 << 10, timeout: float = TIMEOUT_SECONDS) -> None:
        self._held: dict[int, _Held] = {}
        self._removed: dict[int, int] = {}  # client id -> the clock the others saw it leave at
        self._max_state_bytes = max_state_bytes
        self._timeout = timeout

    def apply(
        self, owner: Hashable, payload: bytes, stamp: Mapping[str, Any], now: float
    ) -> Applied:
        """Validate an awareness update from ``owner``, received at ``now`` (monotonic)."""
        accepted: list[AwarenessEntry] = []
        echoed: list[AwarenessEntry] = []
        for entry in decode_awareness(payload):
            held = self._held.get(entry.client_id)
            if held is not None and held.owner != owner:
                if held.member != stamp.get("id") or self._count(owner) > 0:
                    continue  # another's presence, or echoed by one with its own: not its
                held.owner = owner  # the same member, reconnected: the new connection's now
            elif held is None and entry.client_id in self._removed and self._count(owner) > 0:
                continue  # someone who left, echoed by a connection that has its own state
            if held is None and self._count(owner) >= MAX_CLIENTS_PER_CONNECTION:
                raise InvalidUpdate("too many awareness clients on one connection")
            state = self._stamped(entry.state, stamp, self._max_state_bytes)
            if held is not None and entry.clock <= held.clock and state != "null":
                held.renewed = now
                continue  # stale, or what the others hold already
            if state == "null":
                if self._held.pop(entry.client_id, None) is not None:
                    self._forget_later(entry.client_id, entry.clock)
                accepted.append(AwarenessEntry(entry.client_id, entry.clock, state))
                continue
            clock = max(entry.clock, self._removed.pop(entry.client_id, -1) + 1)
            self._held[entry.client_id] = _Held(owner, stamp.get("id"), clock, state, now)
            accepted.append(AwarenessEntry(entry.client_id, clock, state))
            if clock != entry.clock:
                echoed.append(AwarenessEntry(entry.client_id, clock, state))
        return Applied(_encoded(accepted), _encoded(echoed))

    def remove(self, owner: Hashable) -> bytes | None:
        """Forget everything ``owner`` set; return the payload telling the others."""
        return self._drop([cid for cid, held in self._held.items() if held.owner == owner])

    def expire(self, now: float) -> list[tuple[Hashable, bytes]]:
        """Drop the states not renewed for the timeout; return, per owner, the payload
        telling the others (a change of one connection, as the other instances expect)."""
        limit = now - self._timeout
        owners = {held.owner for held in self._held.values() if held.renewed < limit}
        expired = []
        for owner in owners:
            gone = [c for c, h in self._held.items() if h.owner == owner and h.renewed < limit]
            payload = self._drop(gone)
            if payload is not None:
                expired.append((owner, payload))
        return expired

    def _drop(self, gone: list[int]) -> bytes | None:
        entries = []
        for cid in gone:
            held = self._held.pop(cid)
            self._forget_later(cid, held.clock)
            entries.append(AwarenessEntry(cid, held.clock, "null"))
        return _encoded(entries)

    def _forget_later(self, client_id: int, clock: int) -> None:
        """Remember the clock the others saw ``client_id`` leave at (the latest ones only)."""
        self._removed.pop(client_id, None)
        self._removed[client_id] = clock
        while len(self._removed) > MAX_REMEMBERED:
            del self._removed[next(iter(self._removed))]

    def snapshot(self) -> bytes | None:
        return _encoded(
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


def _encoded(entries: Any) -> bytes | None:
    listed = list(entries)
    return encode_awareness(listed) if listed else None
