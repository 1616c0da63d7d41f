"""`GET /metrics`: Prometheus figures of the real app, for the office only."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from search_service.app import create_app
from tests.search_service.test_api import assert_error_shape
from tests.support.helpers import context_of, make_settings
from tests.support.worlds import GENERIC_QUERY, LeakWorld

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(world: LeakWorld) -> Samples:
    response = world.call("buero", "GET", "/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    assert response.headers["x-content-type-options"] == "nosniff"
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.mark.model
def test_only_the_office_and_admins_read_the_metrics(access_world: LeakWorld) -> None:
    anonymous = access_world.call("anonymous", "GET", "/metrics")
    assert anonymous.status_code == 401
    assert_error_shape(anonymous.json(), "unauthorized")
    for caller in ("leser-vr1", "schluessel-vr2"):
        forbidden = access_world.call(caller, "GET", "/metrics")
        assert forbidden.status_code == 403, caller
    assert access_world.call("admin", "GET", "/metrics").status_code == 200


@pytest.mark.model
def test_requests_searches_questions_and_the_collection_are_counted(
    access_world: LeakWorld,
) -> None:
    before = scrape(access_world)
    search = access_world.call("buero", "POST", "/v1/search", json={"query": GENERIC_QUERY})
    assert search.status_code == 200
    ask = access_world.call("leser-vr1", "POST", "/v1/ask", json={"query": GENERIC_QUERY})
    assert ask.status_code == 200
    abstained = ask.json()["abstained"]
    assert access_world.call("anonymous", "GET", "/dokumente/nicht-da/x/y").status_code == 404
    after = scrape(access_world)

    route = {"method": "POST", "route": "/v1/search", "status": "200"}
    assert value(after, "blok_http_requests_total", **route) == (
        value(before, "blok_http_requests_total", **route) + 1
    )
    timed = {"method": "POST", "route": "/v1/ask"}
    assert value(after, "blok_http_request_duration_seconds_count", **timed) >= 1
    unknown = {"method": "GET", "route": "unmatched", "status": "404"}
    assert value(after, "blok_http_requests_total", **unknown) >= 1  # never the raw path
    assert not any("nicht-da" in str(labels) for _, labels in after)
    for name, grew in (
        ("blok_searches_total", 1),
        ("blok_questions_total", 1),
        ("blok_abstentions_total", int(abstained)),
    ):
        assert value(after, name) == value(before, name) + grew, name

    context = context_of(access_world.client)
    by_status = context.registry.documents.count_by_status()
    assert value(after, "blok_documents", status="indexed") == by_status["indexed"]
    assert value(after, "blok_store_points") == context.store.count()
    assert value(after, "blok_pages", method="text") > 0
    assert value(after, "blok_load_seconds", part="model") > 0
    assert value(after, "blok_load_seconds", part="store") > 0


def test_the_route_can_be_switched_off(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, server={"metrics": False})
    client = TestClient(create_app(settings))  # no start-up: routing alone answers
    assert client.get("/metrics").status_code == 404
