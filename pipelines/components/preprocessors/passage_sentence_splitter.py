"""`PassageSentenceSplitter`: retrieved passages into quotable sentences with page offsets."""

from __future__ import annotations

from typing import Any

from haystack import Document, component

from pipelines.components.preprocessors.german_chunker import page_units
from pipelines.text.german_text import BULLET, count_words

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


def sentence_units(passage: Document) -> list[tuple[int, int]]:
    """Spans of the passage's sentences in the passage text, headings left out.

    The chunker stores them at ingestion (`sentence_spans`, page offsets); a chunk indexed
    before that has none and is split here the same way.
    """
    text = passage.content or ""
    base = int(passage.meta.get("start_offset", 0))
    stored = passage.meta.get("sentence_spans")
    if isinstance(stored, list):
        spans = [(int(start) - base, int(end) - base) for start, end in stored]
        return [(start, end) for start, end in spans if 0 <= start < end <= len(text)]
    return [(u.start, u.end) for u in page_units(text, None) if u.heading_level is None]


def passage_sentences(passage: Document, min_words: int, rank: int = 0) -> list[Document]:
    """The quotable sentences of one passage, with page offsets and citation fields.

    Each sentence's meta also says where it stands: `sentence_index` and `sentence_count` in
    its passage, `list_item` when it began with a list marker, and its passage's scores
    (`passage_score` fused, `passage_dense`, `passage_sparse`).
    """
    text = passage.content or ""
    base = int(passage.meta.get("start_offset", 0))
    side_scores = passage.meta.get("retrieval_scores") or {}
    units = [(s, e) for s, e in sentence_units(passage) if count_words(text[s:e]) >= min_words]
    sentences: list[Document] = []
    for index, (unit_start, unit_end) in enumerate(units):
        marker = BULLET.match(text[unit_start:unit_end])
        start = unit_start + (marker.end() if marker else 0)
        meta = {key: passage.meta.get(key) for key in CITATION_META}
        meta.update(
            page=int(passage.meta.get("page_start", passage.meta.get("page", 1))),
            start_offset=base + start,
            end_offset=base + unit_end,
            passage_rank=rank,
            sentence_index=index,
            sentence_count=len(units),
            list_item=marker is not None,
            passage_score=passage.score,
            passage_dense=side_scores.get("dense"),
            passage_sparse=side_scores.get("sparse"),
        )
        sentences.append(Document(content=text[start:unit_end], meta=meta))
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
