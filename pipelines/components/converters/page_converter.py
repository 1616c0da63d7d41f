"""`PageConverter`: files to one Haystack Document per page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from haystack import Document, component

from pipelines.components.converters.file_types import detect_format
from pipelines.components.converters.page_readers import (
    RawPage,
    read_markdown_pages,
    read_pdf_pages,
    read_text_pages,
)
from pipelines.errors import ConversionError, ErrorCode

READERS = {"pdf": read_pdf_pages, "markdown": read_markdown_pages, "text": read_text_pages}


@component
class PageConverter:
    """Convert PDF, Markdown and plain text files into page documents.

    Each output Document holds one page's text; its meta is the file's meta plus `page`,
    `file_format` and, for Markdown, `headings` ([level, text] pairs in order). Pages without text
    are left out and counted in `skipped_pages`.
    """

    @component.output_types(documents=list[Document], skipped_pages=list[dict[str, Any]])
    def run(self, sources: list[Path], meta: list[dict[str, Any]]) -> dict[str, Any]:
        """Convert each source; `meta[i]` belongs to `sources[i]`.

        Raises:
            ConversionError: a file is unsupported, unreadable or has no text at all.
        """
        documents: list[Document] = []
        skipped: list[dict[str, Any]] = []
        for source, file_meta in zip(sources, meta, strict=True):
            path = Path(source)
            with path.open("rb") as handle:
                head = handle.read(2048)
            if not head.strip():
                raise ConversionError(f"{path.name} is empty", code=ErrorCode.EMPTY_DOCUMENT)
            file_format = detect_format(path, head)
            pages = READERS[file_format](path)
            kept = [page for page in pages if page.text.strip()]
            skipped += [
                {"source": path.name, "page": page.number, "reason": "no text layer"}
                for page in pages
                if not page.text.strip()
            ]
            if not kept:
                raise ConversionError(
                    f"{path.name} contains no text"
                    + (" (scanned PDF without a text layer?)" if file_format == "pdf" else ""),
                    code=ErrorCode.EMPTY_DOCUMENT,
                )
            documents += [self._page_document(page, file_format, file_meta) for page in kept]
        return {"documents": documents, "skipped_pages": skipped}

    @staticmethod
    def _page_document(page: RawPage, file_format: str, file_meta: dict[str, Any]) -> Document:
        meta = {**file_meta, "page": page.number, "file_format": file_format}
        if page.headings:
            meta["headings"] = [list(heading) for heading in page.headings]
        return Document(content=page.text, meta=meta)
