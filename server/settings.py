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
    max_pending_bytes: int = 64 << 20
    store_threads: int = 4
    log_level: str = "info"
    public_url: str = ""  # the address members open, for invitation links; "" = as requested
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
        if settings.public_url and not settings.public_url.startswith(("http://", "https://")):
            raise InvalidInput("PALABRE_PUBLIC_URL must start with http:// or https://")
        return settings


def env_name(field_name: str) -> str:
    return "PALABRE_" + field_name.upper()
