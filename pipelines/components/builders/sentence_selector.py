"""`SentenceSelector`: the quotes of the answer, picked from the ranked sentences by shape."""

from __future__ import annotations

from typing import Any

from haystack import Document, component

from pipelines.answers.patterns import AGREEMENT, AGREEMENT_SECTION


def is_agreement(sentence: Document) -> bool:
    """A sentence of an agreements section, or one that states an agreement."""
    section = str(sentence.meta.get("section") or "")
    return bool(AGREEMENT_SECTION.search(section) or AGREEMENT.search(sentence.content or ""))


@component
class SentenceSelector:
    """Pick the answer's quotes from sentences ranked best first (`AnswerSentenceRanker`).

    - Most questions: the best sentence, then the next best within `relevance_margin` of its
      score, at most `sentences_per_document` from one document.
    - "Wie machen es andere" (`kind == "practice"`): the best sentence of each document, so
      every job centre or document speaks once.
    - "Was wurde vereinbart/beschlossen" (`kind == "agreement"`): the best agreements among the
      candidate sentences of the best sentence's document, at most `max_list_items`, listed
      in the document's order.

    Never more than `max_sentences` quotes (`max_list_items` for an agreement list) and
    `max_words` words in all.
    """

    def __init__(
        self,
        *,
        max_sentences: int = 3,
        sentences_per_document: int = 2,
        max_words: int = 120,
        relevance_margin: float = 0.25,
        max_list_items: int = 5,
    ) -> None:
        self.max_sentences = max_sentences
        self.sentences_per_document = sentences_per_document
        self.max_words = max_words
        self.relevance_margin = relevance_margin
        self.max_list_items = max_list_items

    @component.output_types(documents=list[Document], best_score=float)
    def run(self, documents: list[Document], kind: str = "other") -> dict[str, Any]:
        """Return the chosen sentences and the best sentence's score."""
        if not documents:
            return {"documents": [], "best_score": 0.0}
        best = documents[0]
        if kind == "agreement":
            chosen = self._agreements(documents)
        else:
            per_document = 1 if kind == "practice" else self.sentences_per_document
            chosen = self._by_score(documents, per_document)
        return {"documents": chosen, "best_score": float(best.score or 0.0)}

    def _by_score(self, ranked: list[Document], per_document: int) -> list[Document]:
        floor = float(ranked[0].score or 0.0) - self.relevance_margin
        chosen: list[Document] = []
        counts: dict[str, int] = {}
        words = 0
        for sentence in ranked:
            if len(chosen) == self.max_sentences or float(sentence.score or 0.0) < floor:
                break
            document_id = str(sentence.meta.get("document_id"))
            length = len((sentence.content or "").split())
            if counts.get(document_id, 0) >= per_document or (
                chosen and words + length > self.max_words
            ):
                continue
            counts[document_id] = counts.get(document_id, 0) + 1
            words += length
            chosen.append(sentence)
        return chosen

    def _agreements(self, ranked: list[Document]) -> list[Document]:
        document_id = ranked[0].meta.get("document_id")
        same = [s for s in ranked if s.meta.get("document_id") == document_id]
        items = [s for s in same if is_agreement(s)] or same[:1]
        chosen: list[Document] = []
        words = 0
        for sentence in items:
            length = len((sentence.content or "").split())
            if len(chosen) == self.max_list_items or (chosen and words + length > self.max_words):
                break
            words += length
            chosen.append(sentence)
        return sorted(chosen, key=lambda s: (s.meta["page"], s.meta["start_offset"]))
