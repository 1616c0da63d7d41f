"""Bounded, strictly typed input: no body, filter, id or range from a caller gives a 500.

Regression tests of the probe in the hardening issue: a 96 MB filter was accepted and logged,
scalars where lists belong and ids above SQLite's integers raised, range errors were plain text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from core.errors import MAX_ID
from core.filters import LOGGED_FILTER_VALUES, MAX_FILTER_VALUES
from search_service.app import SECURITY_HEADERS
from tests.search_service.test_api import assert_error_shape
from tests.support.helpers import context_of
from tests.support.registry_sql import sql_rows

pytestmark = pytest.mark.model
QUERY = "Wie binden Jobcenter Arbeitgeber ein?"
FILTER_FIELDS = ("kind", "ring", "topic", "job_centre", "document_id")


def query_log_size(client: TestClient) -> int:
    rows = sql_rows(context_of(client).registry, "SELECT COUNT(*) AS n FROM query_log")
    return int(rows[0]["n"])


def fields_of(response_body: dict[str, object]) -> set[str]:
    details = response_body["error"]["details"]  # type: ignore[index]
    return {str(detail["field"]) for detail in details}  # type: ignore[attr-defined,index]


@pytest.mark.parametrize("route", ["/v1/search", "/v1/ask"])
def test_a_body_over_the_limit_is_refused_before_it_is_read(
    demo_client: TestClient, route: str
) -> None:
    before = query_log_size(demo_client)
    ids = [f"{n:016x}" for n in range(150_000)]  # about 2.7 MB, over the 1 MiB default
    response = demo_client.post(route, json={"query": QUERY, "filters": {"document_id": ids}})
    assert response.status_code == 413
    assert_error_shape(response.json(), "too_large")
    assert "BLOK_SERVER__MAX_BODY_KB" in response.json()["error"]["message"]
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert query_log_size(demo_client) == before


def test_a_chunked_body_over_the_limit_is_refused_too(demo_client: TestClient) -> None:
    body = json.dumps({"query": QUERY, "filters": {"topic": ["x" * 100] * 12_000}}).encode()

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 65_536):
            yield body[start : start + 65_536]

    response = demo_client.post(
        "/v1/search", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert_error_shape(response.json(), "too_large")


def test_a_chunked_body_within_the_limit_is_served(demo_client: TestClient) -> None:
    body = json.dumps({"query": QUERY, "top_k": 2}).encode()
    response = demo_client.post(
        "/v1/search",
        content=iter([body[:10], body[10:]]),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 200 and len(response.json()["results"]) == 2


@pytest.mark.parametrize("field", FILTER_FIELDS)
def test_more_filter_values_than_the_bound_are_a_422_naming_the_field(
    demo_client: TestClient, field: str
) -> None:
    values = ["protokoll" if field == "kind" else f"vr{n % 9 + 1}" for n in range(51)]
    assert len(values) > MAX_FILTER_VALUES
    response = demo_client.post("/v1/search", json={"query": QUERY, "filters": {field: values}})
    assert response.status_code == 422
    assert_error_shape(response.json(), "invalid_request")
    assert f"filters.{field}" in fields_of(response.json())


@pytest.mark.parametrize("field", FILTER_FIELDS)
@pytest.mark.parametrize("value", [1.5, 3, True, {"vr3": 1}, [1.5], "x" * 201])
def test_a_filter_of_the_wrong_type_is_a_422_never_coerced(
    demo_client: TestClient, field: str, value: object
) -> None:
    for route in ("/v1/search", "/v1/ask"):
        response = demo_client.post(route, json={"query": QUERY, "filters": {field: value}})
        assert response.status_code == 422, (route, field, value, response.text)
        assert_error_shape(response.json(), "invalid_request")
        assert any(name.startswith(f"filters.{field}") for name in fields_of(response.json()))


def test_one_text_per_filter_field_is_still_taken(demo_client: TestClient) -> None:
    response = demo_client.post("/v1/search", json={"query": QUERY, "filters": {"ring": "VR 3"}})
    assert response.status_code == 200
    assert {hit["ring"] for hit in response.json()["results"]} == {"vr3"}


def test_ids_beyond_the_registry_are_a_422(demo_client: TestClient) -> None:
    feedback = demo_client.post("/v1/feedback", json={"answer_id": MAX_ID + 1, "helpful": True})
    assert feedback.status_code == 422
    assert_error_shape(feedback.json(), "invalid_request")
    for route in ("/v1/admin/audit", "/v1/admin/queries"):
        response = demo_client.get(route, params={"before_id": MAX_ID + 1})
        assert response.status_code == 422, route
        assert_error_shape(response.json(), "invalid_request")
        assert demo_client.get(route, params={"before_id": MAX_ID}).status_code == 200


@pytest.mark.parametrize("topics", [False, 7, {"a": 1}, [True], [{"a": 1}]])
def test_topics_of_the_wrong_type_are_a_422(demo_client: TestClient, topics: object) -> None:
    document_id = demo_client.get("/v1/documents").json()["documents"][0]["document_id"]
    response = demo_client.patch(f"/v1/documents/{document_id}", json={"topics": topics})
    assert response.status_code == 422, response.text
    assert_error_shape(response.json(), "invalid_request")


def test_range_errors_of_the_file_download_are_json(demo_client: TestClient) -> None:
    document_id = demo_client.get("/v1/documents").json()["documents"][0]["document_id"]
    url = f"/v1/documents/{document_id}/file"
    size = len(demo_client.get(url).content)
    beyond = demo_client.get(url, headers={"Range": f"bytes={size + 10}-"})
    assert beyond.status_code == 416
    assert_error_shape(beyond.json(), "range_not_satisfiable")
    assert beyond.headers["Content-Range"] == f"bytes */{size}"
    malformed = demo_client.get(url, headers={"Range": "bytes=abc"})
    assert malformed.status_code == 400
    assert_error_shape(malformed.json(), "invalid_request")
    for name, value in SECURITY_HEADERS.items():
        assert beyond.headers[name] == value and malformed.headers[name] == value
    partial = demo_client.get(url, headers={"Range": "bytes=0-9"})
    assert partial.status_code == 206 and len(partial.content) == 10


def test_the_query_log_keeps_a_bounded_summary_of_the_filters(demo_client: TestClient) -> None:
    ids = [f"{n:016x}" for n in range(MAX_FILTER_VALUES)]
    for route in ("/v1/search", "/v1/ask"):
        body = {"query": QUERY, "filters": {"document_id": ids, "ring": ["vr3"]}}
        assert demo_client.post(route, json=body).status_code == 200
        logged = demo_client.get("/v1/admin/queries", params={"limit": 1}).json()["entries"][0]
        assert logged["filters"] == {
            "document_id": ids[:LOGGED_FILTER_VALUES],
            "document_id_count": MAX_FILTER_VALUES,
            "ring": ["vr3"],
        }
