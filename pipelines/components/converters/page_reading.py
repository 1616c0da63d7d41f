"""Which reader turns a file of a known format into pages; readers are imported when first used.

Kept free of Haystack and of the heavier readers, so the reader child process
(`reader_process`) starts quickly and loads only the readers its files need.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import cast

from pipelines.components.converters.ocr import PageOcr
from pipelines.components.converters.page_readers import RawPage, read_pdf_pages

PACKAGE = "pipelines.components.converters"
# Format → (module, function) of its reader; PDF is read with OCR settings, see `read_file_pages`.
READERS: dict[str, tuple[str, str]] = {
    "markdown": ("page_readers", "read_markdown_pages"),
    "text": ("page_readers", "read_text_pages"),
    "docx": ("unstructured_readers", "read_docx_pages"),
    "pptx": ("pptx_reader", "read_pptx_pages"),
    "html": ("unstructured_readers", "read_html_pages"),
    "eml": ("mail_reader", "read_eml_pages"),
}


def read_file_pages(path: Path, file_format: str, ocr: PageOcr) -> list[RawPage]:
    """The pages of one file of a known format (`file_types.detect_format`)."""
    if file_format == "pdf":
        return read_pdf_pages(path, ocr)
    module, function = READERS[file_format]
    reader = getattr(importlib.import_module(f"{PACKAGE}.{module}"), function)
    return cast(Callable[[Path], list[RawPage]], reader)(path)
