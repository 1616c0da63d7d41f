"""Backup and restore of an embedded installation (`ingest.backup`), with the real model and store.

A backup taken while nothing writes gives a restored installation whose searches answer exactly
as the original's; one taken in the middle of an ingest restores to a state where every document
is whole or absent once the restored service has started (the crash recovery it already has).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.access import SYSTEM
from core.errors import BackupError
from core.filters import FieldMatch
from core.persistence.registry import Registry
from core.settings import Settings
from ingest.backup import MANIFEST_NAME, create_backup, restore_backup, verify_backup
from ingest.runner import IngestRunner, run_ingest
from pipelines.search import open_searcher
from pipelines.stores import SwitchableChunkStore, build_chunk_store
from tests.support.helpers import make_settings

pytestmark = [pytest.mark.model]

QUESTIONS = (
    "Wie arbeitet der Arbeitgeberservice mit Betrieben zusammen?",
    "Sozialraumorientierung im Quartier",
    "Kennzahlen nach § 48a SGB II",
)
GLOSSARY = "abkuerzungen:\n  ASV: Arbeitgeberservice\n"
TOPICS = ("Arbeitgeberservice", "Sozialraumorientierung", "Kennzahlen nach § 48a SGB II")


def write_protocols(folder: Path, count: int, start: int = 0) -> list[Path]:
    """Short German protocols with paragraphs of their own."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(start, start + count):
        topic = TOPICS[n % len(TOPICS)]
        text = "\n\n".join(
            [f"# Protokoll {n}: {topic}"]
            + [
                f"Abschnitt {part}: Das Jobcenter {n} berichtete über {topic} im Jahr "
                f"{2015 + n % 9}. Die Teilnehmenden vereinbarten, die Maßnahme {n}-{part} in der "
                f"nächsten Sitzung auszuwerten und die Erfahrungen zu teilen."
                for part in range(1, 9)
            ]
        )
        path = folder / f"protokoll-{n:02d}.md"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def answers(settings: Settings) -> list[list[tuple[str, float]]]:
    """Per question, the chunks found and their scores."""
    with open_searcher(settings) as searcher:
        return [
            [
                (chunk.id, round(chunk.score or 0.0, 6))
                for chunk in searcher.search(q, principal=SYSTEM, top_k=8).documents
            ]
            for q in QUESTIONS
        ]


@pytest.fixture(scope="module")
def installation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Six indexed protocols and a glossary; the tests only read it."""
    root = tmp_path_factory.mktemp("installation")
    settings = make_settings(root / "original")
    report = run_ingest(settings, [write_protocols(root / "files", 6)[0].parent])
    assert report.count("indexed") == 6
    (settings.data_dir / "glossary.yaml").write_text(GLOSSARY, "utf-8")
    yield settings


def back_up(settings: Settings, target: Path) -> None:
    registry = Registry.open(settings)
    store = build_chunk_store(settings, registry)
    try:
        create_backup(settings, SwitchableChunkStore(store), registry, target)
    finally:
        store.close()
        registry.close()


def test_a_restored_backup_answers_as_the_original(installation: Settings, tmp_path: Path) -> None:
    back_up(installation, tmp_path / "backup")

    manifest = verify_backup(tmp_path / "backup")
    assert manifest.documents == {"indexed": 6}
    assert manifest.chunks > 6
    listed = {entry.path for entry in manifest.files}
    assert {"blok.db", "glossary.yaml", MANIFEST_NAME} - listed == {MANIFEST_NAME}
    assert sum(path.startswith("sources/") for path in listed) == 6

    restored = make_settings(tmp_path / "restored")
    restore_backup(tmp_path / "backup", restored.data_dir)
    assert (restored.data_dir / "glossary.yaml").read_text("utf-8") == GLOSSARY
    assert answers(restored) == answers(installation)


def test_a_backup_during_an_ingest_restores_whole_documents_only(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "original")
    files = write_protocols(tmp_path / "files", 12)
    registry = Registry.open(settings)
    store = SwitchableChunkStore(build_chunk_store(settings, registry))
    runner = IngestRunner(settings, store, registry)
    ingest = threading.Thread(target=runner.run, args=([files[0].parent],))
    try:
        ingest.start()
        while len(registry.documents.list_documents()) < 3 and ingest.is_alive():
            time.sleep(0.05)
        create_backup(settings, store, registry, tmp_path / "backup")
        ingest.join()
    finally:
        runner.close()
        store.close()
        registry.close()
    assert verify_backup(tmp_path / "backup").documents.get("indexed", 0) < 12  # mid-way

    restored = make_settings(tmp_path / "restored")
    restore_backup(tmp_path / "backup", restored.data_dir)
    registry = Registry.open(restored)
    store = SwitchableChunkStore(build_chunk_store(restored, registry))
    try:
        IngestRunner(restored, store, registry).recover_interrupted()  # what a start does
        records = registry.documents.list_documents()
        assert records and {record.status for record in records} == {"indexed"}
        for record in records:
            chunks = store.count([FieldMatch("document_id", (record.document_id,))])
            assert chunks == record.chunk_count, record.source_name
        assert store.count() == sum(record.chunk_count for record in records)
    finally:
        store.close()
        registry.close()


def test_a_damaged_backup_is_refused_and_nothing_is_written(
    installation: Settings, tmp_path: Path
) -> None:
    back_up(installation, tmp_path / "backup")
    source = next((tmp_path / "backup" / "sources").iterdir())
    source.write_bytes(source.read_bytes() + b"x")

    with pytest.raises(BackupError, match="damaged: sources/"):
        restore_backup(tmp_path / "backup", tmp_path / "restored")
    assert not (tmp_path / "restored").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_backups_go_into_new_folders_and_restores_into_empty_ones(
    installation: Settings, tmp_path: Path
) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "note.txt").write_text("x", "utf-8")
    with pytest.raises(BackupError, match="not empty"):
        back_up(installation, tmp_path / "taken")
    back_up(installation, tmp_path / "backup")
    with pytest.raises(BackupError, match="not empty"):
        restore_backup(tmp_path / "backup", installation.data_dir)
    with pytest.raises(BackupError, match=r"no manifest\.json"):
        verify_backup(tmp_path / "taken")
