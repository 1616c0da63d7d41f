"""Read DOCX and HTML through `unstructured`, run fully offline.

`unstructured` pings an analytics service when imported and downloads an English spaCy model on
first use; `prepare_unstructured()` opts out of the first (`DO_NOT_TRACK`) and replaces the
second with a blank German pipeline with a sentencizer. Its elements become page text: titles
are headings (level = depth), list items stay items (`- `), tables become one line per row with
cells separated by ` | `.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from core.errors import ConversionError
from pipelines.components.converters.page_readers import RawPage

LANGUAGES = ["deu"]
# Running page headers and footers of a Word document: not content.
RUNNING_CATEGORIES = ("Header", "Footer", "PageNumber")


@functools.lru_cache(maxsize=1)
def _german_sentencizer() -> Any:
    import spacy

    nlp = spacy.blank("de")
    nlp.add_pipe("sentencizer")
    return nlp


@functools.cache
def prepare_unstructured() -> None:
    """Configure `unstructured` to run offline; call before importing any of its modules."""
    os.environ.setdefault("DO_NOT_TRACK", "true")
    os.environ.setdefault("SCARF_NO_ANALYTICS", "true")
    os.environ.setdefault("UNSTRUCTURED_DISABLE_NOTICE", "1")
    import unstructured.nlp.tokenize as tokenize

    tokenize._get_nlp = _german_sentencizer


class _TableRows(HTMLParser):
    """Rows of an HTML table as lists of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            if not self.rows:
                self.rows.append([])
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def table_lines(html: str) -> list[str]:
    """A table's rows, one line each, cells separated by ` | `."""
    parser = _TableRows()
    parser.feed(html)
    return [" | ".join(row) for row in parser.rows if any(row)]


def elements_to_pages(elements: Iterable[Any]) -> list[RawPage]:
    """Typed elements to pages; `PageBreak` elements and page numbers start new pages."""
    pages: list[RawPage] = []
    blocks: list[str] = []
    headings: list[tuple[int, str]] = []
    number = 1

    def close_page() -> None:
        if blocks:
            pages.append(RawPage(number, "\n\n".join(blocks), list(headings)))
        blocks.clear()
        headings.clear()

    previous_category = ""
    for element in elements:
        category = str(getattr(element, "category", ""))
        page_number = getattr(element.metadata, "page_number", None) or number
        if category == "PageBreak" or page_number != number:
            close_page()
            number = page_number if page_number != number else number + 1
            if category == "PageBreak":
                continue
        text = " ".join(str(element.text).split())
        if category in RUNNING_CATEGORIES:
            continue
        if category == "Table" and getattr(element.metadata, "text_as_html", None):
            blocks.append("\n".join(table_lines(element.metadata.text_as_html)) or text)
        elif not text:
            continue
        elif category == "Title":
            headings.append((int(element.metadata.category_depth or 0), text))
            blocks.append(text)
        elif category == "ListItem" and previous_category == "ListItem":
            blocks[-1] += f"\n- {text}"
        elif category == "ListItem":
            blocks.append(f"- {text}")
        else:
            blocks.append(text)
        previous_category = category
    close_page()
    return pages


def _read_with(
    path: Path, partition: Callable[..., list[Any]], what: str, **options: Any
) -> list[RawPage]:
    try:
        elements = partition(filename=str(path), languages=LANGUAGES, **options)
    except Exception as exc:  # the library raises many kinds of errors on a broken file
        raise ConversionError(f"{path.name} is not a readable {what}: {exc}") from exc
    return elements_to_pages(elements)


def read_docx_pages(path: Path) -> list[RawPage]:
    """A Word document: one page, or one per explicit page break."""
    prepare_unstructured()
    from unstructured.partition.docx import partition_docx

    return _read_with(path, partition_docx, "Word document (DOCX)")


def read_html_pages(path: Path) -> list[RawPage]:
    """An HTML page as one page; `nav`, `header` and `footer` content is dropped."""
    prepare_unstructured()
    from unstructured.partition.html import partition_html

    return _read_with(path, partition_html, "HTML page", skip_headers_and_footers=True)
