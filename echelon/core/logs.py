"""Log lines that carry the request id, as text or as JSON (``LOG_FORMAT=json``; ADR 19).

``RequestIdFilter`` (on the console handler in settings) puts ``request_id`` on every record: the id bound
by ``RequestContextMiddleware`` for a request (or by a command or a job), else the id of the request a
record is about (Django's own ``django.request`` lines, written after the middleware has returned), else
"-". The text format shows it after the level; ``JsonFormatter`` writes one JSON object a line for log
collectors: time (UTC, ISO 8601), level, logger, message, request_id, and the traceback when there is one.
"""

from __future__ import annotations

import datetime
import json
import logging

from echelon.core import context


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        rid = context.bound_request_id()
        if not rid:
            request = getattr(record, "request", None)
            rid = getattr(request, "request_id", "") or ""
        record.request_id = rid or "-"
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, object] = {
            "time": datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        status = getattr(record, "status_code", None)
        if isinstance(status, int):
            out["status"] = status
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)
