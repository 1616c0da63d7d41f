"""A reader that hangs or dies is stopped without holding up or ending the batch.

The slow file is real: a scanned PDF of thirty pages, each of which takes tesseract a good part
of a second; the deadline is shorter than that, so the reader is still working when it is up.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from core.errors import ConversionError, ProcessingTimeoutError
from core.persistence.registry import Registry
from ingest.runner import IngestRunner, run_ingest
from pipelines.components.converters.ocr import PageOcr
from pipelines.components.converters.reader_process import ReaderProcess
from pipelines.stores import EdgeChunkStore
from tests.support.format_fixtures import scanned_page_pdf
from tests.support.helpers import make_settings

NOTE = "Das Jobcenter Emsland bindet Arbeitgeber früh in die Qualifizierung ein."


def slow_scan(path: Path, pages: int = 30) -> Path:
    """An image-only PDF whose OCR takes seconds: about one per page, and pages add up."""
    writer = PdfWriter()
    page = PdfReader(io.BytesIO(scanned_page_pdf())).pages[0]
    for _ in range(pages):
        writer.add_page(page)
    with path.open("wb") as handle:
        writer.write(handle)
    return path


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    """A slow scanned PDF and a short text file."""
    note = tmp_path / "notiz.txt"
    note.write_text(NOTE, encoding="utf-8")
    return slow_scan(tmp_path / "scan.pdf"), note


@pytest.fixture
def reader() -> Iterator[ReaderProcess]:
    """A started reader process, closed after the test."""
    process = ReaderProcess(PageOcr())
    process.start()
    yield process
    process.close()


def test_a_reader_past_its_deadline_is_killed_and_the_next_file_is_read(
    files: tuple[Path, Path], reader: ReaderProcess
) -> None:
    scan, note = files
    first_child = reader.process_id
    assert first_child is not None
    assert reader.read(note, "text", time.monotonic() + 60)[0].text.strip() == NOTE
    with pytest.raises(ProcessingTimeoutError, match="while reading pages"):
        reader.read(scan, "pdf", time.monotonic() + 1.0)
    with pytest.raises(ProcessLookupError):
        os.kill(first_child, 0)  # killed and reaped
    assert reader.read(note, "text", time.monotonic() + 60)[0].text.strip() == NOTE
    assert reader.process_id not in (None, first_child)


def test_a_reader_process_that_dies_fails_only_its_file(
    files: tuple[Path, Path], reader: ReaderProcess
) -> None:
    scan, note = files
    child = reader.process_id
    assert child is not None
    killer = threading.Timer(1.0, os.kill, (child, signal.SIGKILL))  # as the OOM killer would
    killer.start()
    with pytest.raises(ConversionError, match="reader process ended") as failure:
        reader.read(scan, "pdf", time.monotonic() + 120)
    killer.join()
    assert failure.value.code.value == "conversion_failed"
    assert reader.read(note, "text", time.monotonic() + 60)[0].text.strip() == NOTE


@pytest.mark.model
@pytest.mark.slow
def test_ingest_reports_a_hanging_file_as_timeout_and_goes_on(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    slow_scan(corpus / "scan.pdf")
    (corpus / "notiz.txt").write_text(NOTE, encoding="utf-8")
    settings = make_settings(tmp_path / "data", ingest={"max_seconds_per_file": 4})
    by_name = {entry.source: entry for entry in run_ingest(settings, [corpus]).entries}
    assert (by_name["scan.pdf"].status, by_name["scan.pdf"].code) == ("skipped", "timeout")
    assert "while reading pages" in str(by_name["scan.pdf"].reason)
    assert "BLOK_INGEST__MAX_SECONDS_PER_FILE" in str(by_name["scan.pdf"].reason)
    assert by_name["notiz.txt"].status == "indexed"
    store = EdgeChunkStore(settings.edge_store_dir)
    registry = Registry.open(settings)
    try:
        [document] = registry.documents.list_documents()
        assert document.source_name == "notiz.txt"
        assert store.count() == document.chunk_count
    finally:
        store.close()
        registry.close()


@pytest.mark.model
def test_closing_the_runner_stops_its_reader_process(tmp_path: Path) -> None:
    note = tmp_path / "notiz.txt"
    note.write_text(NOTE, encoding="utf-8")
    settings = make_settings(tmp_path / "data")
    registry = Registry.open(settings)
    store = EdgeChunkStore(settings.edge_store_dir)
    runner = IngestRunner(settings, store, registry)
    try:
        assert runner.run([note]).count("indexed") == 1
        readers = [c for c in multiprocessing.active_children() if c.name == "blok-page-reader"]
        assert len(readers) == 1 and readers[0].is_alive()  # kept for the next file
        runner.close()
        assert not readers[0].is_alive()
    finally:
        store.close()
        registry.close()


def test_start_returns_once_the_child_is_ready(files: tuple[Path, Path]) -> None:
    _, note = files
    process = ReaderProcess(PageOcr())
    try:
        connection = process.start()
        assert not connection.poll(0)  # the child's "ready" is taken; nothing else is waiting
        # the child's start-up is behind us: a tiny file needs only its reading time
        assert process.read(note, "text", time.monotonic() + 1.0)[0].text.strip() == NOTE
    finally:
        process.close()


@pytest.mark.model
@pytest.mark.slow
def test_the_reader_killed_at_a_limit_is_restarted_before_the_next_file_starts(
    tmp_path: Path,
) -> None:
    scan = slow_scan(tmp_path / "scan.pdf")
    settings = make_settings(tmp_path / "data", ingest={"max_seconds_per_file": 2})
    registry = Registry(settings.registry_path)
    store = EdgeChunkStore(settings.edge_store_dir)
    runner = IngestRunner(settings, store, registry)
    try:
        assert runner.run([scan]).entries[0].code == "timeout"
        assert not reader_processes()  # killed at the limit
        runner.indexer.prepare()  # what the runner does before the next file's time starts
        assert len(reader_processes()) == 1
    finally:
        runner.close()
        store.close()
        registry.close()


def reader_processes() -> list[multiprocessing.process.BaseProcess]:
    """The page-reader children of this process that are alive."""
    return [c for c in multiprocessing.active_children() if c.name == "blok-page-reader"]
