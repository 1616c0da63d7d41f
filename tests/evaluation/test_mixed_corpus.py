"""The benchmark's mixed corpus: at least 200 files of every kind, all distinct (no ingestion)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from pypdf import PdfReader

from evaluation.mixed_corpus import KINDS, count_by_kind, write_mixed_corpus
from pipelines.components.converters.file_types import sniff_format

FORMAT_OF_KIND = {
    "pdf": "pdf",
    "pdf-scanned": "pdf",
    "pdf-mixed": "pdf",
    "docx": "docx",
    "pptx": "pptx",
    "html": "html",
    "markdown": "markdown",
    "text": "text",
    "text-numbered": "text",
    "eml": "eml",
}


def test_the_corpus_has_200_distinct_files_of_every_kind(tmp_path: Path) -> None:
    files = write_mixed_corpus(tmp_path / "a", 200, ocr_pages=20)
    assert len(files) == len(list((tmp_path / "a").iterdir())) == 200
    counts = count_by_kind(files)
    assert all(counts[kind] >= 1 for kind in KINDS)
    assert counts["pdf"] > sum(counts.values()) / 2  # born-digital PDFs are most of the batch
    assert sum(file.ocr_pages for file in files) == 20
    assert all(2 <= file.pages <= 10 for file in files if file.kind == "pdf")
    for file in files:
        assert sniff_format(tmp_path / "a" / file.name) == FORMAT_OF_KIND[file.kind], file.name
    digests = {hashlib.sha256((tmp_path / "a" / f.name).read_bytes()).digest() for f in files}
    assert len(digests) == 200  # identical content would be ingested once
    scanned = next(file for file in files if file.kind == "pdf-scanned")
    reader = PdfReader(tmp_path / "a" / scanned.name)
    assert len(reader.pages) == scanned.pages
    assert all(not (page.extract_text() or "").strip() for page in reader.pages)


def test_the_same_seed_gives_the_same_files(tmp_path: Path) -> None:
    first = write_mixed_corpus(tmp_path / "a", 30, ocr_pages=3, seed=3)
    assert write_mixed_corpus(tmp_path / "b", 30, ocr_pages=3, seed=3) == first
    for file in first:
        if file.name.endswith((".md", ".txt", ".html")):
            same = (tmp_path / "a" / file.name).read_bytes()
            assert same == (tmp_path / "b" / file.name).read_bytes()
    assert write_mixed_corpus(tmp_path / "c", 30, ocr_pages=3, seed=4) != first
