"""What makes a file one document and one way of indexing it: its content hash and index key."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from core.settings import Settings
from pipelines.components.converters.ocr import PageOcr

# 3: `visibility` is stored as a list of access tokens (`["ring:vr3", "ring:vr5"]`).
# 4: line numbers stripped, list markers normalised, title and date inferred from the text;
#    chunks carry `extraction` (`text` or `ocr`); DOCX, PPTX, HTML and e-mail are read.
# 5: titles stated in HTML `<title>` and DOCX/PPTX properties win over the first heading.
INDEX_FORMAT_VERSION = "5"


def file_sha256(path: Path) -> str:
    """SHA-256 of the file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def page_ocr(settings: Settings) -> PageOcr:
    """The OCR configuration of the indexing pipeline."""
    return PageOcr(**settings.ocr.model_dump())


def index_key(metadata: dict[str, Any], settings: Settings) -> str:
    """Changes whenever the same file would be indexed differently.

    OCR settings and whether tesseract is installed count: installing it re-reads scanned pages.
    """
    ocr = [settings.ocr.model_dump(), page_ocr(settings).available()]
    basis = [
        INDEX_FORMAT_VERSION,
        settings.embedding.model,
        settings.chunking.max_words,
        metadata,
        ocr,
    ]
    return hashlib.sha256(json.dumps(basis, sort_keys=True, default=str).encode()).hexdigest()
