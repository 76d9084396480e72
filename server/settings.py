"""Configuration: read from the environment once, at start-up, into one frozen object."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields

from palabre.domain.errors import InvalidInput

DEFAULT_DATABASE = "sqlite:///./palabre.sqlite3"


@dataclass(frozen=True)
class Settings:
    """Every setting, its environment variable, and its default. The README lists them all."""

    database: str = DEFAULT_DATABASE
    batch_window_ms: int = 50
    batch_max_updates: int = 512
    batch_max_bytes: int = 1 << 20
    checkpoint_every: int = 1000
    max_message_bytes: int = 8 << 20
    send_queue: int = 4096
    send_queue_bytes: int = 32 << 20  # the same bound in bytes (sync answers can be large)
    # Weak links (issue 13): a first sync or a catch-up goes out in messages of at most this
    # many bytes, and a connection sent nothing for this long gets a keepalive message.
    max_sync_message_bytes: int = 64 << 10
    keepalive_seconds: int = 10
    # Websocket compression (issue 12): per message (large ones compressed once for every
    # recipient, small ones sent as they are), per connection (every message, each
    # connection's own context: uvicorn's way), or off; see server/live/transport.py.
    compression: str = "per-message"
    compress_min_bytes: int = 1024
    max_pending_bytes: int = 64 << 20
    store_threads: int = 4
    log_level: str = "info"
    public_url: str = ""  # the address members open, for invitation links; "" = as requested
    # Limits on what one connection, member or room may send or hold (issue 11).
    max_update_bytes: int = 2 << 20  # one document update (close 4413)
    max_document_bytes: int = 16 << 20  # the text of one document, in UTF-8 bytes (4413)
    check_inline_bytes: int = 16 << 10  # updates up to this size are checked in the loop
    check_timeout_ms: int = 2000  # larger ones, in a worker process, within this (4422)
    check_processes: int = 1  # worker processes for the update check
    update_check: str = "on"  # "off" for benchmarks only: updates reach the log unchecked
    client_ids_per_member: int = 256  # Yjs client ids one member may write under, per room
    updates_per_second: int = 100  # per connection; above it reading slows down
    member_updates_per_second: int = 200  # per member, over all their connections
    awareness_per_second: int = 20  # awareness messages per connection
    max_awareness_bytes: int = 16 << 10  # one awareness state (4413)
    throttle_seconds: int = 10  # held to its rate this long without a pause: close 4429
    connections_per_member: int = 16  # live connections of one member, every document (4429)
    handshake_timeout_ms: int = 10000  # from the upgrade to a joined room (4408)
    idle_timeout_seconds: int = 300  # no frame from the client this long (4408)
    auth_failures_per_minute: int = 30  # per client address; then 429 / 4429 for a minute
    # A token and member closed for hostile input (4400, 4413, 4422, 1002, 1007, 1009) are
    # refused (4429) this long, doubling with each such close up to the cap (server/cooldowns.py).
    cooldown_seconds: int = 1
    cooldown_max_seconds: int = 60
    allowed_origins: str = ""  # extra websocket origins, comma-separated (see the README)
    log_format: str = "auto"  # "json", "text", or "auto": JSON unless standard error is a tty
    ready_max_lag: int = 10000  # notifications the projections may trail before /readyz fails
    poll_ms: int = 1000  # how often rooms and the channel check the log for missed wake-ups
    export_fonts: str = ""  # folders of the PDF exports' DejaVu fonts, ":"-separated; "" = Debian's

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        environ = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for field in fields(cls):
            name = env_name(field.name)
            if name not in environ:
                continue
            raw = environ[name].strip()
            if field.type == "int":
                try:
                    number = int(raw)
                except ValueError:
                    raise InvalidInput(f"{name} must be a whole number, not {raw!r}") from None
                if number < 1:
                    raise InvalidInput(f"{name} must be at least 1, not {number}")
                values[field.name] = number
            else:
                values[field.name] = raw
        settings = cls(**values)  # type: ignore[arg-type]
        if settings.log_level not in ("critical", "error", "warning", "info", "debug"):
            raise InvalidInput(f"PALABRE_LOG_LEVEL: unknown level {settings.log_level!r}")
        if settings.log_format not in ("auto", "json", "text"):
            raise InvalidInput(f"PALABRE_LOG_FORMAT: unknown format {settings.log_format!r}")
        if settings.update_check not in ("on", "off"):
            raise InvalidInput(
                f"PALABRE_UPDATE_CHECK: 'on' or 'off', not {settings.update_check!r}"
            )
        if settings.compression not in ("per-message", "per-connection", "off"):
            raise InvalidInput(
                f"PALABRE_COMPRESSION: {settings.compression!r} is not per-message, "
                "per-connection or off"
            )
        if settings.public_url and not settings.public_url.startswith(("http://", "https://")):
            raise InvalidInput("PALABRE_PUBLIC_URL must start with http:// or https://")
        for origin in settings.origins():
            if not origin.startswith(("http://", "https://")) or origin.count("/") != 2:
                raise InvalidInput(
                    f"PALABRE_ALLOWED_ORIGINS: {origin!r} is not an origin (scheme://host[:port])"
                )
        return settings

    def origins(self) -> list[str]:
        """The websocket origins allowed besides the page's own: PALABRE_PUBLIC_URL's and
        those listed in PALABRE_ALLOWED_ORIGINS."""
        listed = [o.strip().rstrip("/") for o in self.allowed_origins.split(",") if o.strip()]
        public = self.public_url.rstrip("/")
        if public:
            listed.append("/".join(public.split("/")[:3]))
        return listed


def env_name(field_name: str) -> str:
    return "PALABRE_" + field_name.upper()
