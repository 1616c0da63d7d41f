"""The leak suite: every caller × every visibility × every read path; zero leaks pass.

A small corpus of its own holds one document per visibility, each with a marker word in its
title, text, topic and job centre. For every caller the test knows exactly which documents are
visible; whatever a read path returns (results, facets, answers, citations, passages, files,
errors) must neither name an invisible document's id nor contain its marker.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import TEST_PASSWORD, engine_of, make_settings, sign_in
from fastapi.testclient import TestClient

from ingest.runner import run_ingest
from pipelines.settings import Settings
from search_service.app import create_app


@dataclass(frozen=True)
class LeakDocument:
    """One generated document; `visibility` None means the sidecar names none."""

    stem: str
    visibility: str | None
    marker: str
    kind: str
    ring: str | None = None


DOCUMENTS = (
    LeakDocument("oeffentlich", "public", "Zitronenfalter", "praxisbeispiel"),
    LeakDocument("programm", "programme", "Leuchtturmwärter", "evaluationsbericht"),
    LeakDocument("ohne-angabe", None, "Seidenraupenzucht", "tagungsmaterial"),
    LeakDocument("ring-eins", "ring:vr1", "Kupferkessel", "protokoll", "vr1"),
    LeakDocument("ring-zwei", "ring:vr2", "Mondfinsternis", "protokoll", "vr2"),
    LeakDocument("ring-eins-zwei", "ring:vr1,vr2", "Walnussbaum", "protokoll", "vr1"),
    LeakDocument("geschaeftsstelle", "office", "Sternschnuppe", "sonstiges"),
)
ALL = frozenset(document.stem for document in DOCUMENTS)
PUBLIC = frozenset({"oeffentlich"})
PROGRAMME = PUBLIC | {"programm", "ohne-angabe"}
# Caller → the documents it may see.
EXPECTED = {
    "anonymous": PUBLIC,
    "leser-ohne-ring": PROGRAMME,
    "leser-vr1": PROGRAMME | {"ring-eins", "ring-eins-zwei"},
    "leser-vr2": PROGRAMME | {"ring-zwei", "ring-eins-zwei"},
    "schluessel-vr2": PROGRAMME | {"ring-zwei", "ring-eins-zwei"},
    "buero": ALL,
    "admin": ALL,
}
ACCOUNTS = {
    "leser-ohne-ring": (["reader"], []),
    "leser-vr1": (["reader"], ["vr1"]),
    "leser-vr2": (["reader"], ["vr2"]),
    "buero": (["office"], []),
    "admin": (["admin"], []),
}
GENERIC_QUERY = "Wie integrieren Jobcenter Langzeitarbeitslose in den Arbeitsmarkt?"


def document_text(document: LeakDocument) -> str:
    marker = document.marker
    return (
        f"# Bericht {marker}\n\n"
        f"Das Jobcenter {marker} integriert Langzeitarbeitslose mit einem Coaching in den "
        f"Arbeitsmarkt. Die Vereinbarung zum Projekt {marker} gilt bis zum Jahresende. "
        f"Im Projekt {marker} begleiten Fachkräfte jede Person drei Monate lang bei der "
        "Arbeitsaufnahme. Arbeitgeber werden früh eingebunden und beraten.\n"
    )


def sidecar(document: LeakDocument) -> str:
    lines = [
        f'title: "Bericht {document.marker}"',
        f"kind: {document.kind}",
        "date: 2024-03-01",
        f'job_centre: "Jobcenter {document.marker}"',
        f"topics: [{document.marker}]",
    ]
    if document.ring:
        lines.append(f"ring: {document.ring}")
    if document.visibility:
        lines.append(f"visibility: {document.visibility}")
    return "\n".join(lines) + "\n"


@dataclass
class LeakWorld:
    """The app over the leak corpus, the document ids and each caller's headers."""

    client: TestClient
    settings: Settings
    document_ids: dict[str, str]
    headers: dict[str, dict[str, str]]

    def call(self, caller: str, method: str, path: str, **kwargs: Any) -> Any:
        return self.client.request(method, path, headers=self.headers[caller], **kwargs)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LeakWorld]:
    root = tmp_path_factory.mktemp("leak")
    corpus = root / "corpus"
    corpus.mkdir()
    for document in DOCUMENTS:
        (corpus / f"{document.stem}.md").write_text(document_text(document), encoding="utf-8")
        (corpus / f"{document.stem}.meta.yaml").write_text(sidecar(document), encoding="utf-8")
    settings = make_settings(root / "data")
    report = run_ingest(settings, [corpus])
    assert report.count("indexed") == len(DOCUMENTS), report.render()
    document_ids = {Path(entry.path).stem: entry.document_id for entry in report.entries}
    with TestClient(create_app(settings)) as client:
        accounts = engine_of(client).accounts
        headers: dict[str, dict[str, str]] = {"anonymous": {}}
        for name, (roles, rings) in ACCOUNTS.items():
            accounts.create_account(name, roles=roles, rings=rings, password=TEST_PASSWORD)
            headers[name] = sign_in(client, name, TEST_PASSWORD)
        _, key = accounts.create_api_key("schluessel-vr2", roles=["reader"], rings=["vr2"])
        headers["schluessel-vr2"] = {"X-API-Key": key}
        yield LeakWorld(client, settings, document_ids, headers)


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
def test_search_shows_exactly_the_visible_documents(world: LeakWorld, caller: str) -> None:
    for query in QUERIES:
        for facets in (False, True):
            body = {"query": query, "top_k": 50, "facets": facets}
            response = world.call(caller, "POST", "/v1/search", json=body)
            assert response.status_code == 200
            found = stems(world, {hit["document_id"] for hit in response.json()["results"]})
            # The corpus is tiny: every visible chunk is a candidate, so all visible documents
            # are found and nothing else.
            assert found == EXPECTED[caller], (caller, query)
            assert_no_leak(world, caller, response.json())


