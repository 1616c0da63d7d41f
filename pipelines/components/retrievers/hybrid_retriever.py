"""`HybridRetriever`: dense and BM25 candidates from the store, fused and capped per document.

On request it also counts the facets (kind, ring, year, topic, job centre) of every document
among the fused candidates, so the counts follow the query and its filters. The caller's access
conditions (`core.access.access_conditions`) are added to the request's filters inside both store
queries, so nothing the caller may not see is ever a candidate. With a `serving` state (the
registry) documents that are being written or were just replaced are left out as well, and both
store queries see one version of every document (`core.serving`). Chunks of documents the
office marked as superseded rank below their successor's (`fusion.demote_superseded`).
Filters read from the question (`inferred_filters`) narrow the search like the caller's; when
they leave no candidate at all, the search is repeated without them and `relaxed` says so.
A year the question names alone is no filter but `boost_years`: chunks of documents of those
years have their fused score multiplied by 1 + `filter_boost`.
"""

from __future__ import annotations

from typing import Any, Literal

from haystack import Document, component
from haystack.dataclasses import SparseEmbedding

from core.filters import Condition, SearchFilters
from core.serving import MAX_QUERY_ATTEMPTS, ServingState
from pipelines.components.retrievers.facets import FacetCounts, count_facets
from pipelines.components.retrievers.fusion import (
    boost_years_of,
    cap_per_document,
    demote_superseded,
    fuse,
)
from pipelines.stores.base import ChunkStore, ScoredChunk

RetrievalMode = Literal["hybrid", "dense", "sparse"]


def chunk_document(chunk: ScoredChunk, side_scores: dict[str, float | None]) -> Document:
    """A store hit as a Haystack Document (payload in meta, text as content)."""
    meta = {key: value for key, value in chunk.payload.items() if key != "text"}
    meta["retrieval_scores"] = side_scores
    return Document(
        id=chunk.chunk_id, content=chunk.payload.get("text", ""), meta=meta, score=chunk.score
    )


@component
class HybridRetriever:
    """Retrieve chunks by dense similarity and German BM25 under metadata filters, then fuse."""

    def __init__(
        self,
        *,
        store: ChunkStore,
        fusion: str = "minmax",
        dense_weight: float = 1.0,
        sparse_weight: float = 0.7,
        rrf_k: int = 60,
        candidates: int = 100,
        per_document_cap: int = 3,
        mode: RetrievalMode = "hybrid",
        serving: ServingState | None = None,
        superseded_penalty: float = 0.5,
        filter_boost: float = 0.3,
    ) -> None:
        self.store = store
        self.filter_boost = filter_boost
        self.superseded_penalty = superseded_penalty
        self.serving = serving
        self.fusion = fusion
        self.dense_weight = dense_weight
        self.sparse_weight = sparse_weight
        self.rrf_k = rrf_k
        self.candidates = candidates
        self.per_document_cap = per_document_cap
        self.mode = mode

    @component.output_types(documents=list[Document], facets=FacetCounts | None, relaxed=bool)
    def run(
        self,
        query_embedding: list[float],
        query_sparse_embedding: SparseEmbedding,
        filters: SearchFilters | None = None,
        inferred_filters: SearchFilters | None = None,
        access_conditions: list[Condition] | None = None,
        top_k: int = 10,
        mode: RetrievalMode | None = None,
        facets: bool = False,
        boost_years: list[int] | None = None,
    ) -> dict[str, Any]:
        """Return the `top_k` best chunks; `mode` overrides the configured retrieval mode.

        With `facets`, also return the facet counts of all fused candidates (else None).
        `access_conditions` restrict the candidates to what the caller may see (None: no limit).
        `inferred_filters` are dropped when they leave nothing (`relaxed` is then True).
        Chunks of documents of `boost_years` rank higher (fused score × (1 + `filter_boost`)).
        """
        mode = mode or self.mode
        conditions = (filters or SearchFilters()).conditions() + list(access_conditions or [])
        narrowed = inferred_filters.conditions() if inferred_filters else []
        limit = max(self.candidates, top_k)
        dense, sparse = self._candidates(
            query_embedding, query_sparse_embedding, conditions + narrowed, limit, mode
        )
        relaxed = bool(narrowed) and not dense and not sparse
        if relaxed:
            dense, sparse = self._candidates(
                query_embedding, query_sparse_embedding, conditions, limit, mode
            )
        if mode == "hybrid":
            fused = fuse(
                [(dense, self.dense_weight), (sparse, self.sparse_weight)], self.fusion, self.rrf_k
            )
        else:
            fused = dense or sparse
        fused = boost_years_of(fused, set(boost_years or ()), self.filter_boost)
        fused = demote_superseded(fused, self.superseded_penalty)
        dense_scores = {chunk.chunk_id: chunk.score for chunk in dense}
        sparse_scores = {chunk.chunk_id: chunk.score for chunk in sparse}
        capped = cap_per_document(fused, self.per_document_cap)[:top_k]
        return {
            "documents": [
                chunk_document(
                    chunk,
                    {
                        "dense": dense_scores.get(chunk.chunk_id),
                        "sparse": sparse_scores.get(chunk.chunk_id),
                    },
                )
                for chunk in capped
            ],
            "facets": count_facets(fused) if facets else None,
            "relaxed": relaxed,
        }

    def _candidates(
        self,
        query_embedding: list[float],
        query_sparse_embedding: SparseEmbedding,
        conditions: list[Condition],
        limit: int,
        mode: RetrievalMode,
    ) -> tuple[list[ScoredChunk], list[ScoredChunk]]:
        """Dense and sparse candidates of servable documents, both from one serving generation."""
        if self.serving is None:
            return self._query(query_embedding, query_sparse_embedding, conditions, limit, mode)
        for _ in range(MAX_QUERY_ATTEMPTS):
            hidden = self.serving.hidden_documents()
            servable = conditions + hidden.conditions()
            found = self._query(query_embedding, query_sparse_embedding, servable, limit, mode)
            if self.serving.serving_generation() == hidden.generation:
                break
        return found

    def _query(
        self,
        query_embedding: list[float],
        query_sparse_embedding: SparseEmbedding,
        conditions: list[Condition],
        limit: int,
        mode: RetrievalMode,
    ) -> tuple[list[ScoredChunk], list[ScoredChunk]]:
        dense: list[ScoredChunk] = []
        sparse: list[ScoredChunk] = []
        if mode in ("hybrid", "dense"):
            dense = self.store.query_dense(query_embedding, conditions, limit)
        if mode in ("hybrid", "sparse") and query_sparse_embedding.indices:
            sparse = self.store.query_sparse(
                list(query_sparse_embedding.indices),
                list(query_sparse_embedding.values),
                conditions,
                limit,
            )
        return dense, sparse
