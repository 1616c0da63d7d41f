"""`SearchEngine`: the store, the registry and the query pipeline of one running service."""

from __future__ import annotations

from haystack import Pipeline

from pipelines.components.retrievers.hybrid_retriever import RetrievalMode
from pipelines.embedding_model import resolve_embedding_model, warm_up_pipeline
from pipelines.errors import InvalidRequestError
from pipelines.query import build_query_pipeline, run_query
from pipelines.registry import Registry
from pipelines.settings import Settings
from pipelines.stores import ChunkStore, build_chunk_store
from search_service.schemas import SearchRequest, SearchResponse, SearchResult


class SearchEngine:
    """Answers searches; built once per process by `build_search_engine`."""

    def __init__(
        self, settings: Settings, store: ChunkStore, registry: Registry, pipeline: Pipeline
    ) -> None:
        self.settings = settings
        self.store = store
        self.registry = registry
        self.pipeline = pipeline

    def search(self, request: SearchRequest, mode: RetrievalMode | None = None) -> SearchResponse:
        """Run the query pipeline for one request."""
        limits = self.settings.retrieval
        top_k = request.top_k or limits.default_top_k
        if top_k > limits.max_top_k:
            raise InvalidRequestError(f"top_k must be at most {limits.max_top_k}, got {top_k}")
        documents = run_query(
            self.pipeline, request.query, top_k=top_k, filters=request.filters, mode=mode
        )
        return SearchResponse(results=[SearchResult.from_document(doc) for doc in documents])

    def close(self) -> None:
        """Release the store and the registry."""
        self.store.close()
        self.registry.close()


def build_search_engine(settings: Settings, store: ChunkStore | None = None) -> SearchEngine:
    """Open the store (unless given) and registry, warm up the query pipeline (loads the model)."""
    store = store or build_chunk_store(settings)
    registry = Registry(settings.registry_path)
    try:
        model = resolve_embedding_model(settings.embedding.model, settings.models_dir)
        pipeline = build_query_pipeline(
            store=store,
            model=model,
            retrieval=settings.retrieval,
            query_prefix=settings.embedding.query_prefix,
        )
        warm_up_pipeline(pipeline, model)
    except BaseException:
        store.close()
        registry.close()
        raise
    return SearchEngine(settings, store, registry, pipeline)
