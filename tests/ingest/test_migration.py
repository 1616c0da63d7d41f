"""`blok migrate`: an embedded installation moves to a server store and registry, checked.

qdrant-client's local mode stands in for the Qdrant server (no server runs here); the target
registry is a second SQLite file and the test PostgreSQL (`registry_location`). After the move,
the moved installation answers the demo questions with the same chunks and scores.
"""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from blok.cli import main
from core.errors import ConflictError
from core.persistence.registry import Registry
from core.settings import Settings
from evaluation.datasets import load_demo_set
from ingest.migration import ServerTarget, migrate_installation
from ingest.runner import run_ingest
from pipelines.stores import EdgeChunkStore, QdrantClientChunkStore
from search_service.context import build_service_context
from search_service.schemas import SearchRequest
from tests.support.helpers import demo_files, make_settings, search_response
from tests.support.registry_sql import sql_execute

FILES = ("vr1-protokoll-2022-ukraine", "praxisbeispiel-emsland-arbeitgeber-gefluechtete")


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """An embedded installation with two demo documents."""
    root = tmp_path_factory.mktemp("embedded")
    corpus = demo_files(root / "corpus", FILES)
    settings = make_settings(root / "data")
    run_ingest(settings, [corpus])
    return settings


@pytest.fixture
def opened(embedded: Settings) -> Iterator[tuple[EdgeChunkStore, Registry]]:
    store, registry = EdgeChunkStore(embedded.edge_store_dir), Registry.open(embedded)
    try:
        yield store, registry
    finally:
        store.close()
        registry.close()


def target_of(registry_location: Path | str) -> ServerTarget:
    url = (
        registry_location
        if isinstance(registry_location, str)
        else f"sqlite:///{registry_location}"
    )
    return ServerTarget("http://qdrant.intern:6333", "server-key", "blok_chunks", url)


@pytest.mark.model
def test_the_moved_installation_answers_as_the_embedded_one(
    embedded: Settings,
    opened: tuple[EdgeChunkStore, Registry],
    registry_location: Path | str,
    tmp_path: Path,
) -> None:
    store, registry = opened
    server_path = tmp_path / "server"
    target = target_of(registry_location)
    report = migrate_installation(
        embedded, store, registry, QdrantClientChunkStore.local(server_path, "blok_chunks"), target
    )
    assert report.points == store.count() > 0 and report.searches_checked > 0
    assert report.registry_rows["documents"] == len(registry.documents.list_documents()) == 2
    lines = report.env_file.read_text(encoding="utf-8").splitlines()
    assert "BLOK_STORE__BACKEND=server" in lines and "BLOK_STORE__API_KEY=server-key" in lines
    assert f"BLOK_REGISTRY__URL={target.registry_url}" in lines
    assert stat.S_IMODE(report.env_file.stat().st_mode) == 0o600
    store.close()  # the embedded context opens it again
    moved_settings = make_settings(tmp_path / "moved", registry={"url": target.registry_url})
    embedded_context = build_service_context(embedded, EdgeChunkStore(embedded.edge_store_dir))
    moved_context = build_service_context(
        moved_settings, QdrantClientChunkStore.local(server_path, "blok_chunks")
    )
    try:
        assert moved_context.registry.index_state.active_collection("blok_chunks") == "blok_chunks"
        compared = 0
        for question in [q.query for q in load_demo_set().questions][:6]:
            request = SearchRequest(query=question, top_k=5)
            here, there = (
                search_response(context.searcher, request).results
                for context in (embedded_context, moved_context)
            )
            assert [hit.chunk_id for hit in here] == [hit.chunk_id for hit in there], question
            for a, b in zip(here, there, strict=True):
                assert a.score == pytest.approx(b.score, abs=1e-4)
                assert (a.title, a.page, a.start_offset, a.text) == (
                    b.title,
                    b.page,
                    b.start_offset,
                    b.text,
                )
            compared += len(here)
        assert compared > 10
    finally:
        embedded_context.close()
        moved_context.close()


@pytest.mark.model
def test_a_filled_server_collection_or_a_half_written_document_is_refused(
    embedded: Settings, opened: tuple[EdgeChunkStore, Registry], tmp_path: Path
) -> None:
    store, registry = opened
    server = QdrantClientChunkStore.local(tmp_path / "server", "blok_chunks")
    first = target_of(tmp_path / "first.db")
    migrate_installation(embedded, store, registry, server, first)
    with pytest.raises(ConflictError, match="already holds points"):
        migrate_installation(embedded, store, registry, server, target_of(tmp_path / "second.db"))
    server.close()
    [document, *_] = registry.documents.list_documents()
    sql_execute(
        registry,
        "UPDATE documents SET status = 'pending' WHERE document_id = ?",
        (document.document_id,),
    )
    try:
        other = QdrantClientChunkStore.local(tmp_path / "other", "blok_chunks")
        with pytest.raises(ConflictError, match="being written"):
            migrate_installation(embedded, store, registry, other, target_of(tmp_path / "third.db"))
        assert other.count() == 0
        other.close()
    finally:
        sql_execute(
            registry,
            "UPDATE documents SET status = 'indexed' WHERE document_id = ?",
            (document.document_id,),
        )


def test_the_command_refuses_an_installation_already_on_a_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BLOK_STORE__BACKEND", "server")
    monkeypatch.setenv("BLOK_STORE__URL", "http://qdrant.intern:6333")
    code = main(["--data-dir", str(tmp_path), "migrate", "--to-server", "http://neu:6333"])
    assert code == 2
    assert "already name a server store" in capsys.readouterr().err


def test_the_command_refuses_a_registry_url_of_another_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "--data-dir",
            str(tmp_path),
            "migrate",
            "--to-server",
            "http://neu:6333",
            "--registry-url",
            "mysql://x@y/z",
        ]
    )
    assert code == 2
    assert "postgresql://" in capsys.readouterr().err
