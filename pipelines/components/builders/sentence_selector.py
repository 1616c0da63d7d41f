"""`SentenceSelector`: the sentences that best answer the question, as citation candidates."""

from __future__ import annotations

from typing import Any

import numpy as np
from haystack import Document, component


@component
class SentenceSelector:
    """Rank embedded sentences by cosine similarity to the question and pick the answer's quotes.

    A sentence is quoted when it lies within `relevance_margin` of the best one, at most
    `max_sentences` in all and `sentences_per_document` per document, within `max_words`. The
    best similarity is returned too: the composer abstains when it is below the threshold.
    """

    def __init__(
        self,
        *,
        max_sentences: int = 3,
        sentences_per_document: int = 2,
        max_words: int = 120,
        relevance_margin: float = 0.03,
    ) -> None:
        self.max_sentences = max_sentences
        self.sentences_per_document = sentences_per_document
        self.max_words = max_words
        self.relevance_margin = relevance_margin

    @component.output_types(documents=list[Document], best_score=float)
    def run(self, query_embedding: list[float], documents: list[Document]) -> dict[str, Any]:
        """Return the chosen sentences (score set) and the best sentence's similarity."""
        embedded = [doc for doc in documents if doc.embedding is not None]
        if not embedded:
            return {"documents": [], "best_score": 0.0}
        matrix = np.asarray([doc.embedding for doc in embedded], dtype=np.float32)
        scores = matrix @ np.asarray(query_embedding, dtype=np.float32)
        order = sorted(range(len(embedded)), key=lambda i: (-scores[i], i))
        best = float(scores[order[0]])
        chosen: list[Document] = []
        per_document: dict[str, int] = {}
        words = 0
        for index in order:
            sentence, score = embedded[index], float(scores[index])
            document_id = str(sentence.meta.get("document_id"))
            length = len((sentence.content or "").split())
            if score < best - self.relevance_margin or len(chosen) == self.max_sentences:
                break
            if per_document.get(document_id, 0) >= self.sentences_per_document:
                continue
            if chosen and words + length > self.max_words:
                continue
            per_document[document_id] = per_document.get(document_id, 0) + 1
            words += length
            chosen.append(Document(content=sentence.content, meta=dict(sentence.meta), score=score))
        return {"documents": chosen, "best_score": best}
