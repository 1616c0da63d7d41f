"""Questions that set their own filters, through the real app, model and store.

The access world (`tests.support.worlds.ACCESS`) holds one document per visibility, each dated
2024-03-01, with rings vr1 and vr2 and a marker word as topic and job centre; its callers see
known sets of documents (`EXPECTED`). The demo corpus has the ring protocols of several years.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from core.access import Principal, Role
from pipelines.search import FilterInference
from tests.support.helpers import context_of
from tests.support.worlds import DOCUMENTS, LeakWorld

pytestmark = pytest.mark.model

BY_MARKER = {document.marker: document for document in DOCUMENTS}


def search(world: LeakWorld, caller: str, query: str, **body: Any) -> dict[str, Any]:
    response = world.call(caller, "POST", "/v1/search", json={"query": query, **body})
    assert response.status_code == 200, response.text
    return dict(response.json())


def hits(body: dict[str, Any]) -> list[tuple[str, float]]:
    return [(hit["chunk_id"], hit["score"]) for hit in body["results"]]


def inferred(body: dict[str, Any]) -> list[tuple[str, Any, str]]:
    return [
        (entry["field"], entry["value"], entry["source_text"])
        for entry in body["applied_filters"]
        if entry["inferred"]
    ]


def test_a_ring_named_in_the_question_narrows_the_search(access_world: LeakWorld) -> None:
    body = search(access_world, "leser-vr1", "Was gilt im Vergleichsring 1?", top_k=20)
    assert inferred(body) == [("ring", "vr1", "Vergleichsring 1")]
    assert body["results"] and {hit["ring"] for hit in body["results"]} == {"vr1"}
    assert body["filters_relaxed"] is False and body["relaxed_filters"] == []


@pytest.mark.parametrize("caller", ["anonymous", "leser-ohne-ring", "leser-vr2"])
def test_a_ring_the_caller_may_not_see_changes_nothing(
    access_world: LeakWorld, caller: str
) -> None:
    """VR 1 is not the caller's: the results are exactly those of the search without it."""
    for query in ("Was gilt im Vergleichsring 1?", "Was hat VR 1 vereinbart?"):
        with_inference = search(access_world, caller, query, top_k=20)
        without = search(access_world, caller, query, top_k=20, infer_filters=False)
        assert hits(with_inference) == hits(without)
        assert with_inference["applied_filters"] == [] == without["applied_filters"]
        assert with_inference["relaxed_filters"] == []


def test_kind_and_year_are_read_and_given_filters_are_listed(access_world: LeakWorld) -> None:
    body = search(
        access_world,
        "buero",
        "Welche Protokolle gibt es aus 2024?",
        top_k=20,
        filters={"ring": "VR 2"},
    )
    # a year alone is no filter: documents of 2024 and 2025 rank higher (FILTER_BOOST)
    assert inferred(body) == [("kind", "protokoll", "Protokolle")]
    assert [e for e in body["applied_filters"] if not e["inferred"]] == [
        {"field": "ring", "value": "vr2", "inferred": False, "source_text": None}
    ]
    stems = {hit["source_name"].removesuffix(".md") for hit in body["results"]}
    assert stems == {"ring-zwei"}  # ring-eins-zwei's ring is vr1


def test_job_centre_and_topic_of_visible_documents_only(access_world: LeakWorld) -> None:
    marker = "Kupferkessel"  # topic, and job centre "Jobcenter Kupferkessel", of a VR 1 protocol
    member = search(access_world, "leser-vr1", f"Was gilt im Projekt {marker}?", top_k=20)
    assert set(inferred(member)) == {
        ("job_centre", f"Jobcenter {marker}", marker),
        ("topic", marker, marker),
    }
    assert {hit["source_name"] for hit in member["results"]} == {"ring-eins.md"}
    outsider = search(access_world, "leser-vr2", f"Was gilt im Projekt {marker}?", top_k=20)
    assert outsider["applied_filters"] == []
    assert marker not in str(outsider)


def test_an_inferred_filter_that_leaves_nothing_is_dropped(access_world: LeakWorld) -> None:
    query = "Welche Praxisbeispiele gibt es seit 2025?"  # every document is from 2024
    body = search(access_world, "anonymous", query, top_k=20)
    without = search(access_world, "anonymous", query, top_k=20, infer_filters=False)
    assert body["filters_relaxed"] is True
    assert {(e["field"], e["value"]) for e in body["relaxed_filters"]} == {
        ("year_from", 2025),
        ("kind", "praxisbeispiel"),
    }
    assert body["applied_filters"] == []
    assert body["results"] and hits(body) == hits(without)


