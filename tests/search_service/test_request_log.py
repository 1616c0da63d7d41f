"""Request ids and the service log: one line per request, no question text, JSON on request."""

from __future__ import annotations

import json
import logging
import logging.config
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from core.settings import LogSettings
from search_service.app import create_app
from search_service.request_log import JsonLines, RequestIdFilter, log_config
from tests.search_service.test_api import assert_error_shape
from tests.support.helpers import make_settings

QUESTION = "Wie unterstützt das Jobcenter Frau Mustermann?"


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    """The app without start-up: unknown routes and refused bodies need no store."""
    return TestClient(create_app(make_settings(tmp_path)))


def test_every_answer_carries_a_request_id_also_in_error_bodies(client: TestClient) -> None:
    first = client.get("/gibt-es-nicht")
    second = client.get("/gibt-es-nicht")
    assert first.status_code == 404
    assert_error_shape(first.json(), "not_found")
    ids = [response.headers["x-request-id"] for response in (first, second)]
    assert ids[0] != ids[1] and all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    assert first.json()["error"]["request_id"] == ids[0]

    given = client.get("/gibt-es-nicht", headers={"X-Request-ID": "proxy-4711.a_b"})
    assert given.headers["x-request-id"] == "proxy-4711.a_b"
    forged = client.get("/gibt-es-nicht", headers={"X-Request-ID": 'x" injected=1'})
    assert re.fullmatch(r"[0-9a-f]{32}", forged.headers["x-request-id"])
    too_large = client.post("/v1/search", content=b"{" + b" " * (2 << 20) + b"}")
    assert too_large.status_code == 413
    assert too_large.json()["error"]["request_id"] == too_large.headers["x-request-id"]


def test_the_access_line_has_no_query_string_unless_asked(
    client: TestClient, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    with caplog.at_level(logging.INFO, logger="blok.access"):
        client.get("/gibt-es-nicht", params={"q": QUESTION})
    (line,) = [r for r in caplog.records if r.name == "blok.access"]
    assert line.getMessage().startswith("GET /gibt-es-nicht 404 ")
    assert "Mustermann" not in line.getMessage() and "testclient" not in line.getMessage()
    caplog.clear()

    settings = make_settings(tmp_path / "b", logs={"log_query_strings": True})
    with caplog.at_level(logging.INFO, logger="blok.access"):
        TestClient(create_app(settings)).get("/gibt-es-nicht", params={"q": "Kennzahlen"})
    (line,) = [r for r in caplog.records if r.name == "blok.access"]
    assert "?q=Kennzahlen" in line.getMessage()


def test_json_lines_hold_the_request_fields() -> None:
    record = logging.LogRecord("blok.access", logging.INFO, __file__, 1, "GET / 200", (), None)
    record.method, record.path, record.status, record.duration_ms = "GET", "/", 200, 3.5
    RequestIdFilter().filter(record)
    entry = json.loads(JsonLines().format(record))
    assert entry["level"] == "info" and entry["logger"] == "blok.access"
    assert (entry["method"], entry["path"], entry["status"], entry["duration_ms"]) == (
        "GET",
        "/",
        200,
        3.5,
    )
    assert "request_id" not in entry  # outside a request


def test_the_serve_log_configuration_is_valid() -> None:
    root = logging.getLogger()
    kept = (root.handlers[:], root.level)
    try:
        for format_name in ("text", "json"):
            logging.config.dictConfig(log_config(LogSettings(format=format_name)))
            (handler,) = root.handlers
            assert isinstance(handler.formatter, JsonLines) == (format_name == "json")
    finally:
        root.handlers[:] = kept[0]
        root.setLevel(kept[1])
