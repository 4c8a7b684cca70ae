"""Structured logs: one JSON object per line on stderr, and an access-log middleware.

``configure_json_logging()`` points the root logger (and uvicorn's loggers) at one stderr
handler that writes every record as a single JSON line; uvicorn's own access log is turned
off because ``AccessLogMiddleware`` writes a richer line per request: request id, method,
path, status, duration in ms, and the caller's user id / organisation once authentication
has run (``request.state.principal``, set by ``api.auth.deps``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
import time
import uuid
from typing import IO, Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

access_log = logging.getLogger("blocktrade.access")

REQUEST_ID_HEADER = b"x-request-id"
# a caller's request id is echoed only if it is short and plain (it ends up in log lines)
_SAFE_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._:-]{1,100}$")
# the attributes every LogRecord has; anything else came in through ``extra=`` and is logged
# (uvicorn's ``color_message`` repeats the message with terminal colour codes: not for a log file)
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "color_message"}


class JsonFormatter(logging.Formatter):
    """A record as one line of JSON: time (UTC, ISO 8601), level, logger, message and extras."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def configure_json_logging(level: int = logging.INFO, stream: IO[str] | None = None) -> logging.Handler:
    """Route every logger to one JSON-lines handler on ``stream`` (stderr by default)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers = []
        uvicorn_logger.propagate = True
    # replaced by AccessLogMiddleware's line, which knows the route's caller
    logging.getLogger("uvicorn.access").disabled = True
    return handler


def uvicorn_log_config(level: str = "INFO") -> dict[str, Any]:
    """The same setup as a ``logging.config.dictConfig`` for uvicorn's ``log_config``: uvicorn
    applies it in every worker process it starts, so ``--workers N`` logs JSON too."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            # replaced by AccessLogMiddleware's line, which knows the route's caller
            "uvicorn.access": {"handlers": [], "propagate": False, "level": "CRITICAL"},
        },
    }


class AccessLogMiddleware:
    """One log record per HTTP request, with a request id echoed as ``X-Request-ID``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        offered = dict(scope["headers"]).get(REQUEST_ID_HEADER)
        request_id = offered.decode() if offered and _SAFE_REQUEST_ID.match(offered) else uuid.uuid4().hex
        start = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (REQUEST_ID_HEADER, request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            principal = (scope.get("state") or {}).get("principal")
            access_log.info(
                "%s %s %s", scope["method"], scope["path"], status,
                extra={
                    "request_id": request_id,
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round((time.perf_counter() - start) * 1000, 3),
                    "user_id": getattr(principal, "user_id", None),
                    "api_key_id": principal.id if principal is not None and principal.kind == "api_key" else None,
                    "organization_id": getattr(principal, "organization_id", None),
                },
            )
