"""The HTTP API: search, health, readiness, OpenAPI, and one error shape for every failure."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.model


def assert_error_shape(body: dict[str, Any], code: str) -> None:
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details", "request_id"}
    assert body["error"]["code"] == code
    assert body["error"]["request_id"]  # the same as the X-Request-ID header
    assert body["error"]["message"]
    text = str(body)
    assert "Traceback" not in text and "/work" not in text and "site-packages" not in text


def test_search_returns_cited_passages(demo_client: TestClient) -> None:
    response = demo_client.post(
        "/v1/search",
        json={"query": "Was hat VR 3 2019 zur Sozialraumorientierung vereinbart?", "top_k": 3},
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == 3
    expected = {
        "chunk_id", "document_id", "title", "source_name", "kind", "ring", "date", "page",
        "section", "text", "start_offset", "end_offset", "score", "extraction",
        "parent_document_id", "superseded", "superseded_by", "superseded_by_title",
    }  # fmt: skip
    assert set(results[0]) == expected
    assert results[0]["ring"] == "vr3"
    assert results[0]["extraction"] == "text" and results[0]["parent_document_id"] is None
    assert results[0]["score"] >= results[1]["score"] >= results[2]["score"]


def test_search_facets_count_documents_under_the_filters(demo_client: TestClient) -> None:
    body = {"query": "Kennzahlen im Vergleichsring", "filters": {"kind": "protokoll"}}
    response = demo_client.post("/v1/search", json={**body, "facets": True})
    assert response.status_code == 200
    facets = response.json()["facets"]
    assert facets["kind"] == [{"value": "protokoll", "count": 4}]
    assert facets["ring"] == [{"value": ring, "count": 1} for ring in ("vr1", "vr3", "vr5", "vr7")]
    assert [entry["value"] for entry in facets["year"]] == [2019, 2021, 2022, 2023]
    assert facets["topic"][0] == {"value": "Kennzahlen", "count": 4}
    assert demo_client.post("/v1/search", json=body).json()["facets"] is None


def test_search_facets_follow_the_query_and_year(demo_client: TestClient) -> None:
    body = {"query": "Geflüchtete Ukraine", "facets": True, "filters": {"year_from": 2023}}
    response = demo_client.post("/v1/search", json=body).json()
    facets = response["facets"]
    assert facets["year"] == [{"value": 2023, "count": sum(e["count"] for e in facets["kind"])}]
    assert {r["document_id"] for r in response["results"]} and facets["topic"]
    assert all(result["date"].startswith("2023") for result in response["results"])


def test_health_ready_and_docs(demo_client: TestClient) -> None:
    assert demo_client.get("/health").json() == {"status": "ok"}
    ready = demo_client.get("/ready").json()
    assert ready["status"] == "ready" and ready["documents"] >= 9 and ready["chunks"] > 0
    assert "/v1/search" in demo_client.get("/openapi.json").json()["paths"]
    assert demo_client.get("/docs").status_code == 200


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({}, 422),
        ({"query": ""}, 422),
        ({"query": "   "}, 422),
        ({"query": 5}, 422),
        ({"query": "x", "top_k": 0}, 422),
        ({"query": "x", "top_k": "viele"}, 422),
        ({"query": "x", "top_k": 5000}, 400),
        ({"query": "x", "filters": {"farbe": "rot"}}, 422),
        ({"query": "x", "filters": {"kind": "roman"}}, 422),
        ({"query": "x", "filters": {"ring": "Ring A"}}, 422),
        ({"query": "x", "filters": {"year_from": 2023, "year_to": 2019}}, 422),
        ({"query": "x", "unbekannt": 1}, 422),
        ({"query": "x" * 2001}, 422),
    ],
)
def test_bad_search_requests_get_a_4xx_in_the_error_shape(
    demo_client: TestClient, body: dict[str, Any], status: int
) -> None:
    response = demo_client.post("/v1/search", json=body)
    assert response.status_code == status
    assert_error_shape(response.json(), "invalid_request")


def test_invalid_json_and_unknown_routes_use_the_error_shape(demo_client: TestClient) -> None:
    response = demo_client.post(
        "/v1/search", content=b"{kein json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert_error_shape(response.json(), "invalid_request")
    missing = demo_client.get("/v1/gibt-es-nicht")
    assert missing.status_code == 404
    assert_error_shape(missing.json(), "not_found")
    wrong_method = demo_client.get("/v1/search")
    assert wrong_method.status_code == 405
    assert_error_shape(wrong_method.json(), "invalid_request")


def test_validation_details_name_the_field(demo_client: TestClient) -> None:
    body = demo_client.post("/v1/search", json={"query": "x", "filters": {"kind": "roman"}}).json()
    assert any(detail["field"] == "filters.kind.0" for detail in body["error"]["details"])
