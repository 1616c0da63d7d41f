"""Backup and restore of an installation on a Qdrant server (`ingest.backup`, `STORE_EXPORT`).

qdrant-client's local mode stands in for the server (no server runs here). The backup exports
the collection's points beside the registry copy; a restore into an empty collection and an
empty data directory answers the same questions with the same chunks and scores. A collection
that lacks chunks the registry counts (another process writing, or a damaged server) is not
backed up as if it were whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from qdrant_client import models as qm

from core.access import SYSTEM
from core.errors import BackupError
from core.persistence.registry import Registry
from core.settings import Settings
from ingest.backup import STORE_EXPORT, create_backup, restore_backup, verify_backup
from ingest.runner import IngestRunner
from pipelines.search import build_searcher
from pipelines.stores import QdrantClientChunkStore
from tests.support.helpers import demo_files, make_settings

pytestmark = [pytest.mark.model]

FILES = ("vr1-protokoll-2022-ukraine", "praxisbeispiel-emsland-arbeitgeber-gefluechtete")
QUESTIONS = (
    "Wie binden Jobcenter Arbeitgeber bei der Integration von Geflüchteten ein?",
    "Was wurde zur Ukraine vereinbart?",
)


def answers(
    settings: Settings, store: QdrantClientChunkStore, registry: Registry
) -> list[list[tuple[str, float]]]:
    searcher = build_searcher(settings, store, registry)
    return [
        [
            (chunk.id, round(chunk.score or 0.0, 6))
            for chunk in searcher.search(question, principal=SYSTEM, top_k=8).documents
        ]
        for question in QUESTIONS
    ]


@pytest.fixture(scope="module")
def server_installation(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Settings, QdrantClientChunkStore, Registry]]:
    """Two demo documents indexed into a 'server' collection (local mode) and a registry."""
    root = tmp_path_factory.mktemp("server-installation")
    corpus = demo_files(root / "corpus", FILES)
    settings = make_settings(root / "data")
    store = QdrantClientChunkStore.local(root / "qdrant", "blok_chunks")
    registry = Registry.open(settings)
    report = IngestRunner(settings, store, registry).run([corpus])
    assert report.count("indexed") == 2
    yield settings, store, registry
    store.close()
    registry.close()


def test_a_restored_server_installation_answers_as_the_original(
    server_installation: tuple[Settings, QdrantClientChunkStore, Registry], tmp_path: Path
) -> None:
    settings, store, registry = server_installation
    before = answers(settings, store, registry)
    manifest = create_backup(settings, store, registry, tmp_path / "backup")
    assert manifest.store == "server" and manifest.chunks == store.count() > 0
    assert manifest.documents == {"indexed": 2}
    assert verify_backup(tmp_path / "backup") == manifest
    assert STORE_EXPORT in {entry.path for entry in manifest.files}

    restored_settings = make_settings(tmp_path / "restored")
    target = QdrantClientChunkStore.local(tmp_path / "qdrant-restored", "blok_wiederhergestellt")
    try:
        restore_backup(tmp_path / "backup", restored_settings.data_dir, store=target)
        assert target.count() == manifest.chunks
        assert not (restored_settings.data_dir / STORE_EXPORT).exists()  # in the collection
        restored_registry = Registry.open(restored_settings)
        try:
            after = answers(restored_settings, target, restored_registry)
            assert [[chunk for chunk, _ in found] for found in after] == [
                [chunk for chunk, _ in found] for found in before
            ]  # the same chunks in the same order, the scores up to float rounding
            for found_after, found_before in zip(after, before, strict=True):
                assert [score for _, score in found_after] == pytest.approx(
                    [score for _, score in found_before], abs=1e-4
                )
            kept = {path.name for path in restored_settings.sources_dir.iterdir()}
            assert kept == {path.name for path in settings.sources_dir.iterdir()}
        finally:
            restored_registry.close()
        # a second restore into the now full collection is refused before anything is written
        with pytest.raises(BackupError, match="already holds points"):
            restore_backup(tmp_path / "backup", tmp_path / "second", store=target)
        assert not (tmp_path / "second").exists()
    finally:
        target.close()


def test_a_server_backup_needs_a_server_collection_to_restore_into(
    server_installation: tuple[Settings, QdrantClientChunkStore, Registry], tmp_path: Path
) -> None:
    settings, store, registry = server_installation
    create_backup(settings, store, registry, tmp_path / "backup")
    with pytest.raises(BackupError, match="BLOK_STORE__BACKEND=server"):
        restore_backup(tmp_path / "backup", tmp_path / "restored")
    assert not (tmp_path / "restored").exists()


def test_a_collection_missing_chunks_of_an_indexed_document_is_not_backed_up(
    tmp_path: Path,
    server_installation: tuple[Settings, QdrantClientChunkStore, Registry],
) -> None:
    settings, store, registry = server_installation
    (record, *_) = registry.documents.list_documents(status="indexed")
    (point, *_), _ = store.client.scroll(
        store.collection,
        scroll_filter=qm.Filter(
            must=[
                qm.FieldCondition(key="document_id", match=qm.MatchValue(value=record.document_id))
            ]
        ),
        limit=1,
        with_vectors=True,
    )
    # another process's write the backup cannot hold back: one chunk of the document goes
    store.client.delete(store.collection, points_selector=qm.PointIdsList(points=[point.id]))
    try:
        with pytest.raises(BackupError, match="did not match the registry"):
            create_backup(settings, store, registry, tmp_path / "backup")
        assert not (tmp_path / "backup").exists()
        assert not list(tmp_path.iterdir())  # no staging folder left behind
    finally:
        assert isinstance(point.vector, dict)
        store.client.upsert(
            store.collection,
            points=[qm.PointStruct(id=point.id, vector=point.vector, payload=point.payload)],
        )
