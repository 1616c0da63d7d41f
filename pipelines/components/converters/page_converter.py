"""`PageConverter`: files to one Haystack Document per page."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from haystack import Document, component

from core.errors import ConversionError, ErrorCode
from pipelines.components.converters.document_properties import (
    PROPERTIES_TITLE_KEY,
    properties_title,
)
from pipelines.components.converters.file_types import detect_format
from pipelines.components.converters.ocr import PageOcr
from pipelines.components.converters.page_readers import RawPage
from pipelines.components.converters.page_reading import read_file_pages
from pipelines.components.converters.reader_process import ReaderProcess

# Formats whose headings are marked (a mail body has none): no line of theirs is guessed.
MARKED_HEADINGS = ("markdown", "docx", "pptx", "html", "eml")


def conversion_by_method(pages: list[RawPage], seconds: float) -> dict[str, dict[str, float]]:
    """Pages and seconds per extraction method (`text`, `ocr`) of one file read in `seconds`.

    An OCR page costs its own recognition time; what the file took besides (opening it, the
    text layers) is shared evenly by all its pages.
    """
    shared = max(0.0, seconds - sum(page.ocr_seconds for page in pages)) / max(1, len(pages))
    methods: dict[str, dict[str, float]] = {}
    for page in pages:
        method = methods.setdefault(page.method, {"pages": 0, "seconds": 0.0})
        method["pages"] += 1
        method["seconds"] += page.ocr_seconds + shared
    return methods


@component
class PageConverter:
    """Convert PDF, DOCX, PPTX, HTML, e-mail, Markdown and plain text files into page documents.

    Each output Document holds one page's text (a PDF page, a slide; other formats are one page
    unless they mark page breaks); its meta is the file's meta plus `page`, `file_format`,
    `extraction` (`text` or `ocr`) and, where the format marks headings, `headings` ([level,
    text] pairs in order). PDF pages without a usable text layer are recognised with tesseract
    when it is enabled and installed. Pages without text are left out and listed in
    `skipped_pages` with the reason. The title an HTML, DOCX or PPTX file states in its
    properties, when sensible, is passed on as `properties_title` for the metadata extractor.
    `conversion` tells per source how many pages each method read and in how many seconds (see
    `conversion_by_method`), for the ingest report.

    With a `deadline` the pages are read in a child process that is killed when the time is up
    (`reader_process`), so a reader that hangs cannot hold up the batch.
    """

    def __init__(
        self,
        *,
        ocr_enabled: bool = True,
        ocr_language: str = "deu",
        ocr_dpi: int = 200,
        ocr_min_text_chars: int = 20,
        tesseract_command: str = "tesseract",
    ) -> None:
        self.ocr_enabled = ocr_enabled
        self.ocr_language = ocr_language
        self.ocr_dpi = ocr_dpi
        self.ocr_min_text_chars = ocr_min_text_chars
        self.tesseract_command = tesseract_command
        self.ocr = PageOcr(
            enabled=ocr_enabled,
            language=ocr_language,
            dpi=ocr_dpi,
            min_text_chars=ocr_min_text_chars,
            tesseract_command=tesseract_command,
        )
        self._reader_process: ReaderProcess | None = None

    @component.output_types(
        documents=list[Document],
        skipped_pages=list[dict[str, Any]],
        conversion=list[dict[str, Any]],
    )
    def run(
        self, sources: list[Path], meta: list[dict[str, Any]], deadline: float | None = None
    ) -> dict[str, Any]:
        """Convert each source; `meta[i]` belongs to `sources[i]`.

        `deadline` (a `time.monotonic()` value) bounds the reading of the pages.

        Raises:
            ConversionError: a file is unsupported, unreadable or has no text at all.
            ProcessingTimeoutError: reading passed the deadline.
        """
        documents: list[Document] = []
        skipped: list[dict[str, Any]] = []
        conversion: list[dict[str, Any]] = []
        for source, file_meta in zip(sources, meta, strict=True):
            path = Path(source)
            with path.open("rb") as handle:
                head = handle.read(4096)
            if not head.strip():
                raise ConversionError(f"{path.name} is empty", code=ErrorCode.EMPTY_DOCUMENT)
            file_format = detect_format(path, head)
            started = time.perf_counter()
            pages = self.read_pages(path, file_format, deadline)
            seconds = time.perf_counter() - started
            conversion.append(
                {"source": path.name, "methods": conversion_by_method(pages, seconds)}
            )
            kept = [page for page in pages if page.text.strip()]
            left_out = [page for page in pages if not page.text.strip()]
            skipped += [
                {"source": path.name, "page": page.number, "reason": self._reason(page)}
                for page in left_out
            ]
            if not kept:
                raise self._no_text_error(path, file_format, left_out)
            stated_title = properties_title(path, file_format)
            if stated_title:
                file_meta = {**file_meta, PROPERTIES_TITLE_KEY: stated_title}
            documents += [self._page_document(page, file_format, file_meta) for page in kept]
        return {"documents": documents, "skipped_pages": skipped, "conversion": conversion}

    def read_pages(
        self, path: Path, file_format: str, deadline: float | None = None
    ) -> list[RawPage]:
        """The pages of one file of a known format; in the reader process with a deadline."""
        if deadline is None:
            return read_file_pages(path, file_format, self.ocr)
        return self._reader().read(path, file_format, deadline)

    def _reader(self) -> ReaderProcess:
        if self._reader_process is None:
            self._reader_process = ReaderProcess(self.ocr)
        return self._reader_process

    def warm_up(self) -> None:
        """Start the reader process, so its start does not count against a file's time."""
        self._reader().start()

    def close(self) -> None:
        """Stop the reader process, if one was started."""
        if self._reader_process is not None:
            self._reader_process.close()

    @staticmethod
    def _reason(page: RawPage) -> str:
        if page.skip_reason:
            return page.skip_reason
        return "no text found by OCR" if page.method == "ocr" else "no text"

    @staticmethod
    def _no_text_error(path: Path, file_format: str, pages: list[RawPage]) -> ConversionError:
        if any(page.skip_reason for page in pages):
            reason = next(page.skip_reason for page in pages if page.skip_reason)
            return ConversionError(
                f"{path.name} has no page with text: {reason}", code=ErrorCode.OCR_UNAVAILABLE
            )
        return ConversionError(
            f"{path.name} contains no text"
            + (" (scanned PDF without a text layer?)" if file_format == "pdf" else ""),
            code=ErrorCode.EMPTY_DOCUMENT,
        )

    @staticmethod
    def _page_document(page: RawPage, file_format: str, file_meta: dict[str, Any]) -> Document:
        meta = {
            **file_meta,
            "page": page.number,
            "file_format": file_format,
            "extraction": page.method,
        }
        if page.headings or file_format in MARKED_HEADINGS:
            meta["headings"] = [list(heading) for heading in page.headings]
        return Document(content=page.text, meta=meta)
