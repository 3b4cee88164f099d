"""Structured logs: one JSON object per line, with the Slack request's correlation id.

Every process calls `configure(service=...)` once at start. The correlation id lives in a
contextvar: the bot sets it per Slack request, the gRPC server interceptor (clinops.rpc) sets it
per call from the caller's metadata, so one command can be followed through every process.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TextIO

correlation_id: contextvars.ContextVar[str] = contextvars.ContextVar(
    "clinops_correlation_id", default="")

# Defence in depth: code never logs a secret on purpose, but a library might echo a header or a
# URL. Slack tokens (xoxb-, xapp-, xoxp-...), bearer credentials and signing headers are masked.
_SECRET_PATTERNS = (
    re.compile(r"xox[abposr]-[A-Za-z0-9-]+"),
    re.compile(r"xapp-[A-Za-z0-9-]+"),
    re.compile(r"(?i)(bearer\s+)[^\s'\",]+"),
    re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)[^\s'\",]+"),
    re.compile(r"(?i)(x-slack-signature['\"]?\s*[:=]\s*['\"]?)[^\s'\",]+"),
)


def redact(text: str) -> str:
    """`text` with anything shaped like a token or credential replaced by ***."""
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + "***", text)
    return text


@contextmanager
def correlated(value: str) -> Iterator[None]:
    """Log records inside this block carry `value` as their correlation id."""
    token = correlation_id.set(value)
    try:
        yield
    finally:
        correlation_id.reset(token)


class JsonFormatter(logging.Formatter):
    """time (UTC, ISO 8601), level, logger, message, correlation_id, service — one line each."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "correlation_id": correlation_id.get(),
            "service": self.service,
        }
        if record.exc_info:
            # The exception's type and where it was raised; its text may quote request data.
            line["error"] = redact(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False)


def configure(*, service: str, level: int = logging.INFO,
              stream: TextIO | None = None) -> logging.Handler:
    """Send every log record of this process to `stream` (stderr) as JSON lines."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    # Alembic announces each of its plugins at INFO on every start; the migrations are enough.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    return handler
