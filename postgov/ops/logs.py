"""Structured logs: one JSON object a line, each with the id of the request it belongs to.

Imported by the logging configuration (settings.LOGGING) before the apps are loaded: no
model, no Django import here. What goes into a line is the log call's message and a few
named fields; request bodies, query strings, addresses and account names are never added
(see the middleware)."""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime

# The id of the request being answered in this thread or task ("" outside a request).
request_id: ContextVar[str] = ContextVar("request_id", default="")

# Fields a log call may pass with `extra=` that are written out as they are.
FIELDS = ("route", "method", "status", "duration_ms")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            record.request_id = request_id.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "") or request_id.get() or None,
        }
        for name in FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)
