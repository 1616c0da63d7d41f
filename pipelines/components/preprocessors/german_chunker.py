"""`GermanSentenceChunker`: pages into chunks of whole German sentences with exact offsets."""

from __future__ import annotations

import uuid
from collections import deque
from dataclasses import dataclass
from typing import Any

from haystack import Document, component

from pipelines.deadline import Deadline
from pipelines.text.german_text import (
    NUMBERED_HEADING,
    TOP_HEADING,
    WORD,
    count_words,
    heading_level,
    is_list_item,
    sentence_spans,
)

CHUNK_NAMESPACE = uuid.UUID("6f1c1f0e-2b7a-4c55-9a55-7c1d3b2a9e10")
PAGE_ONLY_META = ("headings",)
# A line at least this share of the page's longest line (of at least WRAP_MIN_WIDTH characters)
# that runs on into the next line is a wrapped line of a paragraph, not a heading.
WRAP_SHARE = 0.8
WRAP_MIN_WIDTH = 60
# Lines of a page between two checks of the file's deadline.
DEADLINE_LINES = 2000


def chunk_id_for(document_id: str, chunk_index: int) -> str:
    """Deterministic point id of a chunk."""
    return str(uuid.uuid5(CHUNK_NAMESPACE, f"{document_id}:{chunk_index}"))


@dataclass
class TextUnit:
    """A sentence, list item or heading of a page, as a span of the page text."""

    start: int
    end: int
    words: int
    heading_level: int | None = None


@dataclass
class PageChunk:
    """A chunk's span of its page, its words, headings above it and its sentences' page spans."""

    start: int
    end: int
    words: int
    path: list[str]
    sentences: list[list[int]]


def page_units(
    text: str, explicit_headings: list[list[Any]] | None, deadline: Deadline | None = None
) -> list[TextUnit]:
    """Headings and sentences of one page in order.

    With `explicit_headings` (Markdown) only those lines are headings; otherwise headings are
    guessed line by line. List items always start a new sentence. A `deadline` is checked every
    `DEADLINE_LINES` lines (a text file without form feeds is one page of any size).
    """
    units: list[TextUnit] = []
    queue = deque(explicit_headings) if explicit_headings is not None else None
    region: list[int] = []
    previous: str | None = None
    position = 0

    def close_region() -> None:
        if region:
            spans = sentence_spans(text, region[0], region[1])
            units.extend(TextUnit(s, e, count_words(text[s:e])) for s, e in spans)
            region.clear()

    lines = text.split("\n")
    wrap_width = max(map(len, lines), default=0)
    for index, line in enumerate(lines):
        if deadline is not None and index % DEADLINE_LINES == 0:
            deadline.check("while chunking")
        start, end, position = position, position + len(line), position + len(line) + 1
        if not line.strip():
            close_region()
            previous = ""
            continue
        if queue is not None:
            level = queue.popleft()[0] if queue and line.strip() == queue[0][1] else None
        else:
            level = heading_level(line, previous)
            following = lines[index + 1] if index + 1 < len(lines) else ""
            if level is not None and is_wrapped_line(line, following, wrap_width):
                level = None
        if level is not None or is_list_item(line):
            close_region()
        if level is not None:
            units.append(TextUnit(start, end, count_words(line), int(level)))
            previous = ""  # a heading ends like a finished sentence
            continue
        if region:
            region[1] = end
        else:
            region.extend((start, end))
        previous = line
    close_region()
    return units


def is_wrapped_line(line: str, following: str, wrap_width: int) -> bool:
    """True for a line that fills the page's width and runs on into the next line.

    A paragraph of a PDF export breaks its lines at the page width; its first line, short of a
    sentence end, would otherwise pass for a heading. Numbered headings and "TOP n" stay.
    """
    stripped = line.strip()
    if not following.strip() or NUMBERED_HEADING.match(stripped) or TOP_HEADING.match(stripped):
        return False
    return wrap_width >= WRAP_MIN_WIDTH and len(stripped) >= WRAP_SHARE * wrap_width


