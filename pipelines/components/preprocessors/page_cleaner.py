"""`PageCleaner`: normalise page text before it is split; offsets later index the cleaned text."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from typing import Any

from haystack import Document, component

from pipelines.deadline import Deadline
from pipelines.text.page_layout import (
    MIN_NUMBERED_LINES,
    is_line_numbered,
    normalize_list_markers,
    strip_line_numbers,
)

STEP = "while cleaning the pages"  # where a file that runs out of time stopped
INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), None)
SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
PAGE_NUMBER_LINE = re.compile(r"^(?:Seite\s+\d+(?:\s+von\s+\d+)?|[-–]\s*\d+\s*[-–])$")
BARE_NUMBER = re.compile(r"^\d{1,3}$")
# A whole line in Markdown bold ("**3. Budget**", text exports of PDFs): a heading, unwrapped.
EMPHASIZED_LINE = re.compile(r"^\*\*([^*]+)\*\*$")
# "Eingliederungs-\nleistungen" -> "Eingliederungsleistungen", but not "Kreis-\nund Städte".
LINE_END_HYPHEN = re.compile(r"(?<=[a-zäöüß])-\n(?!(?:und|oder|bzw|sowie|bis|als)\b)(?=[a-zäöüß])")


def clean_line(line: str) -> str:
    """Collapse spaces and trim one line."""
    return SPACES.sub(" ", line).strip()


def page_lines(text: str) -> list[str]:
    """The lines of a page: Unicode NFC, no invisible characters, spaces collapsed."""
    text = unicodedata.normalize("NFC", text).translate(INVISIBLE)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return [clean_line(line) for line in text.split("\n")]


def clean_page_text(
    text: str, *, line_numbered_document: bool = False, deadline: Deadline | None = None
) -> str:
    """Normalise Unicode, whitespace, line numbers, list markers, page-number lines and words
    hyphenated at line ends.

    Line numbers go when the page is line-numbered; in a `line_numbered_document` also on a page
    with fewer lines than a page needs to be recognised on its own. With a `deadline` the time
    is checked between the passes, so one huge page stops within a pass of the file's limit.
    """
    lines = page_lines(text)
    _check(deadline)
    min_lines = 1 if line_numbered_document else MIN_NUMBERED_LINES
    lines = normalize_list_markers(strip_line_numbers(lines, min_lines))
    _check(deadline)
    lines = [EMPHASIZED_LINE.sub(r"\1", line) for line in lines]
    lines = [line for line in lines if not PAGE_NUMBER_LINE.match(line)]
    _check(deadline)
    while lines and (not lines[-1] or BARE_NUMBER.match(lines[-1])):
        lines.pop()
    while lines and (not lines[0] or BARE_NUMBER.match(lines[0])):
        lines.pop(0)
    text = LINE_END_HYPHEN.sub("", "\n".join(lines))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _check(deadline: Deadline | None) -> None:
    if deadline is not None:
        deadline.check(STEP)


def line_shape(line: str) -> str:
    """A line with its digits blurred, so "Seite 3" and "Seite 4" count as one running line."""
    return re.sub(r"\d+", "#", line.strip().casefold())


def running_lines(texts: list[str], edge_lines: int = 2) -> set[str]:
    """Shapes of lines at the top or bottom of more than half of the pages (3 pages or more)."""
    if len(texts) < 3:
        return set()
    counts: Counter[str] = Counter()
    for text in texts:
        lines = [line for line in text.split("\n") if line.strip()]
        counts.update({line_shape(line) for line in lines[:edge_lines] + lines[-edge_lines:]})
    return {shape for shape, count in counts.items() if count > len(texts) / 2 and shape}


def drop_running_lines(text: str, shapes: set[str], edge_lines: int = 2) -> str:
    """Remove running headers and footers from the top and bottom lines of one page."""
    if not shapes:
        return text
    lines = text.split("\n")
    filled = [index for index, line in enumerate(lines) if line.strip()]
    edges = set(filled[:edge_lines] + filled[-edge_lines:])
    kept = [
        line
        for index, line in enumerate(lines)
        if index not in edges or line_shape(line) not in shapes
    ]
    return "\n".join(kept)


def line_numbered_documents(pages: list[Document]) -> set[str]:
    """Ids of documents more than half of whose pages are line-numbered on their own."""
    votes: dict[str, list[bool]] = {}
    for page in pages:
        key = str(page.meta.get("document_id"))
        votes.setdefault(key, []).append(is_line_numbered(page_lines(page.content or "")))
    return {key for key, numbered in votes.items() if sum(numbered) * 2 > len(numbered)}


@component
class PageCleaner:
    """Clean page documents: whitespace, hyphenation, page numbers, the line numbers of
    line-numbered documents, list markers (all bullets become "- "), running headers and footers.

    Pages that end up empty are dropped.
    """

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document], deadline: Deadline | None = None) -> dict[str, Any]:
        """Return cleaned copies of the page documents.

        Raises:
            ProcessingTimeoutError: the file's `deadline` passed while cleaning.
        """
        numbered = line_numbered_documents(documents)
        texts = [
            clean_page_text(
                page.content or "",
                line_numbered_document=str(page.meta.get("document_id")) in numbered,
                deadline=deadline,
            )
            for page in documents
        ]
        by_document: dict[str, list[str]] = {}
        for page, text in zip(documents, texts, strict=True):
            by_document.setdefault(str(page.meta.get("document_id")), []).append(text)
        shapes = {key: running_lines(pages) for key, pages in by_document.items()}
        cleaned: list[Document] = []
        for page, text in zip(documents, texts, strict=True):
            text = drop_running_lines(text, shapes[str(page.meta.get("document_id"))]).strip()
            if not text:
                continue
            meta = dict(page.meta)
            if "headings" in meta:
                meta["headings"] = [[level, clean_line(title)] for level, title in meta["headings"]]
            cleaned.append(Document(content=text, meta=meta))
        return {"documents": cleaned}
