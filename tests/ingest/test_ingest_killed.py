"""`kill -9` during a large ingest, then the same command again: complete, no duplicate, no gap.

The ingest runs as a real subprocess (`python -m blok`); the test kills it once some
documents are indexed and runs the same command again.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import qdrant_edge as edge

from core.filters import FieldMatch
from core.persistence.registry import Registry
from pipelines.stores import EdgeChunkStore
from tests.support.helpers import MODELS_DIR, PROJECT_ROOT, make_settings

pytestmark = [pytest.mark.model, pytest.mark.slow]

FILES = 30
TOPICS = (
    "Arbeitgeberservice",
    "Sozialraumorientierung",
    "Integration von Geflüchteten",
    "Digitalisierung der Leistungsgewährung",
    "Beratung von Alleinerziehenden",
    "Kennzahlen nach § 48a SGB II",
)


def write_corpus(folder: Path) -> list[Path]:
    """Small German protocols, each with a few paragraphs of its own."""
    folder.mkdir()
    paths = []
    for n in range(FILES):
        topic = TOPICS[n % len(TOPICS)]
        paragraphs = [
            f"Protokoll Nummer {n} der Vergleichsringsitzung zum Thema {topic}.",
            *(
                f"Abschnitt {part}: Das Jobcenter {n} berichtete über {topic} im Jahr "
                f"{2015 + n % 9}. Die Teilnehmenden vereinbarten, die Erfahrungen mit der "
                f"Maßnahme {n}-{part} in der nächsten Sitzung auszuwerten. Besonders die "
                "Zusammenarbeit mit den kommunalen Trägern und der Agentur für Arbeit wurde "
                "als gelungen beschrieben; offen blieb die Frage der Finanzierung."
                for part in range(1, 7)
            ),
        ]
        path = folder / f"protokoll-{n:02d}.txt"
        path.write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def ingest_command(data_dir: Path, corpus: Path) -> tuple[list[str], dict[str, str]]:
    """The CLI command and its environment (the shared model, no network)."""
    command = [sys.executable, "-m", "blok", "--data-dir", str(data_dir)]
    command += ["ingest", str(corpus), "--no-progress"]
    env = {
        **os.environ,
        "PYTHONPATH": str(PROJECT_ROOT),
        "BLOK_EMBEDDING__MODELS_DIR": str(MODELS_DIR),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HAYSTACK_TELEMETRY_ENABLED": "False",
    }
    return command, env


def indexed_count(registry_path: Path) -> int:
    """Indexed documents, read without writing to the database."""
    if not registry_path.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{registry_path}?mode=ro", uri=True, timeout=1) as db:
            return int(
                db.execute("SELECT COUNT(*) FROM documents WHERE status = 'indexed'").fetchone()[0]
            )
    except sqlite3.Error:  # not created yet
        return 0


def all_chunk_ids(store_dir: Path) -> list[str]:
    """Every point id in the embedded store, read page by page."""
    shard = edge.EdgeShard.load(str(store_dir))
    ids: list[str] = []
    offset = None
    try:
        while True:
            records, offset = shard.scroll(
                edge.ScrollRequest(offset=offset, limit=256, with_payload=False)
            )
            ids += [str(record.id) for record in records]
            if offset is None:
                return ids
    finally:
        shard.close()


def test_a_killed_ingest_completes_when_run_again(tmp_path: Path) -> None:
    paths = write_corpus(tmp_path / "corpus")
    data_dir = tmp_path / "data"
    settings = make_settings(data_dir)
    registry_path = settings.registry_path
    command, env = ingest_command(data_dir, tmp_path / "corpus")

    first = subprocess.Popen(
        command, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 300
    while indexed_count(registry_path) < 3:
        assert first.poll() is None, f"the first run ended before it was killed: {first.stderr}"
        assert time.monotonic() < deadline, "no document was indexed within 300 s"
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)
    assert first.wait(timeout=30) == -signal.SIGKILL
    assert indexed_count(registry_path) < FILES, "the first run finished before it was killed"

    second = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True)
    assert second.returncode == 0, second.stderr

    registry = Registry(registry_path)
    store = EdgeChunkStore(settings.edge_store_dir)
    try:
        records = registry.documents.list_documents()
        assert {record.status for record in records} == {"indexed"}
        paths_indexed = Counter(
            path for r in records for path in registry.documents.paths(r.document_id)
        )
        assert paths_indexed == Counter(str(path) for path in paths)
        assert len(records) == FILES
        for record in records:
            by_document = store.count([FieldMatch("document_id", (record.document_id,))])
            assert by_document == record.chunk_count > 0, record.source_name
            assert (data_dir / "sources" / f"{record.sha256}.txt").is_file()  # kept original
        total = sum(record.chunk_count for record in records)
        assert store.count() == total
    finally:
        store.close()
        registry.close()
    chunk_ids = all_chunk_ids(settings.edge_store_dir)
    assert len(chunk_ids) == len(set(chunk_ids)) == total
