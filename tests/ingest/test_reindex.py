"""Re-index into a fresh collection and switch over atomically; searches keep working meanwhile.

A small corpus (a PDF and a Markdown file with sidecars, a text file whose title is inferred, an
e-mail with two attachments) is ingested once with the real model into the embedded store; each
test works on a copy of that data directory.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from blok.commands.documents import delete_document
from blok.commands.reindex import command_reindex
from core.errors import ReindexRunningError
from core.filters import FieldMatch
from core.persistence.audit import AuditEntry
from core.persistence.index_state import ReindexMarker
from core.persistence.registry import Registry, utc_now_text
from core.settings import Settings
from ingest.reindex import Reindexer
from ingest.runner import run_ingest
from pipelines.stores import (
    EdgeChunkStore,
    QdrantClientChunkStore,
    SwitchableChunkStore,
    active_collection,
    build_chunk_store,
    build_collections,
)
from pipelines.stores.collections import ClientCollections
from pipelines.stores.switchable import ReadersWriterLock
from search_service.app import create_app
from search_service.context import ServiceContext, build_service_context
from search_service.schemas import SearchRequest
from tests.support import format_fixtures as fixtures
from tests.support.helpers import (
    DEMO_CORPUS,
    FIXTURES,
    TEST_PASSWORD,
    context_of,
    demo_files,
    make_settings,
    search_response,
    sign_in,
)
from tests.support.registry_sql import sql_execute

FILES = ("vr1-protokoll-2022-ukraine", "praxisbeispiel-emsland-arbeitgeber-gefluechtete")
QUERIES = (
    "Wie binden Jobcenter Arbeitgeber bei der Integration von Geflüchteten ein?",
    "Ukraine Geflüchtete Sprachkurse",
    "Protokoll der Sitzung in Meppen",
    "Evaluationsbericht Teilhabe",
)
SEARCH = {"query": QUERIES[0], "top_k": 20}


@dataclass
class Data:
    """A copy of the ingested data directory and the corpus it came from."""

    settings: Settings
    corpus: Path

    @property
    def data_dir(self) -> Path:
        return self.settings.data_dir

    def registry(self) -> Registry:
        return Registry.open(self.settings)


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Data:
    root = tmp_path_factory.mktemp("reindex")
    corpus = demo_files(root / "corpus", FILES)
    shutil.copy(
        FIXTURES / "zeilennummern-evaluationsbericht.txt",
        corpus / "evaluationsbericht-ohne-sidecar.txt",
    )
    fixtures.write_eml(corpus / "sitzung.eml", root)
    settings = make_settings(root / "data")
    report = run_ingest(settings, [corpus])
    assert report.count("indexed") == 6, report.render()
    return Data(settings, corpus)


@pytest.fixture
def data(ingested: Data, tmp_path: Path) -> Data:
    """A fresh copy of the ingested data directory (the corpus stays where it is)."""
    shutil.copytree(ingested.data_dir, tmp_path / "data")
    return Data(make_settings(tmp_path / "data"), ingested.corpus)


def results(context: ServiceContext) -> list[list[tuple[Any, ...]]]:
    """What each query finds: chunk, document, page, offsets and score."""
    found = []
    for query in QUERIES:
        hits = search_response(context.searcher, SearchRequest(query=query, top_k=10)).results
        found.append(
            [(h.chunk_id, h.document_id, h.page, h.start_offset, h.end_offset) for h in hits]
        )
    return found


def search_once(settings: Settings) -> list[list[tuple[Any, ...]]]:
    context = build_service_context(settings)
    try:
        return results(context)
    finally:
        context.close()


def registry_view(settings: Settings) -> dict[str, Any]:
    """Documents with their counts and page texts."""
    registry = Registry.open(settings)
    try:
        view = {}
        for record in registry.documents.list_documents():
            pages = [registry.documents.page_text(record.document_id, n) for n in range(1, 50)]
            view[record.document_id] = (
                record.status,
                record.title,
                record.chunk_count,
                record.page_count,
                [page for page in pages if page is not None],
            )
        return view
    finally:
        registry.close()


def reindex_cli(settings: Settings, *, allow_losses: bool = False) -> int:
    return command_reindex(settings, argparse.Namespace(allow_losses=allow_losses))


@pytest.mark.model
@pytest.mark.slow
def test_reindex_keeps_every_result_and_replaces_the_collection(data: Data) -> None:
    before, view_before = search_once(data.settings), registry_view(data.settings)
    assert all(before)
    assert reindex_cli(data.settings) == 0
    first = active_collection(data.settings)
    assert first.startswith("qdrant-")
    assert sorted(p.name for p in data.data_dir.glob("qdrant*")) == [first]  # the old one is gone
    assert search_once(data.settings) == before
    assert registry_view(data.settings) == view_before
    # The index keys are what a new ingest computes: nothing is indexed again.
    report = run_ingest(data.settings, [data.corpus])
    assert report.count("indexed") == 0 and report.count("unchanged") == 6, report.render()
    assert reindex_cli(data.settings) == 0  # and once more, from a re-indexed collection
    second = active_collection(data.settings)
    assert second != first
    assert sorted(p.name for p in data.data_dir.glob("qdrant*")) == [second]
    assert search_once(data.settings) == before
    registry = data.registry()
    try:
        actions = [(e.action, e.target) for e in registry_audit(registry)]
    finally:
        registry.close()
    assert actions[:4] == [
        ("index.reindex.finish", second),
        ("index.reindex.start", second),
        ("index.reindex.finish", first),
        ("index.reindex.start", first),
    ]


def registry_audit(registry: Registry) -> list[AuditEntry]:
    return registry.audit.entries(limit=10)


@pytest.mark.model
@pytest.mark.slow
def test_a_failing_document_aborts_the_switch_and_nothing_is_lost(data: Data) -> None:
    before, view_before = search_once(data.settings), registry_view(data.settings)
    registry = data.registry()
    record = next(r for r in registry.documents.list_documents() if r.source_name.endswith(".md"))
    registry.close()
    kept = data.data_dir / "sources" / f"{record.sha256}.md"
    kept.unlink()
    assert reindex_cli(data.settings) == 1
    assert active_collection(data.settings) == "qdrant"
    assert sorted(p.name for p in data.data_dir.glob("qdrant*")) == ["qdrant"]
    assert search_once(data.settings) == before
    assert registry_view(data.settings) == view_before
    registry = data.registry()
    try:
        registry.index_state.refuse_during_reindex()  # the marker is gone: writers may write again
        store = EdgeChunkStore(data.data_dir / "qdrant")
        served = SwitchableChunkStore(store)
        progress = Reindexer(
            data.settings,
            registry,
            served,
            build_collections(data.settings),
            actor="system",
            allow_losses=True,
        ).run()
        served.close()
        assert progress.state == "switched", progress.render()
        assert [f.document_id for f in progress.failures] == [record.document_id]
        assert progress.failures[0].code == "not_found"
        assert progress.withdrawn == [record.document_id]
        assert registry.documents.get(record.document_id) is None
        assert registry_audit(registry)[1].action == "document.delete"
    finally:
        registry.close()
    after = search_once(data.settings)
    assert all(after)
    assert all(hit[1] != record.document_id for hits in after for hit in hits)


@pytest.fixture
def client(data: Data) -> Iterator[TestClient]:
    with TestClient(create_app(data.settings)) as client:
        accounts = context_of(client).accounts
        accounts.create_account("buero", roles=["office"], rings=[], password=TEST_PASSWORD)
        accounts.create_account("leserin", roles=["reader"], rings=[], password=TEST_PASSWORD)
        yield client


def wait_for_reindex(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        status: dict[str, Any] = client.get("/v1/admin/reindex", headers=headers).json()
        if status["state"] != "running":
            return status
        time.sleep(0.2)
    raise AssertionError("the re-index did not finish")


@pytest.mark.model
@pytest.mark.slow
def test_searches_during_the_reindex_and_the_switch_always_find_everything(
    data: Data, client: TestClient
) -> None:
    office = sign_in(client, "buero", TEST_PASSWORD)
    baseline = client.post("/v1/search", json=SEARCH, headers=office).json()["results"]
    expected = sorted(hit["chunk_id"] for hit in baseline)
    assert expected
    seen: list[tuple[int, list[str]]] = []
    done = threading.Event()

    def search_until_done() -> None:
        while not done.is_set():
            response = client.post("/v1/search", json=SEARCH, headers=office)
            ids = [hit["chunk_id"] for hit in response.json().get("results", [])]
            seen.append((response.status_code, ids))

    searcher = threading.Thread(target=search_until_done)
    searcher.start()
    try:
        started = client.post("/v1/admin/reindex", headers=office)
        assert started.status_code == 202, started.text
        assert started.json()["state"] == "running"
        again = client.post("/v1/admin/reindex", headers=office, json={"allow_losses": True})
        assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
        context = context_of(client)
        with pytest.raises(ReindexRunningError):
            context.registry.index_state.refuse_during_reindex()
        with pytest.raises(ReindexRunningError):
            delete_document(data.settings, context.registry, baseline[0]["document_id"])
        status = wait_for_reindex(client, office)
        time.sleep(1.0)  # searches after the switch too
    finally:
        done.set()
        searcher.join(timeout=120)
    assert status["state"] == "switched", status
    assert status["documents_done"] == status["documents_total"] == 6
    assert status["failures"] == [] and status["chunks"] > 0
    assert status["active_collection"] == status["new_collection"] != "qdrant"
    assert status["actor"] == "account:buero"
    assert len(seen) >= 10, "too few searches ran during the re-index"
    assert {code for code, _ in seen} == {200}
    assert all(sorted(ids) == expected for _, ids in seen), [ids for _, ids in seen][:3]
    assert not (data.data_dir / "qdrant").exists()
    after = client.post("/v1/search", json=SEARCH, headers=office).json()["results"]
    assert [hit["chunk_id"] for hit in after] == [hit["chunk_id"] for hit in baseline]


@pytest.mark.model
def test_reindex_routes_need_the_office_and_refuse_a_second_run(
    data: Data, client: TestClient
) -> None:
    assert client.get("/v1/admin/reindex").status_code == 401
    assert client.post("/v1/admin/reindex").status_code == 401
    reader = sign_in(client, "leserin", TEST_PASSWORD)
    assert client.get("/v1/admin/reindex", headers=reader).status_code == 403
    assert client.post("/v1/admin/reindex", headers=reader).status_code == 403
    office = sign_in(client, "buero", TEST_PASSWORD)
    idle = client.get("/v1/admin/reindex", headers=office).json()
    assert idle["state"] == "idle" and idle["active_collection"] == "qdrant"
    bad = client.post("/v1/admin/reindex", headers=office, json={"allow_losses": "vielleicht"})
    assert bad.status_code == 422
    # Another process re-indexes (a live marker): this one refuses and says so.
    state = context_of(client).registry.index_state
    state.begin_reindex(ReindexMarker("qdrant-elsewhere", utc_now_text(), "cli:someone"))
    refused = client.post("/v1/admin/reindex", headers=office)
    assert refused.status_code == 409 and "cli:someone" in refused.json()["error"]["message"]
    running = client.get("/v1/admin/reindex", headers=office).json()
    assert running["state"] == "running" and running["new_collection"] == "qdrant-elsewhere"
    # Curation waits for the re-index too, rather than being lost by the switch.
    listed = client.get("/v1/documents", headers=office).json()["documents"]
    document_id = listed[0]["document_id"]
    edit = client.patch(f"/v1/documents/{document_id}", headers=office, json={"title": "Neu"})
    assert edit.status_code == 409 and "cli:someone" in edit.json()["error"]["message"]
    assert client.post(f"/v1/documents/{document_id}/withdraw", headers=office).status_code == 409
    assert client.delete(f"/v1/documents/{document_id}", headers=office).status_code == 409
    state.end_reindex()
    assert client.get(f"/v1/documents/{document_id}", headers=office).json()["title"] != "Neu"


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@pytest.mark.model
@pytest.mark.slow
def test_a_crashed_reindex_leaves_the_old_collection_serving_and_is_cleaned_up(
    data: Data,
) -> None:
    before = search_once(data.settings)
    registry = data.registry()
    leftover = data.data_dir / "qdrant-20260101T000000000000"
    registry.index_state.begin_reindex(
        ReindexMarker(leftover.name, utc_now_text(), "cli:crashed", pid=dead_pid())
    )
    half_built = EdgeChunkStore(leftover)
    half_built.ensure_collection(4)
    half_built.close()
    (data.data_dir / "qdrant-backup").mkdir()  # made by hand: not ours to delete
    registry.index_state.refuse_during_reindex()  # a dead process's marker blocks nobody
    registry.close()
    with TestClient(create_app(data.settings)) as client:
        assert not leftover.exists() and (data.data_dir / "qdrant-backup").is_dir()
        assert context_of(client).registry.index_state.marker() is None
        assert results(context_of(client)) == before
    assert os.path.isdir(data.data_dir / "qdrant")


@pytest.mark.model
@pytest.mark.slow
def test_reindex_on_a_qdrant_server_moves_the_alias(ingested: Data, tmp_path: Path) -> None:
    """qdrant-client's local mode stands in for the server (it supports aliases)."""
    settings = make_settings(
        tmp_path / "data", store={"backend": "server", "url": "http://127.0.0.1:6333"}
    )
    path = tmp_path / "qdrant-local"
    corpus = tmp_path / "corpus"  # two documents are enough here
    corpus.mkdir()
    for source in DEMO_CORPUS.glob(f"{FILES[1]}.*"):
        shutil.copy(source, corpus / source.name)
    shutil.copy(ingested.corpus / "evaluationsbericht-ohne-sidecar.txt", corpus)
    run_ingest(settings, [corpus], store=QdrantClientChunkStore.local(path, "blok_chunks"))
    context = build_service_context(settings, QdrantClientChunkStore.local(path, "blok_chunks"))
    try:
        before = results(context)
        with context.store.current() as served:
            assert isinstance(served, QdrantClientChunkStore)
            collections = ClientCollections(served.client, "blok_chunks", owns_client=False)
        names = []
        for _ in range(2):  # from the first (real) collection, then from alias to alias
            progress = Reindexer(
                settings, context.registry, context.store, collections, actor="system"
            ).run()
            assert progress.state == "switched", progress.render()
            assert collections.alias_target() == progress.new_collection
            assert collections.names() == [progress.new_collection]
            assert active_collection(settings, context.registry) == progress.new_collection
            assert results(context) == before
            names.append(progress.new_collection)
        assert len(set(names)) == 2
    finally:
        context.close()


