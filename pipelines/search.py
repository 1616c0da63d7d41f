"""`Searcher`: search and ask under a principal, without any transport.

The one path from a question to the store: the HTTP API, the web UI, `blok search`/`blok ask`,
the evaluation and the benchmark all call it. The caller's access conditions
(`core.access.access_conditions`) are derived here, once per call, and applied inside the store
query, so nothing the principal may not see is retrieved, quoted or cited. A question runs the
query pipeline (`pipelines.query`) and then the answering pipeline (`pipelines.answering`) on
the passages it retrieved; the answer rests on exactly the retrieval of a search.

```
search: query ─► query pipeline ─► SearchOutcome(documents, facets, successors)
ask:    query ─► query pipeline ─► passages + question vector ─► answering pipeline
                                                    ─► AskOutcome(answer, citations, passages, …)
```
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

from haystack import Document, Pipeline

from core.access import Principal, access_conditions, access_tokens
from core.errors import InvalidRequestError
from core.filters import SearchFilters
from core.persistence.registry import Registry
from core.settings import RetrievalSettings, Settings
from pipelines.answering import build_answering_pipeline, run_answering
from pipelines.catalog import DocumentCatalog
from pipelines.components.retrievers.hybrid_retriever import RetrievalMode
from pipelines.models.embedding_model import resolve_dense_encoder, warm_up_pipeline
from pipelines.query import QueryResult, build_query_pipeline, embedding_dimension, run_query
from pipelines.query_filters.applied import AppliedFilter, given_filters
from pipelines.search_outcomes import AskOutcome, SearchOutcome, Successor, Successors
from pipelines.stores import ChunkStore, build_chunk_store
from pipelines.text.glossary import load_glossary

# The chunk's link to the document it is part of (an attachment's mail, `ingest.sources`).
PARENT_FIELD = "parent_document_id"


@dataclass(frozen=True)
class FilterInference:
    """Whether a search reads filters from its question, and the day "letztes Jahr" counts from.

    Attributes:
        enabled: Infer ring, years, kind, job centre and topic from the question.
        today: The day of the request (the edge passes it; None ignores relative years).
    """

    enabled: bool = True
    today: dt.date | None = None


class Searcher:
    """Searches and answers questions for a principal; built once by `build_searcher`.

    Args:
        query_pipeline: The warmed-up query pipeline (`build_query_pipeline`).
        answering_pipeline: The warmed-up answering pipeline (`build_answering_pipeline`).
        catalog: Tells which successors of superseded documents a principal may read.
        retrieval: The retrieval settings: default and largest `top_k`.
        passages: Passages a question draws on when the caller does not say.
    """

    def __init__(
        self,
        *,
        query_pipeline: Pipeline,
        answering_pipeline: Pipeline,
        catalog: DocumentCatalog,
        retrieval: RetrievalSettings,
        passages: int,
    ) -> None:
        self.query_pipeline = query_pipeline
        self.answering_pipeline = answering_pipeline
        self.catalog = catalog
        self.retrieval = retrieval
        self.passages = passages

    def search(
        self,
        query: str,
        *,
        principal: Principal,
        top_k: int | None = None,
        filters: SearchFilters | None = None,
        facets: bool = False,
        mode: RetrievalMode | None = None,
        inference: FilterInference | None = None,
    ) -> SearchOutcome:
        """The best chunks for `query` among those `principal` may see.

        Args:
            query: The question or keywords.
            principal: The caller; the store query is limited to what it may see.
            top_k: Number of chunks (default `BLOK_RETRIEVAL__DEFAULT_TOP_K`).
            filters: Metadata filters.
            facets: Also count documents per kind, ring, year, topic and job centre among the
                candidates.
            mode: `hybrid`, `dense` or `sparse` (default: the configured one).
            inference: Whether filters are read from the question (default: on, no `today`).

        Raises:
            InvalidRequestError: `top_k` is above `BLOK_RETRIEVAL__MAX_TOP_K`.
        """
        top_k = self._top_k(top_k, self.retrieval.default_top_k)
        result = self._retrieve(
            query, principal, top_k, filters, inference, facets=facets, mode=mode
        )
        applied, relaxed = _applied_filters(filters, result)
        return SearchOutcome(
            documents=result.documents,
            facets=result.facets,
            successors=self._successors(result.documents, principal),
            applied_filters=applied,
            relaxed_filters=relaxed,
        )

    def ask(
        self,
        query: str,
        *,
        principal: Principal,
        top_k: int | None = None,
        filters: SearchFilters | None = None,
        inference: FilterInference | None = None,
    ) -> AskOutcome:
        """A short answer of verified quotes from what `principal` may see, or an abstention.

        Args:
            query: The question.
            principal: The caller; passages, quotes and citations come only from what it may see.
            top_k: Passages to retrieve (default `BLOK_ANSWER__PASSAGES`).
            filters: Metadata filters.
            inference: Whether filters are read from the question (default: on, no `today`).

        Raises:
            InvalidRequestError: `top_k` is above `BLOK_RETRIEVAL__MAX_TOP_K`.
        """
        top_k = self._top_k(top_k, self.passages)
        result = self._retrieve(query, principal, top_k, filters, inference)
        applied, relaxed = _applied_filters(filters, result)
        answer = run_answering(
            self.answering_pipeline,
            query,
            passages=result.documents,
        )
        return AskOutcome(
            answer=answer.answer,
            citations=answer.citations,
            passages=result.documents,
            abstained=answer.abstained,
            mode=answer.mode,
            successors=self._successors([*answer.citations, *result.documents], principal),
            best_score=answer.best_score,
            confidence=answer.confidence,
            quotes=answer.quotes,
            rejected_citations=answer.rejected_citations,
            applied_filters=applied,
            relaxed_filters=relaxed,
        )

    def embedding_dimension(self) -> int:
        """The length of the model's dense vectors (the store's vector size)."""
        return embedding_dimension(self.query_pipeline)

    def _retrieve(
        self,
        query: str,
        principal: Principal,
        top_k: int,
        filters: SearchFilters | None,
        inference: FilterInference | None = None,
        *,
        facets: bool = False,
        mode: RetrievalMode | None = None,
    ) -> QueryResult:
        """Run the query pipeline under the principal's access (derived here only).

        A chunk names its parent document (the mail of an attachment) only when the principal
        may read the parent too.
        """
        inference = inference or FilterInference()
        result = run_query(
            self.query_pipeline,
            query,
            top_k=top_k,
            filters=filters,
            access_conditions=access_conditions(principal),
            mode=mode,
            facets=facets,
            infer_filters=inference.enabled,
            visible_tokens=access_tokens(principal),
            today=inference.today,
        )
        return replace(result, documents=self._without_hidden_parents(result.documents, principal))

    def _without_hidden_parents(
        self, documents: list[Document], principal: Principal
    ) -> list[Document]:
        """The chunks, each without `parent_document_id` when `principal` may not read it."""
        named = {str(d.meta[PARENT_FIELD]) for d in documents if d.meta.get(PARENT_FIELD)}
        hidden = {i for i in named if self.catalog.readable_document(i, principal) is None}
        return [
            replace(document, meta={k: v for k, v in document.meta.items() if k != PARENT_FIELD})
            if document.meta.get(PARENT_FIELD) in hidden
            else document
            for document in documents
        ]

    def _top_k(self, requested: int | None, default: int) -> int:
        top_k = requested or default
        if top_k > self.retrieval.max_top_k:
            limit = self.retrieval.max_top_k
            raise InvalidRequestError(f"top_k must be at most {limit}, got {top_k}")
        return top_k

    def _successors(self, documents: Iterable[Document], principal: Principal) -> Successors:
        """The successors named by the chunks, only those `principal` may read."""
        named = {str(d.meta["superseded_by"]) for d in documents if d.meta.get("superseded_by")}
        readable = {}
        for document_id in sorted(named):
            record = self.catalog.readable_document(document_id, principal)
            if record is not None:
                readable[document_id] = Successor(record.document_id, record.title)
        return Successors(readable)


def _applied_filters(
    filters: SearchFilters | None, result: QueryResult
) -> tuple[tuple[AppliedFilter, ...], tuple[AppliedFilter, ...]]:
    """The filters applied (the caller's, then the inferred ones that held) and those dropped."""
    given = given_filters(filters)
    if result.relaxed:
        return tuple(given), tuple(result.inferred)
    return (*given, *result.inferred), ()


def build_searcher(
    settings: Settings,
    store: ChunkStore,
    registry: Registry,
    *,
    retrieval: RetrievalSettings | None = None,
) -> Searcher:
    """Build and warm up the query and the answering pipeline (the model is loaded once).

    Args:
        settings: The settings; embedding, answer, generation and the data directory's glossary.
        store: The chunk store the searches read (the service passes a `SwitchableChunkStore`,
            so a re-index can put a new collection in its place).
        registry: Hides documents that are not servable, holds the page texts quotes are
            checked against, and the documents' readability.
        retrieval: Retrieval settings to use instead of `settings.retrieval` (the fusion
            tuning varies them).

    Raises:
        ModelUnavailableError: the embedding model cannot be loaded.
    """
    retrieval = retrieval or settings.retrieval
    encoder = resolve_dense_encoder(settings.embedding, settings.models_dir)
    glossary = load_glossary(settings.data_dir)
    query_pipeline = build_query_pipeline(
        store=store,
        encoder=encoder,
        retrieval=retrieval,
        query_prefix=settings.embedding.query_prefix,
        glossary=glossary,
        serving=registry.documents,
        known_values=registry.documents if retrieval.infer_names else None,
    )
    answering_pipeline = build_answering_pipeline(
        answer=settings.answer,
        page_text=registry.documents.page_text,
        generation=settings.generation,
        glossary=glossary,
    )
    warm_up_pipeline(query_pipeline, encoder.model)
    answering_pipeline.warm_up()
    return Searcher(
        query_pipeline=query_pipeline,
        answering_pipeline=answering_pipeline,
        catalog=DocumentCatalog(store, registry),
        retrieval=retrieval,
        passages=settings.answer.passages,
    )


@contextmanager
def open_searcher(settings: Settings) -> Iterator[Searcher]:
    """Open the registry and the store of `settings`, yield their searcher, close both.

    For in-process callers that own no store of their own: the command line, the evaluation.
    """
    registry = Registry.open(settings)
    try:
        store = build_chunk_store(settings, registry)
        try:
            yield build_searcher(settings, store, registry)
        finally:
            store.close()
    finally:
        registry.close()