@pytest.mark.parametrize("caller", sorted(EXPECTED))
def test_facets_count_only_visible_documents(world: LeakWorld, caller: str) -> None:
    body = {"query": GENERIC_QUERY, "top_k": 50, "facets": True}
    facets = world.call(caller, "POST", "/v1/search", json=body).json()["facets"]
    visible = [d for d in DOCUMENTS if d.stem in EXPECTED[caller]]
    assert sum(entry["count"] for entry in facets["kind"]) == len(visible)
    assert {entry["value"] for entry in facets["ring"]} == {d.ring for d in visible if d.ring}
    assert {entry["value"] for entry in facets["topic"]} == {d.marker for d in visible}


@pytest.mark.parametrize("caller", sorted(EXPECTED.keys() - {"buero", "admin"}))
def test_filters_cannot_reach_invisible_documents(world: LeakWorld, caller: str) -> None:
    hidden = [world.document_ids[stem] for stem in sorted(ALL - EXPECTED[caller])]
    body = {"query": GENERIC_QUERY, "top_k": 50, "facets": True}
    by_id = world.call(
        caller, "POST", "/v1/search", json={**body, "filters": {"document_id": hidden}}
    )
    assert by_id.json()["results"] == []
    assert all(values == [] for values in by_id.json()["facets"].values())
    by_ring = world.call(
        caller, "POST", "/v1/search", json={**body, "filters": {"ring": ["vr1", "vr2"]}}
    )
    for response in (by_id, by_ring):
        assert response.status_code == 200
        assert_no_leak(world, caller, response.json())


@pytest.mark.parametrize("caller", sorted(EXPECTED))
def test_answers_quote_and_cite_only_visible_documents(world: LeakWorld, caller: str) -> None:
    cited: set[str] = set()
    for query in QUERIES:
        response = world.call(caller, "POST", "/v1/ask", json={"query": query, "top_k": 20})
        assert response.status_code == 200
        body = response.json()
        assert_no_leak(world, caller, body)
        passages = stems(world, {passage["document_id"] for passage in body["passages"]})
        citations = stems(world, {citation["document_id"] for citation in body["citations"]})
        assert passages <= EXPECTED[caller] and citations <= EXPECTED[caller]
        cited |= citations
        for citation in body["citations"]:
            url = citation["url"].split("#")[0]
            assert world.call(caller, "GET", url).status_code == 200
    assert cited  # the answers did quote something


@pytest.mark.parametrize("caller", sorted(EXPECTED))
def test_invisible_files_answer_exactly_like_missing_ones(world: LeakWorld, caller: str) -> None:
    missing = world.call(caller, "GET", "/v1/documents/0000000000000000/file")
    assert missing.status_code == 404
    for stem, document_id in world.document_ids.items():
        response = world.call(caller, "GET", f"/v1/documents/{document_id}/file")
        if stem in EXPECTED[caller]:
            assert response.status_code == 200
            assert response.content.startswith(b"# Bericht")
        else:
            assert response.status_code == 404
            assert response.content == missing.content
            assert response.headers["content-length"] == missing.headers["content-length"]


@pytest.mark.parametrize("caller", sorted(EXPECTED))
def test_ready_counts_only_visible_documents(world: LeakWorld, caller: str) -> None:
    ready = world.call(caller, "GET", "/ready").json()
    assert ready["documents"] == len(EXPECTED[caller])


def test_the_request_cannot_widen_access(world: LeakWorld) -> None:
    for body in (
        {"query": GENERIC_QUERY, "visibility": ["office"]},
        {"query": GENERIC_QUERY, "access_conditions": []},
        {"query": GENERIC_QUERY, "principal": "buero"},
        {"query": GENERIC_QUERY, "filters": {"visibility": "office"}},
    ):
        for path in ("/v1/search", "/v1/ask"):
            response = world.call("anonymous", "POST", path, json=body)
            assert response.status_code == 422
            assert_no_leak(world, "anonymous", response.json())