def test_a_given_filter_is_never_dropped(access_world: LeakWorld) -> None:
    given = {"kind": "praxisbeispiel", "ring": "vr1"}  # no document is both
    body = search(access_world, "buero", "Was gilt seit 2025?", filters=given)
    assert body["results"] == []
    assert [(e["field"], e["inferred"]) for e in body["applied_filters"]] == [
        ("ring", False),
        ("kind", False),
    ]
    assert [e["field"] for e in body["relaxed_filters"]] == ["year_from"]


def test_ask_names_its_filters_and_cites_only_within_them(access_world: LeakWorld) -> None:
    body = {"query": "Was wurde im Vergleichsring 2 vereinbart?"}
    response = access_world.call("leser-vr2", "POST", "/v1/ask", json=body)
    assert response.status_code == 200
    answer = response.json()
    assert inferred(answer) == [("ring", "vr2", "Vergleichsring 2")]
    assert answer["passages"] and {p["source_name"] for p in answer["passages"]} == {"ring-zwei.md"}
    assert {c["source_name"] for c in answer["citations"]} <= {"ring-zwei.md"}
    off = access_world.call("leser-vr2", "POST", "/v1/ask", json={**body, "infer_filters": False})
    assert off.json()["applied_filters"] == []
    assert len({p["source_name"] for p in off.json()["passages"]}) > 1


def test_last_year_counts_from_the_day_of_the_request(access_world: LeakWorld) -> None:
    searcher = context_of(access_world.client).searcher
    office = Principal("office", "account", roles=frozenset({Role.OFFICE}))
    query = "Was wurde letztes Jahr vereinbart?"
    in_2025 = searcher.search(
        query, principal=office, inference=FilterInference(today=dt.date(2025, 6, 1))
    )
    assert [(f.field, f.value) for f in in_2025.applied_filters] == [
        ("year_from", 2024),
        ("year_to", 2024),
    ]
    assert in_2025.documents and {d.meta["year"] for d in in_2025.documents} == {2024}
    in_2027 = searcher.search(
        query, principal=office, inference=FilterInference(today=dt.date(2027, 6, 1))
    )
    assert [f.value for f in in_2027.relaxed_filters] == [2026, 2026]
    assert in_2027.documents


def test_the_flag_is_strict(access_world: LeakWorld) -> None:
    response = access_world.call(
        "anonymous", "POST", "/v1/search", json={"query": "VR 1", "infer_filters": "nein"}
    )
    assert response.status_code == 422
    assert "infer_filters" in response.text


def test_demo_question_about_a_ring_and_a_year(demo_client: TestClient) -> None:
    query = "Was hat VR 3 2019 zur Sozialraumorientierung vereinbart?"
    answer = demo_client.post("/v1/ask", json={"query": query}).json()
    # the year alone ranks 2019 and 2020 higher and filters nothing; topics and job centres
    # only with BLOK_RETRIEVAL__INFER_NAMES
    assert inferred(answer) == [("ring", "vr3", "VR 3")]
    assert {p["source_name"] for p in answer["passages"]} == {"vr3-protokoll-2019-sozialraum.pdf"}


def test_results_page_shows_inferred_filters_as_removable_chips(demo_client: TestClient) -> None:
    """Anonymous on the web UI (public demo documents): chips, and links without inference."""
    page = demo_client.get("/", params={"q": "Praxisbeispiele aus dem Emsland seit 2023"})
    assert page.status_code == 200
    assert "Filter aus Ihrer Frage" in page.text
    for label in ("Art: Praxisbeispiel", "Jahr ab 2023"):
        assert f"Aus der Frage: {label}" in page.text
    links = [html.unescape(link) for link in re.findall(r'href="(/\?[^"]*)"', page.text)]
    removals = [link for link in links if "ableiten=nein" in link]
    assert len(removals) >= 3  # one per chip and "Ohne Filter aus der Frage suchen"
    kept = [link for link in removals if "art=praxisbeispiel" in link and "jahr_von" not in link]
    assert kept  # removing the year keeps the kind as a URL filter
    without = demo_client.get(removals[-1])
    assert without.status_code == 200 and "Filter aus Ihrer Frage" not in without.text
