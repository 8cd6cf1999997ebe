"""Structured JSON logs with secrets redacted — the daemon's only log format."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from okr_sync.connectors.redact import redact

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line; every string passes through :func:`redact` with the configured secrets."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def format(self, record: logging.LogRecord) -> str:
        """The record as a redacted JSON line."""
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return redact(json.dumps(entry, default=str), self.secrets)


def configure_logging(secrets: Iterable[str], *, level: int = logging.INFO) -> None:
    """Route every okr-sync log to stderr as redacted JSON."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def store_address(url: str) -> str:
    """The state store's URL as it may be logged: the password masked (``postgresql+psycopg://okr:***@db/okr``)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(not a database URL)"


def log_what_runs(runtime: Any) -> None:
    """One line at start: which configuration file, which state store and which trackers this daemon uses —
    so an image's or an environment's override of the file never goes unnoticed."""
    settings = runtime.settings
    logging.getLogger("okr_sync.daemon").info(
        "okr-sync starting", extra={"config": runtime.loaded.file or "(none)",
                                    "store": store_address(settings.state.url),
                                    "trackers": {name: tracker.kind for name, tracker in settings.trackers.items()}})
