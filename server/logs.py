"""How a Palabre process logs: one line per record on standard error, as JSON objects when
standard error is not a terminal (``PALABRE_LOG_FORMAT=auto``, the default) so that a log
collector can read them, as plain text on a terminal.

Each JSON line holds ``time`` (UTC, ISO-8601), ``level``, ``logger``, ``message``,
``instance`` (host and process id), and, when the record was made on behalf of one,
``document_id`` (set by the live endpoint and the HTTP wrapper, :data:`log_document`) and
``member_id`` (the connection's member, or the acting member of an HTTP request), then
``exception`` for a traceback. Tokens never reach a
line: ``token=`` values in URLs, bearer credentials and anything shaped like a Palabre token
are replaced by ``***`` in the message and the traceback, whatever logger wrote them.

A crash of the formatter itself is uncaught by design (logging reports it on standard error
and goes on); nothing is buffered, so a killed process loses no line it had written.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from uuid import UUID

import orjson
from palabre.domain.actor import acting_member
from palabre.domain.member import TOKEN_PREFIX

SECRET = re.compile(
    r"(?P<key>token=|[Bb]earer\s+|#invite=)[^&\s\"']+|" + re.escape(TOKEN_PREFIX) + r"[\w-]+"
)
log_document: ContextVar[UUID | None] = ContextVar("log_document", default=None)
log_member: ContextVar[UUID | None] = ContextVar("log_member", default=None)
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def redact(text: str) -> str:
    return SECRET.sub(lambda m: (m.group("key") or "") + "***", text)


class RedactSecrets(logging.Filter):
    """Render the message with its arguments, then take every secret out of it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True


class JsonFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__()
        self._instance = f"{socket.gethostname()}:{os.getpid()}"

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
            "instance": self._instance,
        }
        document_id = log_document.get()
        member_id = log_member.get() or acting_member.get()
        if document_id is not None:
            line["document_id"] = str(document_id)
        if member_id is not None:
            line["member_id"] = str(member_id)
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        return orjson.dumps(line).decode("utf-8")


def use_json(log_format: str, stream: object = None) -> bool:
    if log_format != "auto":
        return log_format == "json"
    stream = sys.stderr if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    return not (callable(isatty) and isatty())


def configure(level: str, log_format: str) -> None:
    """Replace the root logger's handlers with one on standard error; uvicorn's loggers
    propagate to it (``serve`` gives uvicorn ``log_config=None``)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactSecrets())
    formatter = JsonFormatter() if use_json(log_format) else logging.Formatter(TEXT_FORMAT)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
