"""`PassageSentenceSplitter`: retrieved passages into quotable sentences with page offsets."""

from __future__ import annotations

from typing import Any

from haystack import Document, component

from pipelines.components.preprocessors.german_chunker import page_units
from pipelines.text.german_text import BULLET

CITATION_META = (
    "document_id",
    "title",
    "source_name",
    "kind",
    "ring",
    "date",
    "job_centre",
    "section",
    "superseded_by",
)


def passage_sentences(passage: Document, min_words: int, rank: int = 0) -> list[Document]:
    """The quotable sentences of one passage, with page offsets and citation fields."""
    text = passage.content or ""
    base = int(passage.meta.get("start_offset", 0))
    sentences: list[Document] = []
    for unit in page_units(text, None):
        if unit.heading_level is not None or unit.words < min_words:
            continue
        marker = BULLET.match(text[unit.start : unit.end])
        start = unit.start + (marker.end() if marker else 0)
        meta = {key: passage.meta.get(key) for key in CITATION_META}
        meta.update(
            page=int(passage.meta.get("page_start", passage.meta.get("page", 1))),
            start_offset=base + start,
            end_offset=base + unit.end,
            passage_rank=rank,
        )
        sentences.append(Document(content=text[start : unit.end], meta=meta))
    return sentences


@component
class PassageSentenceSplitter:
    """Split the best passages into sentences; headings and very short sentences are left out.

    A list marker ("–", "•", "1)") at the start of a sentence is not part of its quote. Each
    sentence keeps its passage's citation fields, `page`, and `start_offset`/`end_offset` into the
    page text (the passage's own offset plus the sentence's place in the passage), and
    `passage_rank` (0 = best passage).
    """

    def __init__(self, *, passages: int = 5, min_words: int = 4) -> None:
        self.passages = passages
        self.min_words = min_words

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, Any]:
        """Return one Document per quotable sentence."""
        sentences: list[Document] = []
        for rank, passage in enumerate(documents[: self.passages]):
            sentences += passage_sentences(passage, self.min_words, rank)
        return {"documents": sentences}
