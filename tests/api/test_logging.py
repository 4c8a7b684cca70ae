"""Structured logs: each request writes one JSON line with its id, route, status, timing and caller."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from api.logging_setup import JsonFormatter, access_log, uvicorn_log_config
from tests.api.conftest import Api


@pytest.fixture
def access_lines() -> Iterator[io.StringIO]:
    """The access logger's output, formatted exactly as the service formats it on stderr."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter())
    previous_level = access_log.level
    access_log.addHandler(handler)
    access_log.setLevel(logging.INFO)
    try:
        yield buffer
    finally:
        access_log.removeHandler(handler)
        access_log.setLevel(previous_level)


def parsed(buffer: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_an_authenticated_request_logs_one_json_line_with_its_caller(api: Api, access_lines: io.StringIO) -> None:
    headers = api.headers("corporate_admin")  # signs in first: that request logs a line of its own
    access_lines.truncate(0)
    access_lines.seek(0)
    response = api.client.get(f"/api/v1/lcs/{api.seed.lc_id}", headers=headers)
    assert response.status_code == 200
    [line] = parsed(access_lines)
    assert line["method"] == "GET"
    assert line["path"] == f"/api/v1/lcs/{api.seed.lc_id}"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["request_id"] == response.headers["x-request-id"]
    assert line["organization_id"] == api.seed.orgs["beneficiary"]
    assert isinstance(line["user_id"], str) and line["user_id"]
    assert line["logger"] == "blocktrade.access" and line["level"] == "info"


def test_an_anonymous_failure_logs_its_status_and_no_caller(api: Api, access_lines: io.StringIO) -> None:
    response = api.client.get("/api/v1/lcs", headers={"X-Request-ID": "trace-42"})
    assert response.status_code == 401
    [line] = parsed(access_lines)
    assert line["status"] == 401
    assert line["request_id"] == "trace-42" == response.headers["x-request-id"]
    assert line["user_id"] is None and line["organization_id"] is None


def test_an_unsafe_request_id_is_replaced_not_echoed(api: Api, access_lines: io.StringIO) -> None:
    response = api.client.get("/health", headers={"X-Request-ID": "a b\"{}"})
    [line] = parsed(access_lines)
    assert line["request_id"] == response.headers["x-request-id"] != 'a b"{}'
    assert len(str(line["request_id"])) == 32


def test_uvicorn_config_replaces_the_access_log_with_json_on_stderr() -> None:
    config = uvicorn_log_config()
    assert config["loggers"]["uvicorn.access"]["propagate"] is False
    assert config["loggers"]["uvicorn.access"]["handlers"] == []
    assert config["handlers"]["stderr"]["stream"] == "ext://sys.stderr"
    formatter_factory = config["formatters"]["json"]["()"]
    module, _, name = formatter_factory.rpartition(".")
    assert (module, name) == ("api.logging_setup", "JsonFormatter")


def test_the_formatter_keeps_extras_and_exceptions_on_one_line() -> None:
    record = logging.LogRecord("blocktrade.x", logging.ERROR, __file__, 1, "failed %s", ("twice",), None)
    try:
        raise ValueError("boom\nsecond line")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    record.job_id = "j-1"
    text = JsonFormatter().format(record)
    assert "\n" not in text
    line = json.loads(text)
    assert line["message"] == "failed twice" and line["job_id"] == "j-1" and line["level"] == "error"
    assert "ValueError: boom" in line["exception"]