def test_the_switch_waits_for_calls_in_flight_and_holds_new_ones_back() -> None:
    lock = ReadersWriterLock()
    events: list[str] = []
    reading, release = threading.Event(), threading.Event()

    def long_call() -> None:
        with lock.reading():
            reading.set()
            release.wait(10)
            events.append("call 1 done")

    def switch() -> None:
        with lock.writing():
            events.append("switched")

    def late_call() -> None:
        with lock.reading():
            events.append("call 2")

    first = threading.Thread(target=long_call)
    first.start()
    reading.wait(10)
    switcher = threading.Thread(target=switch)
    switcher.start()
    time.sleep(0.2)  # the switch waits for call 1 ...
    late = threading.Thread(target=late_call)
    late.start()
    time.sleep(0.2)  # ... and call 2 waits behind the switch
    assert events == []
    release.set()
    for thread in (first, switcher, late):
        thread.join(10)
    assert events == ["call 1 done", "switched", "call 2"]


@pytest.mark.model
@pytest.mark.slow
def test_documents_changed_or_withdrawn_meanwhile_are_caught_up_before_the_switch(
    data: Data, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writers are refused during a re-index; should one slip through, the switch still holds."""
    registry = data.registry()
    served = SwitchableChunkStore(build_chunk_store(data.settings, registry))
    reindexer = Reindexer(
        data.settings, registry, served, build_collections(data.settings), actor="system"
    )
    records = registry.documents.list_documents(status="indexed")
    changed, withdrawn = records[0], records[-1]
    index_one = reindexer._index_one
    indexed: list[str] = []

    def change_then_index(*args: Any) -> None:
        if not indexed:  # while the first document is indexed, two others change
            metadata = {**changed.metadata, "topics": ["Neues Thema"]}
            sql_execute(
                registry,
                "UPDATE documents SET metadata = ? WHERE document_id = ?",
                (json.dumps(metadata), changed.document_id),
            )
            registry.documents.delete(withdrawn.document_id)
        indexed.append(args[-1].document_id)
        index_one(*args)

    monkeypatch.setattr(reindexer, "_index_one", change_then_index)
    try:
        progress = reindexer.run()
        assert progress.state == "switched", progress.render()
        assert indexed.count(changed.document_id) == 2
        assert indexed.count(withdrawn.document_id) == 1  # indexed once, then removed again
        topic = [FieldMatch("topic_keys", ("neues thema",))]
        assert served.count(topic) == changed.chunk_count
        assert served.count([FieldMatch("document_id", (withdrawn.document_id,))]) == 0
        assert served.count() == registry.documents.totals()["chunks"]
    finally:
        served.close()
        registry.close()
