"""A request id for every request, in the response, in error bodies and in every log line.

The id is the caller's `X-Request-ID` when it is a short token (letters, digits, `.`, `_`, `-`;
at most 64), so a proxy's id carries through; otherwise a new random one. It is returned in the
`X-Request-ID` header, put into error bodies (`error.request_id`, `search_service.errors`) and
into every log line written while the request is handled (`current_request_id`).

Each request is logged once, after it is answered, by the `blok.access` logger: method, path,
status and duration; the same timing goes to the app's metrics (`search_service.metrics`).
The query string only with `BLOK_LOGS__LOG_QUERY_STRINGS` (a web UI search carries the
question in it); the client's address never (uvicorn's own access log is off).
`log_config` is the logging set-up of `blok serve`: text lines or one JSON object per line.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import time
import uuid
from contextvars import ContextVar
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.settings import LogSettings
from search_service.metrics import ServiceMetrics

REQUEST_ID_HEADER = "X-Request-ID"
GIVEN_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
ACCESS_FIELDS = ("method", "path", "status", "duration_ms")
access_logger = logging.getLogger("blok.access")
_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request being handled in this context (None outside a request)."""
    return _request_id.get()


class RequestLog:
    """ASGI middleware: request id in, header out, one access log line per request."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        log_query_strings: bool = False,
        metrics: ServiceMetrics | None = None,
    ) -> None:
        self.app = app
        self.log_query_strings = log_query_strings
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if GIVEN_ID.fullmatch(given) else uuid.uuid4().hex
        token = _request_id.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            path = scope["path"]
            if self.log_query_strings and scope.get("query_string"):
                path += "?" + scope["query_string"].decode("latin-1")
            seconds = time.perf_counter() - started
            if self.metrics is not None:
                self.metrics.answered(scope, status, seconds)
            duration_ms = round(seconds * 1000, 1)
            access_logger.info(
                "%s %s %s %.1f ms",
                scope["method"],
                path,
                status,
                duration_ms,
                extra={
                    "method": scope["method"],
                    "path": path,
                    "status": status,
                    "duration_ms": duration_ms,
                },
            )
            _request_id.reset(token)


class RequestIdFilter(logging.Filter):
    """Gives every record the current request id (`-` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id() or "-"
        return True


class JsonLines(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request id, request fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", "-")
        if request_id != "-":
            entry["request_id"] = request_id
        for name in ACCESS_FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def log_config(settings: LogSettings) -> dict[str, Any]:
    """The `logging.config.dictConfig` of `blok serve`: our loggers and uvicorn's, on stderr."""
    formatter: dict[str, Any] = (
        {"()": JsonLines}
        if settings.format == "json"
        else {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    )
    handler = {
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
        "formatter": "service",
        "filters": ["request_id"],
    }
    quiet = {"handlers": ["stderr"], "level": "INFO", "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"service": formatter},
        "handlers": {"stderr": handler},
        "loggers": {
            "uvicorn": quiet,
            "uvicorn.error": {"level": "INFO"},
            "uvicorn.access": quiet,
            "haystack": {"level": "WARNING"},  # not a line per pipeline component and request
        },
        "root": {"handlers": ["stderr"], "level": "INFO"},
    }
