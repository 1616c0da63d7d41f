"""Search quality on the demo gold set, with the real model and store."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from evaluation.datasets import load_demo_set
from evaluation.runner import evaluate_gold_set, rank_documents

pytestmark = pytest.mark.model


def test_gold_document_in_top_5_for_at_least_90_percent(demo_client: TestClient) -> None:
    context = demo_client.app.state.context  # type: ignore[attr-defined]
    gold = load_demo_set()
    answerable = [q for q in gold.questions if q.relevant]
    assert len(answerable) >= 30
    misses = [
        q.query
        for q in answerable
        if not q.relevant.intersection(rank_documents(context.searcher, q.query, "hybrid")[:5])
    ]
    hit_rate = 1 - len(misses) / len(answerable)
    assert hit_rate >= 0.9, f"hit rate {hit_rate:.2f}; missed: {misses}"


def test_hybrid_is_not_worse_than_either_side_alone(demo_client: TestClient) -> None:
    context = demo_client.app.state.context  # type: ignore[attr-defined]
    figures = evaluate_gold_set(context.searcher, load_demo_set())
    assert figures["hybrid"]["MRR"] >= figures["dense"]["MRR"] - 0.02
    assert figures["hybrid"]["MRR"] >= figures["sparse"]["MRR"]


def test_filters_restrict_results(demo_client: TestClient) -> None:
    def search(filters: dict) -> list[dict]:  # type: ignore[type-arg]
        body = {"query": "Arbeitgeber", "top_k": 20, "filters": filters}
        response = demo_client.post("/v1/search", json=body)
        assert response.status_code == 200, response.text
        return response.json()["results"]  # type: ignore[no-any-return]

    protocols = search({"kind": "protokoll"})
    assert protocols and {hit["kind"] for hit in protocols} == {"protokoll"}
    ring = search({"ring": "VR 3"})
    assert ring and {hit["ring"] for hit in ring} == {"vr3"}
    years = search({"year_from": 2022, "year_to": 2023})
    assert years and all(2022 <= int(hit["date"][:4]) <= 2023 for hit in years)
    both = search({"kind": ["protokoll", "praxisbeispiel"], "year_to": 2021})
    assert all(hit["kind"] in ("protokoll", "praxisbeispiel") for hit in both)
    assert all(int(hit["date"][:4]) <= 2021 for hit in both)
    assert search({"ring": "vr9"}) == []
