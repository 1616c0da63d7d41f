"""The per-file time limit, measured: `python -m evaluation.benchmark --time-limit S`.

A small text, a large text file (many thousand chunks: its embedding runs far past the limit)
and a PDF of blank pages (each page goes to OCR) are ingested on a fresh data directory under the
limit `S` (`BLOK_INGEST__MAX_SECONDS_PER_FILE`). Printed: per file its outcome and how
long it took until it was stopped. An upload job behind them in the service waits for at most one
such file of each job before it (the worker's fair turns, `search_service.ingest_jobs`;
`tests/search_service/test_fair_turns.py` measures that wait).
"""

from __future__ import annotations

import random
from pathlib import Path

from core.persistence.registry import Registry
from core.settings import Settings
from evaluation.file_writers import text_pages_pdf
from ingest.runner import IngestRunner
from pipelines.stores import build_chunk_store

WORDS = (
    "Das Jobcenter begleitet Alleinerziehende bei der Arbeitsaufnahme und vermittelt "
    "Kinderbetreuung Qualifizierung Beratung Arbeitgeber Integration in der Region"
).split()
SMALL = "# Kurzbericht\n\nDas Jobcenter Auenwald berät Alleinerziehende zur Kinderbetreuung.\n"


def large_text(megabytes: float, seed: int = 7) -> bytes:
    """German-looking paragraphs, about `megabytes` MB."""
    generator = random.Random(seed)
    parts, size = [], 0
    while size < megabytes * 1_000_000:
        sentences = [
            " ".join(generator.choice(WORDS) for _ in range(14)).capitalize() + "."
            for _ in range(8)
        ]
        parts.append(" ".join(sentences) + "\n\n")
        size += len(parts[-1])
    return "".join(parts).encode()


def bench_limits(settings: Settings, folder: Path, *, text_mb: float, pdf_pages: int) -> list[str]:
    """Ingest the large text, the blank PDF and a small text; one line per file."""
    folder.mkdir(parents=True)
    files = [  # the small file first: the page reader starts before its time does
        (folder / "klein.md", SMALL.encode()),
        (folder / "gross.txt", large_text(text_mb)),
        (folder / "leer.pdf", text_pages_pdf([[] for _ in range(pdf_pages)])),
    ]
    registry = Registry.open(settings)
    store = build_chunk_store(settings, registry)
    runner = IngestRunner(settings, store, registry)
    limit = settings.ingest.max_seconds_per_file
    lines = []
    try:
        runner.indexer.prepare()  # the model and the reader, before the first file
        for path, content in files:
            path.write_bytes(content)
            (entry,) = runner.ingest_path(path)
            size = f"{len(content) / 1e6:.1f} MB"
            lines.append(
                f"time limit {limit:g} s: {path.name} ({size}) {entry.status} "
                f"({entry.code or 'ok'}) after {entry.seconds:.1f} s"
                + (f": {entry.reason}" if entry.reason else "")
            )
    finally:
        runner.close()
        store.close()
        registry.close()
    return lines
