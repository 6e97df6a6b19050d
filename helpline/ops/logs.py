"""Log lines operators can read and machines can parse, web and worker alike.

Every line carries the time (UTC, ISO 8601 with milliseconds), the level and the
logger's name. Two shapes, chosen with LOG_FORMAT:

- `text` (the default): `2026-12-05T21:50:49.123Z INFO helpline.mail: message`,
  a traceback on the lines after it;
- `json`: one JSON object per line, `{"time", "level", "logger", "message"}`, and
  `"exception"` with the traceback when there is one (a multi-line traceback stays
  inside its one line, so a log shipper never splits an error in pieces).

Django (settings.LOGGING) and gunicorn (gunicorn.conf.py, `gunicorn_logging`)
use the same formatters. This module imports nothing of Django's, so gunicorn's
configuration can load it before Django starts.
"""

from __future__ import annotations

import json
import logging
import logging.config
import os
from datetime import UTC, datetime
from typing import Any


def _time(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class TextFormatter(logging.Formatter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return _time(record)

    def format(self, record: logging.LogRecord) -> str:
        return f"{_time(record)} {super().format(record)}"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _time(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure(config: dict[str, Any]) -> None:
    """settings.LOGGING_CONFIG: Django's dictConfig, and Python's warnings (a
    library's UserWarning printed on stderr) as log lines on `py.warnings`, so no
    line of the process escapes the format."""
    logging.config.dictConfig(config)
    logging.captureWarnings(True)


FORMATTERS = {
    "text": {"()": "helpline.ops.logs.TextFormatter"},
    "json": {"()": "helpline.ops.logs.JsonFormatter"},
}


def log_format() -> str:
    """ "json" when LOG_FORMAT says so, else "text"."""
    return "json" if os.environ.get("LOG_FORMAT", "").strip().lower() == "json" else "text"


def gunicorn_logging() -> dict[str, Any]:
    """gunicorn's `logconfig_dict`: its error log on stderr and its access log on
    stdout, in the same shape as Django's lines."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"helpline": FORMATTERS[log_format()]},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "helpline",
                "stream": "ext://sys.stderr",
            },
            "stdout": {
                "class": "logging.StreamHandler",
                "formatter": "helpline",
                "stream": "ext://sys.stdout",
            },
        },
        "root": {"level": "INFO", "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
        },
    }
