"""Ingestion of a mixed batch of files: `python -m evaluation.benchmark --mixed-files N`.

Writes `evaluation.mixed_corpus` (N files of every supported format, scanned pages included)
into a temporary folder, ingests it into a fresh data directory with the real model and prints
what the ingest report says per kind of file, the conversion speed per extraction method (pypdf
text layer against OCR, from the per-page timing the converter reports), chunks per second and
the process's peak resident memory.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

from core.persistence.registry import Registry
from core.settings import Settings
from evaluation.mixed_corpus import KINDS, CorpusFile, write_mixed_corpus
from ingest.report import IngestReport, ReportEntry
from ingest.runner import IngestRunner
from pipelines.stores import EdgeChunkStore

HEADER = ("kind", "files", "indexed", "skipped", "dupl.", "pages", "chunks", "seconds", "pages/min")
ROW = "{:<14}{:>6}{:>9}{:>9}{:>7}{:>8}{:>9}{:>10}{:>11}"


def per_minute(pages: float, seconds: float) -> str:
    """Pages per minute, or a dash when nothing was timed."""
    return f"{pages * 60 / seconds:.0f}" if seconds > 0 else "–"


def kind_rows(files: list[CorpusFile], report: IngestReport) -> list[str]:
    """One row per kind of file: outcomes, pages, chunks, wall time and pages per minute.

    An e-mail yields one entry for its body and one per attachment; all count for its kind.
    """
    kind_of = {file.name: file.kind for file in files}
    lines = [ROW.format(*HEADER)]
    for kind in KINDS:
        entries = [e for e in report.entries if kind_of.get(Path(e.path or "").name) == kind]
        indexed = [e for e in entries if e.status == "indexed"]
        pages = sum(e.pages for e in indexed)
        seconds = sum(e.seconds for e in entries)
        lines.append(
            ROW.format(
                kind,
                sum(file.kind == kind for file in files),
                len(indexed),
                sum(e.status == "skipped" for e in entries),
                sum(e.status == "duplicate" for e in entries),
                pages,
                sum(e.chunks for e in indexed),
                f"{seconds:.1f}",
                per_minute(pages, seconds),
            )
        )
    return lines


def method_totals(entries: Iterable[ReportEntry], method: str) -> tuple[int, float]:
    """Pages read by `method` and the conversion seconds they took."""
    pages, seconds = 0, 0.0
    for entry in entries:
        found = entry.extraction.get(method)
        if found:
            pages += int(found["pages"])
            seconds += found["seconds"]
    return pages, seconds


def method_rows(files: list[CorpusFile], report: IngestReport) -> list[str]:
    """Conversion speed of born-digital PDF pages (pypdf) and of OCR pages (render + tesseract)."""
    kind_of = {file.name: file.kind for file in files}
    pdf = [e for e in report.entries if kind_of.get(Path(e.path or "").name) == "pdf"]
    text_pages, text_seconds = method_totals(pdf, "text")
    ocr_pages, ocr_seconds = method_totals(report.entries, "ocr")
    return [
        "conversion only (reading the pages, before cleaning, chunking and embedding):",
        f"  born-digital PDF pages (pypdf text layer): {text_pages} pages in "
        f"{text_seconds:.1f} s = {per_minute(text_pages, text_seconds)} pages/min",
        f"  OCR pages (pypdfium2 render + tesseract deu): {ocr_pages} pages in "
        f"{ocr_seconds:.1f} s = {per_minute(ocr_pages, ocr_seconds)} pages/min",
    ]


def bench_mixed(
    settings: Settings, corpus_dir: Path, count: int, *, ocr_pages: int, seed: int
) -> list[str]:
    """Write the mixed corpus, ingest it into `settings.data_dir` and return the report lines."""
    started = time.perf_counter()
    files = write_mixed_corpus(corpus_dir, count, ocr_pages=ocr_pages, seed=seed)
    generate_seconds = time.perf_counter() - started
    registry = Registry.open(settings)
    store = EdgeChunkStore(settings.edge_store_dir)
    try:
        runner = IngestRunner(settings, store, registry)
        started = time.perf_counter()
        runner.indexer.pipeline()
        load_seconds = time.perf_counter() - started
        report = runner.run([corpus_dir])
    finally:
        store.close()
        registry.close()
    totals = report.summary()
    per_file = sum(entry.seconds for entry in report.entries)
    return [
        f"mixed corpus: {len(files)} files written in {generate_seconds:.1f} s "
        f"({sum(f.pages for f in files)} pages, {sum(f.ocr_pages for f in files)} of them scanned)",
        *kind_rows(files, report),
        *method_rows(files, report),
        f"whole run: {totals['files']} documents ({totals['indexed']} indexed, "
        f"{totals['skipped']} skipped, {totals['duplicates']} duplicates), {totals['pages']} "
        f"pages, {totals['chunks']} chunks in {report.seconds:.1f} s wall = "
        f"{totals['chunks'] / report.seconds:.2f} chunks/s, "
        f"{per_minute(totals['pages'], report.seconds)} pages/min "
        f"(files {per_file:.1f} s, store optimize and the rest "
        f"{report.seconds - per_file:.1f} s; model load before: {load_seconds:.1f} s)",
    ]