def split_long_unit(text: str, unit: TextUnit, max_words: int) -> list[TextUnit]:
    """Cut a sentence longer than `max_words` at word boundaries."""
    words = list(WORD.finditer(text, unit.start, unit.end))
    return [
        TextUnit(group[0].start(), group[-1].end(), len(group))
        for group in (words[i : i + max_words] for i in range(0, len(words), max_words))
    ]


class SectionPath:
    """The stack of headings above the current position of a document."""

    def __init__(self) -> None:
        self.entries: list[tuple[int, str]] = []
        self.seen_heading = False

    def enter(self, level: int, title: str, guessed: bool) -> None:
        """A heading of `level` replaces every heading at that level or deeper."""
        if guessed and not self.seen_heading:
            level = 0
        self.seen_heading = True
        while self.entries and self.entries[-1][0] >= level:
            self.entries.pop()
        self.entries.append((level, title))

    def titles(self) -> list[str]:
        """Heading texts from the outermost to the innermost."""
        return [title for _, title in self.entries]


@component
class GermanSentenceChunker:
    """Split page documents of one or more files into chunks of whole sentences.

    Chunks never cross a page or a heading and hold at most `max_words` words (a longer sentence
    is cut at word boundaries). Each chunk keeps its page, the character offsets of its text in
    the page text, the path of headings above it, and the page spans of its sentences and list
    items (`sentence_spans`, headings left out), so answers need not split passages again.
    Pages must come in page order per file and carry `document_id` in their meta.
    """

    def __init__(self, *, max_words: int = 250) -> None:
        self.max_words = max_words

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document], deadline: Deadline | None = None) -> dict[str, Any]:
        """Chunk the pages.

        Raises:
            ProcessingTimeoutError: the file's `deadline` passed while chunking.
        """
        chunks: list[Document] = []
        sections: dict[str, SectionPath] = {}
        counters: dict[str, int] = {}
        for page in documents:
            document_id = page.meta["document_id"]
            section = sections.setdefault(document_id, SectionPath())
            for span in self._page_chunks(page, section, deadline):
                index = counters.get(document_id, 0)
                counters[document_id] = index + 1
                chunks.append(self._chunk(page, index, span))
        return {"documents": chunks}

    def _page_chunks(
        self, page: Document, section: SectionPath, deadline: Deadline | None = None
    ) -> list[PageChunk]:
        text = page.content or ""
        explicit = page.meta.get("headings")
        spans: list[PageChunk] = []
        current: list[TextUnit] = []
        has_sentence = False

        def flush() -> None:
            nonlocal has_sentence
            if current:
                spans.append(
                    PageChunk(
                        start=current[0].start,
                        end=current[-1].end,
                        words=sum(unit.words for unit in current),
                        path=section.titles(),
                        sentences=[
                            [unit.start, unit.end] for unit in current if unit.heading_level is None
                        ],
                    )
                )
            current.clear()
            has_sentence = False

        for unit in page_units(text, explicit, deadline):
            if unit.heading_level is not None:
                if has_sentence:
                    flush()
                title = text[unit.start : unit.end].strip()
                section.enter(unit.heading_level, title, guessed=explicit is None)
                current.append(unit)
                continue
            pieces = (
                [unit]
                if unit.words <= self.max_words
                else split_long_unit(text, unit, self.max_words)
            )
            for piece in pieces:
                if has_sentence and sum(u.words for u in current) + piece.words > self.max_words:
                    flush()
                current.append(piece)
                has_sentence = True
        flush()
        return spans

    @staticmethod
    def _chunk(page: Document, index: int, span: PageChunk) -> Document:
        text = page.content or ""
        meta = {key: value for key, value in page.meta.items() if key not in PAGE_ONLY_META}
        meta.update(
            chunk_index=index,
            page_start=page.meta["page"],
            page_end=page.meta["page"],
            start_offset=span.start,
            end_offset=span.end,
            section=" > ".join(span.path),
            section_path=list(span.path),
            word_count=span.words,
            sentence_spans=span.sentences,
        )
        return Document(
            id=chunk_id_for(page.meta["document_id"], index),
            content=text[span.start : span.end],
            meta=meta,
        )
