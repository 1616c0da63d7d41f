"""`DocumentMetadataExtractor`: title and date of a document taken from its cleaned pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from haystack import Document, component

from pipelines.components.converters.document_properties import PROPERTIES_TITLE_KEY
from pipelines.components.preprocessors.german_chunker import page_units
from pipelines.text.german_dates import unambiguous_date
from pipelines.text.german_text import NUMBERED_HEADING, TOP_HEADING

INFER_FIELDS_KEY = "infer_fields"
CONVERTER_ONLY_KEYS = (INFER_FIELDS_KEY, PROPERTIES_TITLE_KEY)
MAX_TITLE_CHARACTERS = 200


def first_heading(page: Document) -> str | None:
    """The first heading of a page that reads as a title (not "1. Einleitung", not "TOP 2")."""
    explicit = page.meta.get("headings")
    if explicit:
        title = str(explicit[0][1]).strip()
        return title[:MAX_TITLE_CHARACTERS] or None
    text = page.content or ""
    for unit in page_units(text, None):
        if unit.heading_level is None:
            continue
        title = text[unit.start : unit.end].strip()
        if NUMBERED_HEADING.match(title) or TOP_HEADING.match(title):
            continue
        return title[:MAX_TITLE_CHARACTERS]
    return None


@component
class DocumentMetadataExtractor:
    """Fill in the title and date of documents whose metadata names none.

    A page's meta lists in `infer_fields` the fields no metadata source gave. `title` becomes the
    title the file states in its properties (`properties_title`, set by the converter for HTML
    `<title>` and DOCX/PPTX core properties), else the first heading of the first page (when
    there is one); `date` the one date found in the first
    `date_pages` pages in a German format ("14. Mai 2019", "14.05.2019", "Mai 2019"); several
    different dates are ambiguous and give none. Found values are set on every page (`date` and
    `year` as in the chunk payload) and returned per `document_id` in `inferred`; `infer_fields`
    and `properties_title` are removed from the meta (they are not chunk payload).
    """

    def __init__(self, *, date_pages: int = 2) -> None:
        self.date_pages = date_pages

    @component.output_types(documents=list[Document], inferred=dict[str, dict[str, Any]])
    def run(self, documents: list[Document]) -> dict[str, Any]:
        """Return the pages with inferred fields set, and what was inferred per document."""
        by_document: dict[str, list[Document]] = {}
        for page in documents:
            by_document.setdefault(str(page.meta.get("document_id")), []).append(page)
        inferred = {key: self._infer(pages) for key, pages in by_document.items()}
        output: list[Document] = []
        for page in documents:
            found = inferred[str(page.meta.get("document_id"))]
            meta = {k: v for k, v in page.meta.items() if k not in CONVERTER_ONLY_KEYS}
            if "title" in found:
                meta["title"] = found["title"]
            if "date" in found:
                meta["date"] = found["date"]
                meta["year"] = dt.date.fromisoformat(found["date"]).year
            output.append(Document(content=page.content, meta=meta))
        return {"documents": output, "inferred": {k: v for k, v in inferred.items() if v}}

    def _infer(self, pages: list[Document]) -> dict[str, Any]:
        wanted = set(pages[0].meta.get(INFER_FIELDS_KEY) or [])
        found: dict[str, Any] = {}
        if "title" in wanted:
            title = pages[0].meta.get(PROPERTIES_TITLE_KEY) or first_heading(pages[0])
            if title:
                found["title"] = title
        if "date" in wanted:
            text = "\n".join(page.content or "" for page in pages[: self.date_pages])
            date = unambiguous_date(text)
            if date is not None:
                found["date"] = date.isoformat()
        return found
