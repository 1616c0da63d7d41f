"""The per-file time limit holds in every step, embedding included, and the run goes on.

A large text file reads and chunks within a small limit, but its embedding would take minutes:
it is stopped between two encoder batches. A PDF of blank pages sends every page to OCR: its
page reader is killed at the limit. Both are `timeout` with no chunk and no registry row, and
the small files around them are indexed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.filters import FieldMatch
from core.persistence.registry import Registry
from ingest.runner import run_ingest
from pipelines.stores import build_chunk_store
from tests.support.helpers import make_settings
from tests.support.slow_files import blank_pages_pdf, large_text

pytestmark = [pytest.mark.model, pytest.mark.slow]

LIMIT_SECONDS = 15.0
SMALL = "# Kurzbericht\n\nDas Jobcenter Auenwald berät Alleinerziehende zur Kinderbetreuung.\n"


def test_files_over_the_limit_stop_in_any_step_and_leave_nothing(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    # The small file first: loading the model (not counted against a file's time) is behind it.
    (corpus / "a-klein.md").write_text(SMALL, encoding="utf-8")
    large_text(corpus / "b-gross.txt", megabytes=1)
    (corpus / "c-leer.pdf").write_bytes(blank_pages_pdf(2000))
    (corpus / "d-klein.md").write_text(SMALL.replace("Auenwald", "Birkenau"), encoding="utf-8")
    settings = make_settings(tmp_path / "data", ingest={"max_seconds_per_file": LIMIT_SECONDS})
    report = run_ingest(settings, [corpus])
    by_name = {entry.source: entry for entry in report.entries}
    large, blank = by_name["b-gross.txt"], by_name["c-leer.pdf"]
    assert (large.status, large.code) == ("skipped", "timeout"), large
    assert "while embedding, after" in str(large.reason), large.reason  # between two batches
    assert "BLOK_INGEST__MAX_SECONDS_PER_FILE" in str(large.reason)
    assert (blank.status, blank.code) == ("skipped", "timeout"), blank
    assert by_name["a-klein.md"].status == by_name["d-klein.md"].status == "indexed"
    registry = Registry.open(settings)
    store = build_chunk_store(settings, registry)
    try:
        names = sorted(r.source_name for r in registry.documents.list_documents())
        assert names == ["a-klein.md", "d-klein.md"]
        assert store.count([]) == by_name["a-klein.md"].chunks + by_name["d-klein.md"].chunks
        assert store.count([FieldMatch("source_name", ("b-gross.txt", "c-leer.pdf"))]) == 0
    finally:
        store.close()
        registry.close()
    print(
        f"stopped after {large.seconds:.1f} s (1 MB text: {large.reason}) and "
        f"{blank.seconds:.1f} s (2,000 blank pages) with a limit of {LIMIT_SECONDS:g} s"
    )
