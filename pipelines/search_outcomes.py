"""What the searcher returns: frozen, typed outcomes of a search and of a question.

Both carry the retrieved chunks as Haystack `Document`s (payload in `meta`) and the successors
of superseded documents that the caller may see; the HTTP schemas (`search_service.schemas`),
the command line and the evaluation read them from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from haystack import Document

from pipelines.components.retrievers.facets import FacetCounts
from pipelines.query_filters.applied import AppliedFilter


@dataclass(frozen=True)
class Successor:
    """The document that took a superseded document's place."""

    document_id: str
    title: str


@dataclass(frozen=True)
class Successors:
    """The successors the caller may read, by their `document_id` (the chunks' `superseded_by`).

    A successor the caller may not read is absent, so a superseded chunk then says only that it
    was superseded, not by what.
    """

    by_id: Mapping[str, Successor] = field(default_factory=dict)

    def of(self, document: Document) -> Successor | None:
        """The readable successor of the chunk's document, if it was superseded."""
        superseded_by = document.meta.get("superseded_by")
        return self.by_id.get(str(superseded_by)) if superseded_by else None


@dataclass(frozen=True)
class SearchOutcome:
    """The ranked chunks of a search, best first, and the facet counts when asked for.

    Attributes:
        documents: The chunks, with their payload in `meta` and the fused score.
        facets: Documents per kind, ring, year, topic and job centre among the candidates
            (None unless asked for).
        successors: The readable successors of superseded documents among `documents`.
        applied_filters: The filters the search applied: the caller's and those read from
            the question.
        relaxed_filters: Filters read from the question that left nothing, so the search ran
            without them.
    """

    documents: list[Document]
    facets: FacetCounts | None = None
    successors: Successors = field(default_factory=Successors)
    applied_filters: tuple[AppliedFilter, ...] = ()
    relaxed_filters: tuple[AppliedFilter, ...] = ()


@dataclass(frozen=True)
class AskOutcome:
    """An answer of verified quotes (or an abstention) and the passages behind it.

    Attributes:
        answer: The answer text with `[n]` markers, or the abstention text.
        citations: The verified quotes; `[n]` in the answer is the n-th.
        passages: The retrieved chunks the answer was drawn from, best first.
        abstained: Nothing relevant enough was found.
        mode: `extractive`, `generated`, or `extractive (fallback: reason)`.
        successors: The readable successors of superseded documents among citations and
            passages.
        best_score: The best sentence's score from the answer-sentence ranker (0 to 1).
        confidence: The answerability classifier's probability that the answer answers the
            question; below the threshold the answer abstains.
        quotes: The candidate quotes before the verbatim check, the best sentence first.
        rejected_citations: How many candidate quotes failed the verbatim check.
        applied_filters: The filters the retrieval applied (as in `SearchOutcome`).
        relaxed_filters: Filters read from the question that left nothing (as in
            `SearchOutcome`).
    """

    answer: str
    citations: list[Document]
    passages: list[Document]
    abstained: bool
    mode: str
    successors: Successors = field(default_factory=Successors)
    best_score: float = 0.0
    confidence: float = 0.0
    quotes: list[Document] = field(default_factory=list)
    rejected_citations: int = 0
    applied_filters: tuple[AppliedFilter, ...] = ()
    relaxed_filters: tuple[AppliedFilter, ...] = ()
