"""The leak suite: every caller × every visibility × every read path; zero leaks pass.

A small corpus of its own holds one document per visibility, each with a marker word in its
title, text, topic and job centre. For every caller the test knows exactly which documents are
visible; whatever a read path returns (results, facets, answers, citations, passages, files,
document lists, document details, page texts, errors) must neither name an invisible document's
id nor contain its marker, and an invisible document answers exactly like a missing one.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.helpers import answer_body
from tests.support.worlds import ALL, DOCUMENTS, EXPECTED, GENERIC_QUERY, LeakWorld

pytestmark = pytest.mark.model


def assert_no_leak(world: LeakWorld, caller: str, body: Any) -> None:
    """Nothing of an invisible document (id, marker in title, text, topic) is in the body."""
    text = json.dumps(body, ensure_ascii=False)
    for document in DOCUMENTS:
        if document.stem not in EXPECTED[caller]:
            assert world.document_ids[document.stem] not in text, (caller, document.stem)
            assert document.marker not in text, (caller, document.stem)


def stems(world: LeakWorld, document_ids: set[str]) -> set[str]:
    by_id = {document_id: stem for stem, document_id in world.document_ids.items()}
    return {by_id[document_id] for document_id in document_ids}


QUERIES = [GENERIC_QUERY, *(f"Was gilt im Projekt {d.marker}?" for d in DOCUMENTS)]


@pytest.mark.parametrize("caller", sorted(EXPECTED))
def test_search_shows_exactly_the_visible_documents(access_world: LeakWorld, caller: str) -> None:
    for query in QUERIES:
        for facets, infer in ((False, False), (True, False), (True, True)):
            body = {"query": query, "top_k": 50, "facets": facets, "infer_filters": infer}
            response = access_world.call(caller, "POST", "/v1/search", json=body)
            assert response.status_code == 200
            found = stems(access_world, {hit["document_id"] for hit in response.json()["results"]})
            # The corpus is tiny: every visible chunk is a candidate, so all visible documents
            # are found and nothing else; a marker read from the question narrows them.
            if infer:
                assert found <= EXPECTED[caller], (caller, query)
            else:
                assert found == EXPECTED[caller], (caller, query)
            assert_no_leak(access_world, caller, response.json())


@pytest.mark.parametrize("caller", sorted(EXPECTED))
def test_facets_count_only_visible_documents(access_world: LeakWorld, caller: str) -> None:
    body = {"query": GENERIC_QUERY, "top_k": 50, "facets": True}
    facets = access_world.call(caller, "POST", "/v1/search", json=body).json()["facets"]
    visible = [d for d in DOCUMENTS if d.stem in EXPECTED[caller]]
    assert sum(entry["count"] for entry in facets["kind"]) == len(visible)
    assert {entry["value"] for entry in facets["ring"]} == {d.ring for d in visible if d.ring}
    assert {entry["value"] for entry in facets["topic"]} == {d.marker for d in visible}
    centres = {entry["value"] for entry in facets["job_centre"]}
    assert centres == {f"Jobcenter {d.marker}" for d in visible}


@pytest.mark.parametrize("caller", sorted(EXPECTED.keys() - {"buero", "admin"}))
def test_filters_cannot_reach_invisible_documents(access_world: LeakWorld, caller: str) -> None:
    hidden = [access_world.document_ids[stem] for stem in sorted(ALL - EXPECTED[caller])]
    body = {"query": GENERIC_QUERY, "top_k": 50, "facets": True}
    by_id = access_world.call(
        caller, "POST", "/v1/search", json={**body, "filters": {"document_id": hidden}}
    )
    assert by_id.json()["results"] == []
    assert all(values == [] for values in by_id.json()["facets"].values())
    by_ring = access_world.call(
        caller, "POST", "/v1/search", json={**body, "filters": {"ring": ["vr1", "vr2"]}}
    )
    for response in (by_id, by_ring):
        assert response.status_code == 200
        assert_no_leak(access_world, caller, response.json())


@pytest.mark.parametrize("caller", sorted(EXPECTED))
def test_answers_quote_and_cite_only_visible_documents(
    access_world: LeakWorld, caller: str
) -> None:
    cited: set[str] = set()
    for query in QUERIES:
        response = access_world.call(caller, "POST", "/v1/ask", json={"query": query, "top_k": 20})
        assert response.status_code == 200
        body = response.json()
        assert_no_leak(access_world, caller, body)
        passages = stems(access_world, {passage["document_id"] for passage in body["passages"]})
        citations = stems(access_world, {citation["document_id"] for citation in body["citations"]})
        assert passages <= EXPECTED[caller] and citations <= EXPECTED[caller]
        cited |= citations
        for citation in body["citations"]:
            url = citation["url"].split("#")[0]
            assert access_world.call(caller, "GET", url).status_code == 200
    assert cited  # the answers did quote something


@pytest.mark.parametrize("caller", sorted(EXPECTED))
def test_invisible_files_answer_exactly_like_missing_ones(
    access_world: LeakWorld, caller: str
) -> None:
    missing = access_world.call(caller, "GET", "/v1/documents/0000000000000000/file")
    assert missing.status_code == 404
    for stem, document_id in access_world.document_ids.items():
        response = access_world.call(caller, "GET", f"/v1/documents/{document_id}/file")
        if stem in EXPECTED[caller]:
            assert response.status_code == 200
            assert response.content.startswith(b"# Bericht")
        else:
            assert response.status_code == 404
            assert answer_body(response) == answer_body(missing)
            assert response.headers["content-length"] == missing.headers["content-length"]


@pytest.mark.parametrize("caller", sorted(EXPECTED))
def test_ready_counts_only_visible_documents(access_world: LeakWorld, caller: str) -> None:
    ready = access_world.call(caller, "GET", "/ready").json()
    assert ready["documents"] == len(EXPECTED[caller])


def test_the_request_cannot_widen_access(access_world: LeakWorld) -> None:
    for body in (
        {"query": GENERIC_QUERY, "visibility": ["office"]},
        {"query": GENERIC_QUERY, "access_conditions": []},
        {"query": GENERIC_QUERY, "principal": "buero"},
        {"query": GENERIC_QUERY, "filters": {"visibility": "office"}},
    ):
        for path in ("/v1/search", "/v1/ask"):
            response = access_world.call("anonymous", "POST", path, json=body)
            assert response.status_code == 422
            assert_no_leak(access_world, "anonymous", response.json())


@pytest.mark.parametrize("caller", sorted(EXPECTED))
def test_document_list_shows_exactly_the_visible_documents(
    access_world: LeakWorld, caller: str
) -> None:
    response = access_world.call(caller, "GET", "/v1/documents", params={"limit": 500})
    assert response.status_code == 200
    body = response.json()
    assert stems(access_world, {d["document_id"] for d in body["documents"]}) == EXPECTED[caller]
    assert body["total"] == len(EXPECTED[caller])
    assert_no_leak(access_world, caller, body)
    for params in ({"kind": "protokoll"}, {"ring": "VR 2"}, {"year": 2024}, {"limit": 1}):
        response = access_world.call(caller, "GET", "/v1/documents", params=params)
        assert response.status_code == 200
        found = stems(access_world, {d["document_id"] for d in response.json()["documents"]})
        assert found <= EXPECTED[caller]
        assert_no_leak(access_world, caller, response.json())
    by_ring = access_world.call(caller, "GET", "/v1/documents", params={"ring": "vr2"}).json()
    expected = {d.stem for d in DOCUMENTS if d.ring == "vr2"} & EXPECTED[caller]
    assert stems(access_world, {d["document_id"] for d in by_ring["documents"]}) == expected


@pytest.mark.parametrize("caller", sorted(EXPECTED))
def test_invisible_documents_and_pages_answer_exactly_like_missing_ones(
    access_world: LeakWorld, caller: str
) -> None:
    office = caller in ("buero", "admin")
    for suffix in ("", "/pages/1"):
        missing = access_world.call(caller, "GET", f"/v1/documents/0000000000000000{suffix}")
        assert missing.status_code == 404
        for document in DOCUMENTS:
            document_id = access_world.document_ids[document.stem]
            response = access_world.call(caller, "GET", f"/v1/documents/{document_id}{suffix}")
            if document.stem in EXPECTED[caller]:
                assert response.status_code == 200
                body = response.json()
                assert body["document_id"] == document_id
                assert_no_leak(access_world, caller, body)
                if suffix:
                    assert document.marker in body["text"]
                else:
                    assert (body["paths"] is not None) == office
            else:
                assert response.status_code == 404
                assert answer_body(response) == answer_body(missing)
    visible = access_world.document_ids["oeffentlich"]
    beyond = access_world.call(caller, "GET", f"/v1/documents/{visible}/pages/2")
    assert beyond.status_code == 404
