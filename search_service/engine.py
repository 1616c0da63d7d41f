"""`SearchEngine`: the store, the registry, the accounts and the query and ask pipelines.

Every read method takes the caller's `Principal` and applies its access conditions inside the
store query. The HTTP routes always pass the principal resolved from the request; the default
`SYSTEM` (full access) is for trusted in-process callers: the CLI on the server, the evaluation.

`search` and `ask` write the query log (`core.persistence.query_log`) only when asked to
(`log=True`): the HTTP routes do, the CLI and the evaluation do not. Logged requests also prune
entries past their retention, at most once a day (`core.persistence.retention`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from haystack import Pipeline

from core.access import SYSTEM, Principal, access_conditions, may_see
from core.errors import InvalidRequestError, NotFoundError
from core.filters import SearchFilters
from core.persistence.accounts import AccountStore
from core.persistence.audit import AuditLog
from core.persistence.query_log import QueryLog, best_dense_score
from core.persistence.registry import Registry
from core.persistence.retention import LogRetention
from core.settings import Settings
from ingest.curation import DocumentCurator
from pipelines.answering import build_ask_pipeline, run_ask
from pipelines.catalog import NOT_FOUND_MESSAGE, DocumentCatalog
from pipelines.components.retrievers.hybrid_retriever import RetrievalMode
from pipelines.models.embedding_model import resolve_embedding_model, warm_up_pipeline
from pipelines.query import build_query_pipeline, run_query
from pipelines.stores import ChunkStore, SwitchableChunkStore, build_chunk_store
from pipelines.text.glossary import load_glossary
from search_service.schemas import (
    AskRequest,
    AskResponse,
    Citation,
    Facets,
    SearchRequest,
    SearchResponse,
    SearchResult,
    SupersededFields,
)

MEDIA_TYPES = {
    ".pdf": "application/pdf",
    ".md": "text/markdown; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".eml": "message/rfc822",
}  # HTML is served as a download (octet-stream), never rendered by the browser


@dataclass(frozen=True)
class SourceFile:
    """An original file kept under `DATA_DIR/sources/`."""

    path: Path
    name: str
    media_type: str


class SearchEngine:
    """Answers searches; built once per process by `build_search_engine`."""

    def __init__(
        self,
        settings: Settings,
        store: SwitchableChunkStore,
        registry: Registry,
        pipeline: Pipeline,
        ask_pipeline: Pipeline,
    ) -> None:
        self.settings = settings
        self.store = store
        self.registry = registry
        self.pipeline = pipeline
        self.ask_pipeline = ask_pipeline
        self.accounts = AccountStore(registry)
        self.audit: AuditLog = self.accounts.audit
        self.query_log = QueryLog(registry)
        self.retention = LogRetention(
            registry,
            query_days=settings.logs.query_retention_days,
            audit_days=settings.logs.audit_retention_days,
        )
        self.catalog = DocumentCatalog(store, registry)
        self.curator = DocumentCurator(store, registry, settings.sources_dir, self.audit)

    def _top_k(self, requested: int | None, default: int) -> int:
        top_k = requested or default
        if top_k > self.settings.retrieval.max_top_k:
            limit = self.settings.retrieval.max_top_k
            raise InvalidRequestError(f"top_k must be at most {limit}, got {top_k}")
        return top_k

    def search(
        self,
        request: SearchRequest,
        mode: RetrievalMode | None = None,
        *,
        principal: Principal = SYSTEM,
        log: bool = False,
    ) -> SearchResponse:
        """Run the query pipeline for one request, limited to what `principal` may see.

        With `log`, the search is written to the query log (without the caller).
        """
        top_k = self._top_k(request.top_k, self.settings.retrieval.default_top_k)
        result = run_query(
            self.pipeline,
            request.query,
            top_k=top_k,
            filters=request.filters,
            access_conditions=access_conditions(principal),
            mode=mode,
            facets=request.facets,
        )
        if log:
            self.retention.prune_if_due()
            self.query_log.record(
                "search",
                request.query,
                filters_of(request.filters),
                result_count=len(result.documents),
                top_score=best_dense_score(result.documents),
            )
        results = [SearchResult.from_document(doc) for doc in result.documents]
        self._name_successors(result.documents, results, principal)
        return SearchResponse(
            results=results,
            facets=Facets.from_counts(result.facets) if result.facets is not None else None,
        )

    def ask(
        self, request: AskRequest, *, principal: Principal = SYSTEM, log: bool = False
    ) -> AskResponse:
        """Answer with verified quotes, or abstain.

        Passages, quotes and citations come only from documents `principal` may see. With `log`,
        the question is written to the query log (without the caller; an abstention or weak
        passages make it a knowledge gap) and its log id is the answer's `answer_id`.
        """
        top_k = self._top_k(request.top_k, self.settings.answer.passages)
        outcome = run_ask(
            self.ask_pipeline,
            request.query,
            top_k=top_k,
            filters=request.filters,
            access_conditions=access_conditions(principal),
        )
        answer_id = None
        if log:
            self.retention.prune_if_due()
            answer_id = self.query_log.record(
                "ask",
                request.query,
                filters_of(request.filters),
                result_count=len(outcome["passages"]),
                top_score=best_dense_score(outcome["passages"]),
                abstained=outcome["abstained"],
            )
        citations = [
            Citation.from_document(n, doc) for n, doc in enumerate(outcome["citations"], 1)
        ]
        passages = [SearchResult.from_document(doc) for doc in outcome["passages"]]
        self._name_successors(outcome["citations"], citations, principal)
        self._name_successors(outcome["passages"], passages, principal)
        return AskResponse(
            answer=outcome["answer"],
            citations=citations,
            abstained=outcome["abstained"],
            mode=outcome["mode"],
            passages=passages,
            answer_id=answer_id,
        )

    def _name_successors(
        self, documents: list[Any], items: list[Any], principal: Principal
    ) -> None:
        """Fill in the successor of superseded documents, only where `principal` may see it."""
        for document, item in zip(documents, items, strict=True):
            assert isinstance(item, SupersededFields)
            successor = self.catalog.successor(document.meta.get("superseded_by"), principal)
            if successor is not None:
                item.superseded_by = successor.document_id
                item.superseded_by_title = successor.title

    def source_file(self, document_id: str, *, principal: Principal = SYSTEM) -> SourceFile:
        """The original file of a document the principal may read (`pipelines.catalog`).

        Raises:
            NotFoundError: no readable document has this id, the principal may not see it, or
                its file is gone; all three answer alike.
        """
        record = self.catalog.get(document_id, principal)
        suffix = Path(record.source_name).suffix.lower()
        path = self.settings.sources_dir / f"{record.sha256}{suffix}"
        if not path.is_file():
            raise NotFoundError(NOT_FOUND_MESSAGE)
        media_type = MEDIA_TYPES.get(suffix, "application/octet-stream")
        return SourceFile(path, record.source_name, media_type)

    def totals(self, *, principal: Principal = SYSTEM) -> tuple[int, int]:
        """Indexed documents and chunks the principal may see."""
        documents = sum(
            may_see(principal, record.typed_metadata.visibility)
            for record in self.registry.list_documents(status="indexed")
        )
        hidden = self.registry.hidden_documents().conditions()
        return documents, self.store.count([*access_conditions(principal), *hidden])

    def close(self) -> None:
        """Release the store and the registry."""
        self.store.close()
        self.registry.close()


def filters_of(filters: SearchFilters | None) -> dict[str, Any]:
    """The filters a request set, as the query log keeps them."""
    return filters.model_dump(mode="json", exclude_defaults=True) if filters else {}


def build_search_engine(settings: Settings, store: ChunkStore | None = None) -> SearchEngine:
    """Open the store (unless given) and registry, warm up the query pipeline (loads the model).

    The pipelines get the store wrapped in a `SwitchableChunkStore`, so a re-index can put a new
    collection in its place under them (`ingest.reindex`).
    """
    registry = Registry(settings.registry_path)
    try:
        given = store or build_chunk_store(settings, registry)
    except BaseException:
        registry.close()
        raise
    served = given if isinstance(given, SwitchableChunkStore) else SwitchableChunkStore(given)
    try:
        model = resolve_embedding_model(settings.embedding.model, settings.models_dir)
        glossary = load_glossary(settings.data_dir)
        pipeline = build_query_pipeline(
            store=served,
            model=model,
            retrieval=settings.retrieval,
            query_prefix=settings.embedding.query_prefix,
            glossary=glossary,
            serving=registry,
        )
        warm_up_pipeline(pipeline, model)
        ask_pipeline = build_ask_pipeline(
            store=served,
            model=model,
            retrieval=settings.retrieval,
            answer=settings.answer,
            page_text=registry.page_text,
            generation=settings.generation,
            query_prefix=settings.embedding.query_prefix,
            passage_prefix=settings.embedding.passage_prefix,
            glossary=glossary,
            serving=registry,
        )
        warm_up_pipeline(ask_pipeline, model)
    except BaseException:
        served.close()
        registry.close()
        raise
    return SearchEngine(settings, served, registry, pipeline, ask_pipeline)
