"""`ServiceContext`: what the service holds open from start-up to shutdown.

The searcher (`pipelines.search`) answers searches and questions; beside it the context holds
what only the service needs: the store and registry it opened, accounts, the audit log, the
query log and its retention, the document catalog, the curator and the identity provider (when
one is configured). The routes take what they need from it; none of it is reached through the
searcher.

Searches and questions of the HTTP API are written to the query log (`core.persistence.
query_log`), without the caller; in-process callers (the command line, the evaluation) call the
searcher and log nothing. Logged requests also prune entries past their retention, at most once
a day (`core.persistence.retention`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.access import SYSTEM, Principal, access_conditions, may_see
from core.accounts import AccountStore
from core.errors import NotFoundError
from core.filters import SearchFilters
from core.persistence.audit import AuditLog
from core.persistence.query_log import best_dense_score
from core.persistence.registry import Registry
from core.persistence.retention import LogRetention
from core.settings import Settings
from core.storage import check_writable
from ingest.curation import DocumentCurator
from pipelines.catalog import NOT_FOUND_MESSAGE, DocumentCatalog
from pipelines.search import Searcher, build_searcher
from pipelines.search_outcomes import AskOutcome, SearchOutcome
from pipelines.stores import ChunkStore, SwitchableChunkStore, build_chunk_store
from search_service.metrics import ServiceMetrics
from search_service.oidc import OidcProvider

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


class ServiceContext:
    """The service's searcher, store, registry and logs; built once by `build_service_context`."""

    def __init__(
        self,
        settings: Settings,
        store: SwitchableChunkStore,
        registry: Registry,
        searcher: Searcher,
        metrics: ServiceMetrics | None = None,
    ) -> None:
        self.settings = settings
        self.metrics = metrics or ServiceMetrics()
        self.store = store
        self.registry = registry
        self.searcher = searcher
        self.accounts = AccountStore(registry)
        self.audit: AuditLog = self.accounts.audit
        self.query_log = registry.query_log
        self.retention = LogRetention(
            registry,
            query_days=settings.logs.query_retention_days,
            audit_days=settings.logs.audit_retention_days,
        )
        self.catalog = DocumentCatalog(store, registry)
        self.curator = DocumentCurator(store, registry, settings.sources_dir, self.audit)
        self.identity_provider = OidcProvider(settings.oidc) if settings.oidc.enabled else None

    def log_search(self, query: str, filters: SearchFilters | None, outcome: SearchOutcome) -> None:
        """Write a search of the API to the query log (without the caller)."""
        self.metrics.searched()
        self.retention.prune_if_due()
        self.query_log.record(
            "search",
            query,
            filters_of(filters),
            result_count=len(outcome.documents),
            top_score=best_dense_score(outcome.documents),
        )

    def log_ask(self, query: str, filters: SearchFilters | None, outcome: AskOutcome) -> int:
        """Write a question of the API to the query log; returns its id (the `answer_id`).

        An abstention or weak passages make it a knowledge gap.
        """
        self.metrics.asked(abstained=outcome.abstained)
        self.retention.prune_if_due()
        return self.query_log.record(
            "ask",
            query,
            filters_of(filters),
            result_count=len(outcome.passages),
            top_score=best_dense_score(outcome.passages),
            abstained=outcome.abstained,
        )

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
            for record in self.registry.documents.list_documents(status="indexed")
        )
        hidden = self.registry.documents.hidden_documents().conditions()
        return documents, self.store.count([*access_conditions(principal), *hidden])

    def check_storage(self, *, incoming_bytes: int = 0) -> None:
        """Check that the uploads and the sources folder can be written and their disk has room.

        `incoming_bytes`: the size of an upload about to be received into the uploads folder.

        Raises:
            StorageError: one cannot, or its disk would have less than `upload.min_free_disk_mb`
                free (named by its role, `core.storage`).
        """
        room = self.settings.upload.min_free_disk_mb
        check_writable(
            self.settings.uploads_dir, "uploads", min_free_mb=room, incoming_bytes=incoming_bytes
        )
        check_writable(self.settings.sources_dir, "sources", min_free_mb=room)

    def close(self) -> None:
        """Release the store and the registry."""
        self.store.close()
        self.registry.close()


def filters_of(filters: SearchFilters | None) -> dict[str, Any]:
    """The filters a request set, as the query log keeps them (`SearchFilters.log_summary`)."""
    return filters.log_summary() if filters else {}


def build_service_context(
    settings: Settings, store: ChunkStore | None = None, metrics: ServiceMetrics | None = None
) -> ServiceContext:
    """Open the store (unless given) and registry, build the searcher (loads the model).

    `metrics` (the app's) gets the load times and, from then on, the searches and questions.

    The searcher gets the store wrapped in a `SwitchableChunkStore`, so a re-index can put a new
    collection in its place under it (`ingest.reindex`).
    """
    metrics = metrics or ServiceMetrics()
    started = time.perf_counter()
    registry = Registry.open(settings)
    try:
        given = store or build_chunk_store(settings, registry)
    except BaseException:
        registry.close()
        raise
    served = given if isinstance(given, SwitchableChunkStore) else SwitchableChunkStore(given)
    loaded = time.perf_counter()
    metrics.load_seconds.labels("store").set(loaded - started)
    try:
        searcher = build_searcher(settings, served, registry)
    except BaseException:
        served.close()
        registry.close()
        raise
    metrics.load_seconds.labels("model").set(time.perf_counter() - loaded)
    context = ServiceContext(settings, served, registry, searcher, metrics)
    metrics.watch(context)
    return context
