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
    - "Was wurde vereinbart/beschlossen" (`kind == "agreement"`): the agreements of the best
      sentence's document as a list in the document's order, from the first item of its
      agreements section on (the list slides on just enough to hold the best-ranked item),
      whole items only: the list stops before the first item that would pass `max_words` or
      `max_list_items`, so it is never cut inside an item and never skips one to fit a later
      one. Without an agreements section among the candidates: the best sentences stating
      an agreement.

    Never more than `max_sentences` quotes (`max_list_items` items for an agreement list) and
    `max_words` words in all (the first quote counts whole, however long).
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
        listed = agreement_items(same)
        if not listed:  # no agreements section among the candidates: the best agreements
            items = [[s] for s in same if is_agreement(s)] or [same[:1]]
        else:
            items = self._window(listed, same)
        chosen: list[list[Document]] = []
        words = 0
        for item in items:
            length = sum(len((s.content or "").split()) for s in item)
            if len(chosen) == self.max_list_items or (chosen and words + length > self.max_words):
                break  # at an item's boundary: the list is cut after a whole item, never inside
            words += length
            chosen.append(item)
        return sorted(
            (s for item in chosen for s in item),
            key=lambda s: (s.meta["page"], s.meta["start_offset"]),
        )

    def _window(self, items: list[list[Document]], ranked: list[Document]) -> list[list[Document]]:
        """The items from the first of the list on; if the best-ranked item would not fit, from
        the earliest item on with which it does (a contiguous part of the list)."""
        best = next(s for s in ranked if any(s is member for item in items for member in item))
        at = next(i for i, item in enumerate(items) if any(best is member for member in item))
        start = 0
        while start < at and not self._fits(items[start : at + 1]):
            start += 1
        return items[start:]

    def _fits(self, items: list[list[Document]]) -> bool:
        words = sum(len((s.content or "").split()) for item in items for s in item)
        return len(items) <= self.max_list_items and (len(items) == 1 or words <= self.max_words)


def agreement_items(sentences: list[Document]) -> list[list[Document]]:
    """The items of the agreements section among `sentences`, in the document's order.

    An item is a list item with the sentences that directly follow it in its passage and are no
    list item themselves; a sentence of the section that is no list item stands alone. The
    section's lead-in ("… hat folgende Vereinbarungen getroffen:") is no item.
    """
    section = sorted(
        {
            (int(s.meta["page"]), int(s.meta["start_offset"])): s
            for s in sentences
            if AGREEMENT_SECTION.search(str(s.meta.get("section") or ""))
            and not (s.content or "").rstrip().endswith(":")
        }.items()
    )
    items: list[list[Document]] = []
    for _, sentence in section:
        previous = items[-1][-1] if items else None
        follows = (
            previous is not None
            and bool(items[-1][0].meta.get("list_item"))
            and not sentence.meta.get("list_item")
            and previous.meta.get("passage_rank") == sentence.meta.get("passage_rank")
            and int(previous.meta.get("sentence_index") or 0) + 1
            == int(sentence.meta.get("sentence_index") or 0)
        )
        if follows:
            items[-1].append(sentence)
        else:
            items.append([sentence])
    return items
