"""Websocket close codes, named once. 4xxx mirror the HTTP status of the same meaning."""

from __future__ import annotations

from enum import IntEnum


class CloseCode(IntEnum):
    NORMAL = 1000
    GOING_AWAY = 1001  # the server is shutting down; reconnect later
    TRANSPORT_TOO_BIG = 1009  # sent by the websocket layer itself for frames past its limit
    # The member's role changed: reconnect to go on with the new one. Outside 4400-4499 on
    # purpose, since stock y-websocket clients stop reconnecting on those (hocuspocus: 4205).
    RESET_CONNECTION = 4205
    BAD_MESSAGE = 4400  # malformed frame, text frame, or an update the CRDT engine refused
    UNAUTHORIZED = 4401  # missing, unknown or revoked token
    FORBIDDEN = 4403  # authenticated, but no role on this document
    DOCUMENT_NOT_FOUND = 4404  # no such document
    TIMEOUT = 4408  # the handshake took too long, or the client sent nothing for too long
    MESSAGE_TOO_LARGE = 4413  # a frame, update, document or awareness state above its limit
    FORBIDDEN_CONTENT = 4422  # an update outside the content rules (plain text in body only)
    TOO_SLOW = 4429  # too slow to read, too many updates or connections, too many bad tokens
    INTERNAL_ERROR = 4500  # the room could not be loaded or failed; nothing persisted is lost

    @property
    def meaning(self) -> str:
        return _MEANINGS[self]


_MEANINGS = {
    CloseCode.NORMAL: "normal closure",
    CloseCode.GOING_AWAY: "server shutting down",
    CloseCode.TRANSPORT_TOO_BIG: "frame too large for the transport",
    CloseCode.RESET_CONNECTION: "role changed; reconnect",
    CloseCode.BAD_MESSAGE: "malformed message",
    CloseCode.UNAUTHORIZED: "missing or invalid token",
    CloseCode.FORBIDDEN: "no role on this document",
    CloseCode.DOCUMENT_NOT_FOUND: "unknown document",
    CloseCode.TIMEOUT: "timed out",
    CloseCode.MESSAGE_TOO_LARGE: "message too large",
    CloseCode.FORBIDDEN_CONTENT: "update refused by the content rules",
    CloseCode.TOO_SLOW: "client too slow to keep up",
    CloseCode.INTERNAL_ERROR: "internal error",
}
