"""The live part of the Python client: a local pycrdt document kept in sync with the server
over the standard y-websocket protocol, with reconnection and save acknowledgements.

Local edits made while disconnected stay in the local document and reach the server when the
connection comes back (the server's sync step 1 asks for everything it lacks)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from types import TracebackType
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from pycrdt import Decoder as _Decoder
from pycrdt import (
    Doc,
    Text,
    TransactionEvent,
    YMessageType,
    YSyncMessageType,
    create_sync_message,
    create_update_message,
    handle_sync_message,
)
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

log = logging.getLogger("palabre.client")

MESSAGE_AUTH = 2
MESSAGE_SAVED = 100
# Close codes after which reconnecting cannot help.
FINAL_CLOSE_CODES = {4400, 4401, 4403, 4404, 4413, 4422}


class LiveError(Exception):
    """The server closed the connection for good, or a wait timed out."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class LiveDocument:
    """``async with LiveDocument(base_url, document_id, token) as live:`` connects and syncs."""

    def __init__(
        self,
        base_url: str,
        document_id: str,
        token: str,
        *,
        reconnect: bool = True,
        max_size: int = 16 << 20,
        doc: Doc[Any] | None = None,
    ) -> None:
        parts = urlsplit(base_url)
        scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
        query = f"token={quote(token)}&acks=1"
        self.url = urlunsplit((scheme, parts.netloc, f"/ws/{document_id}", query, ""))
        self.doc: Doc[Any] = doc if doc is not None else Doc()
        self.text: Text = self.doc.get("body", type=Text)
        self.reconnect = reconnect
        self.max_size = max_size
        self.denied: list[str] = []  # reasons the server gave for refusing our updates
        self.close_code: int | None = None
        self.close_reason = ""
        self.connections = 0
        self._ws: ClientConnection | None = None
        self._sent = 0  # updates sent on the current connection
        self._saved = 0  # of those, acknowledged durable by the server
        self._synced = asyncio.Event()
        self._changed = asyncio.Event()
        self._stopped = False
        self._task: asyncio.Task[None] | None = None
        self._outbox: asyncio.Queue[bytes] = asyncio.Queue()
        self._applying_remote = False  # set while a server update is applied: not ours to send
        self._subscription = self.doc.observe(self._on_local_change)

    async def __aenter__(self) -> LiveDocument:
        await self.start()
        await self.wait_synced()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def close(self) -> None:
        self._stopped = True
        if self._ws is not None:
            await self._ws.close()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, LiveError):
                await asyncio.wait_for(self._task, timeout=10)

    # Editing ---------------------------------------------------------------------------------

    def insert(self, index: int, value: str) -> None:
        """Insert ``value`` at code-point ``index``."""
        current = self.value
        self.text.insert(_utf8_offset(current, index), value)

    def delete(self, index: int, length: int) -> None:
        """Delete ``length`` code points from code-point ``index``."""
        current = self.value
        start = _utf8_offset(current, index)
        del self.text[start : start + _utf8_offset(current[index:], length)]

    @property
    def value(self) -> str:
        return str(self.text)

    @property
    def connected(self) -> bool:
        return self._ws is not None

    @property
    def sent(self) -> int:
        """Update messages sent on the current connection (our sync step 2 included)."""
        return self._sent

    @property
    def saved(self) -> int:
        """Of those, how many the server reported durable."""
        return self._saved

    @property
    def unsaved(self) -> int:
        return self._sent - self._saved

    # Waiting ---------------------------------------------------------------------------------

    async def wait_synced(self, timeout: float = 30) -> None:
        await self._wait(self._synced.is_set, timeout, "sync")

    async def wait_saved(self, timeout: float = 30) -> None:
        """Until every update sent on this connection is acknowledged durable; after a
        reconnection, only once the resync is done (the server's state received, ours sent
        back), so nothing from before the reconnection is left out."""
        await self._wait(
            lambda: self.connected and self._synced.is_set() and self._saved >= self._sent,
            timeout,
            "save",
        )

    async def wait_for_text(self, expected: str, timeout: float = 30) -> None:
        await self._wait(lambda: self.value == expected, timeout, "text")

    async def _wait(self, done: Any, timeout: float, what: str) -> None:
        async def loop() -> None:
            while not done():
                if self._task is not None and self._task.done():
                    self._task.result()  # raises the LiveError that ended the connection
                    raise LiveError(f"connection ended before {what}", self.close_code)
                self._changed.clear()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), 0.5)

        try:
            await asyncio.wait_for(loop(), timeout)
        except TimeoutError:
            raise LiveError(f"timed out waiting for {what}", self.close_code) from None

    # Connection ------------------------------------------------------------------------------

    async def _run(self) -> None:
        delay = 0.05
        while not self._stopped:
            try:
                async with connect(self.url, max_size=self.max_size, open_timeout=10) as ws:
                    delay = 0.05
                    await self._session(ws)
            except ConnectionClosed as closed:
                frame = closed.rcvd
                self.close_code = frame.code if frame is not None else None
                self.close_reason = frame.reason if frame is not None else ""
            except (TimeoutError, OSError, InvalidStatus) as error:
                log.debug("connect to %s failed: %r", self.url, error)
            finally:
                self._ws = None
                self._synced.clear()
                self._changed.set()
            if self._stopped:
                return
            if self.close_code in FINAL_CLOSE_CODES or not self.reconnect:
                raise LiveError(
                    f"closed by server: {self.close_code} {self.close_reason}", self.close_code
                )
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)

    async def _session(self, ws: ClientConnection) -> None:
        self._outbox = asyncio.Queue()
        self._ws = ws
        self._sent = self._saved = 0
        self.connections += 1
        self._outbox.put_nowait(create_sync_message(self.doc))
        writer = asyncio.get_running_loop().create_task(_drain(ws, self._outbox))
        try:
            async for frame in ws:
                if isinstance(frame, str):
                    continue
                self._handle(frame)
                self._changed.set()
        finally:
            writer.cancel()
        self.close_code = ws.close_code
        self.close_reason = ws.close_reason or ""

    def _handle(self, frame: bytes) -> None:
        kind = frame[0]
        if kind == YMessageType.SYNC:
            sync_kind = frame[1]
            self._applying_remote = True
            try:
                reply = handle_sync_message(frame[1:], self.doc)
            finally:
                self._applying_remote = False
            if reply is not None:
                self._sent += 1  # our step 2 counts as one update on the server's side
                self._outbox.put_nowait(reply)
            if sync_kind == YSyncMessageType.SYNC_STEP2:
                self._synced.set()
        elif kind == MESSAGE_SAVED:
            self._saved = _Decoder(frame[1:]).read_var_uint()
        elif kind == MESSAGE_AUTH and len(frame) > 1 and frame[1] == 0:
            self.denied.append(_Decoder(frame[2:]).read_var_string())

    def _on_local_change(self, event: TransactionEvent) -> None:
        if self._applying_remote or self._ws is None:
            return
        self._sent += 1
        self._outbox.put_nowait(create_update_message(event.update))


def _utf8_offset(text: str, index: int) -> int:
    """pycrdt 0.14 indexes Text by UTF-8 bytes, not code points (y-crdt/pycrdt#308)."""
    if not 0 <= index <= len(text):
        raise IndexError(f"index {index} outside a text of {len(text)} characters")
    return index if text.isascii() else len(text[:index].encode("utf-8"))


async def _drain(ws: ClientConnection, outbox: asyncio.Queue[bytes]) -> None:
    """One writer per connection keeps frames in the order they were produced."""
    with contextlib.suppress(ConnectionClosed):
        while True:
            await ws.send(await outbox.get())
