"""Run ingestion: discover files, skip unchanged ones, index the rest one file at a time.

A file is first marked `pending` in the registry, then its old chunks are replaced, then it is
marked `indexed` with its page texts. A file that fails leaves no chunks behind; a run that was
killed leaves `pending` rows, whose chunks the next run removes before it starts. An e-mail is
ingested as its body plus one document per attachment (`ingest.sources`), each on its own.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from haystack import Pipeline

from ingest.discovery import discover_files
from ingest.metadata_sources import load_metadata
from ingest.report import IngestReport, ReportEntry
from ingest.sources import Source, expand_mail, is_mail
from pipelines.components.converters.ocr import PageOcr
from pipelines.embedding_model import resolve_embedding_model, warm_up_pipeline
from pipelines.errors import BlokError, ErrorCode, ModelUnavailableError, StoreError
from pipelines.indexing import build_indexing_pipeline
from pipelines.registry import DocumentRecord, Registry
from pipelines.settings import Settings
from pipelines.stores import ChunkStore, build_chunk_store

# 3: `visibility` is stored as a list of access tokens (`["ring:vr3", "ring:vr5"]`).
# 4: chunks carry `extraction` (`text` or `ocr`); DOCX, PPTX, HTML and e-mail are read.
INDEX_FORMAT_VERSION = "4"
# Failures that concern the whole run, not one file.
BATCH_ERRORS = (ModelUnavailableError, StoreError)
Progress = Callable[[Path, ReportEntry], None]
T = TypeVar("T")


def file_sha256(path: Path) -> str:
    """SHA-256 of the file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def page_ocr(settings: Settings) -> PageOcr:
    """The OCR configuration of the indexing pipeline."""
    return PageOcr(**settings.ocr.model_dump())


def index_key(metadata: dict[str, Any], settings: Settings) -> str:
    """Changes whenever the same file would be indexed differently.

    OCR settings and whether tesseract is installed count: installing it re-reads scanned pages.
    """
    ocr = [settings.ocr.model_dump(), page_ocr(settings).available()]
    basis = [
        INDEX_FORMAT_VERSION,
        settings.embedding.model,
        settings.chunking.max_words,
        metadata,
        ocr,
    ]
    return hashlib.sha256(json.dumps(basis, sort_keys=True, default=str).encode()).hexdigest()


def find_domain_error(exc: BaseException) -> BlokError | None:
    """The `BlokError` in an exception's cause chain (Haystack wraps component errors)."""
    current: BaseException | None = exc
    while current is not None:
        if isinstance(current, BlokError):
            return current
        current = current.__cause__ or current.__context__
    return None


class IngestRunner:
    """Ingest files into one store and registry."""

    def __init__(self, settings: Settings, store: ChunkStore, registry: Registry) -> None:
        self.settings = settings
        self.store = store
        self.registry = registry
        self._pipeline: Pipeline | None = None

    def pipeline(self) -> Pipeline:
        """The indexing pipeline, built and warmed up on first use."""
        if self._pipeline is None:
            model = resolve_embedding_model(self.settings.embedding.model, self.settings.models_dir)
            self._pipeline = build_indexing_pipeline(
                store=self.store,
                model=model,
                passage_prefix=self.settings.embedding.passage_prefix,
                batch_size=self.settings.embedding.batch_size,
                max_words=self.settings.chunking.max_words,
                ocr=page_ocr(self.settings),
            )
            warm_up_pipeline(self._pipeline, model)
        return self._pipeline

    def recover_interrupted(self) -> int:
        """Remove chunks and rows of documents a killed run left `pending`."""
        pending = self.registry.list_documents(status="pending")
        for record in pending:
            self.store.delete_document(record.document_id)
            self.registry.delete(record.document_id)
        return len(pending)

    def run(self, paths: list[Path], progress: Progress | None = None) -> IngestReport:
        """Ingest every file under `paths`; one failing file never stops the batch."""
        started = time.perf_counter()
        report = IngestReport()
        self.recover_interrupted()
        for path in discover_files(paths):
            entries = self.ingest_path(path)
            for entry in entries:
                entry.path = str(path)
            report.entries += entries
            if progress:
                progress(path, entries[0])
        if report.count("indexed"):
            self.store.optimize()
        report.seconds = time.perf_counter() - started
        return report

    def ingest_path(self, path: Path) -> list[ReportEntry]:
        """Index one file (an e-mail: its body and each attachment); one entry per document."""
        if not is_mail(path):
            return [self.ingest_file(path)]
        with tempfile.TemporaryDirectory(prefix="blok-mail-") as folder:
            expanded = self._guarded(
                path.name,
                lambda: expand_mail(
                    path,
                    file_sha256(path)[:16],
                    self.settings.access.default_visibility,
                    Path(folder),
                ),
            )
            if isinstance(expanded, ReportEntry):
                return [expanded]
            return [self.ingest_file(source) for source in expanded.sources] + expanded.skipped

    def ingest_file(self, source: Path | Source) -> ReportEntry:
        """Index one file (or one part of a file), or say why not."""
        if isinstance(source, Path):
            source = Source(source, source.name, str(source))
        return self._guarded(source.name, lambda: self._ingest(source))

    def _guarded(self, name: str, work: Callable[[], T]) -> T | ReportEntry:
        try:
            return work()
        except Exception as exc:  # a bug or a library failure must not end the batch
            domain_error = find_domain_error(exc)
            if isinstance(domain_error, BATCH_ERRORS):
                raise domain_error from exc  # no file can be indexed: stop with the reason
            if domain_error is not None:
                code, reason = domain_error.code.value, domain_error.message
            else:
                code, reason = ErrorCode.INTERNAL.value, f"{type(exc).__name__}: {exc}"
            return ReportEntry(name, "skipped", code=code, reason=reason)

    def _ingest(self, source: Source) -> ReportEntry:
        path = source.path
        sha256 = file_sha256(path)
        document_id = sha256[:16]
        document_metadata = source.metadata or load_metadata(
            path, self.settings.access.default_visibility
        )
        metadata = {**document_metadata.model_dump(mode="json"), **source.links}
        key = index_key(metadata, self.settings)
        existing = self.registry.get(document_id)
        if existing and existing.status == "indexed" and existing.index_key == key:
            return ReportEntry(
                source.name, "unchanged", document_id, existing.page_count, existing.chunk_count
            )
        record = DocumentRecord(
            document_id=document_id,
            sha256=sha256,
            source_path=source.source_path,
            source_name=path.name,
            title=metadata["title"],
            metadata=metadata,
            index_key=key,
            status="pending",
            page_count=0,
            chunk_count=0,
            ingested_at="",
        )
        with self._cleanup_on_failure(document_id):
            self.registry.mark_pending(record)
            payload = {**document_metadata.payload_fields(), **source.links}
            outputs = self._index(path, record, payload)
        cleaned = outputs["cleaner"]["documents"]
        pages = [(doc.meta["page"], doc.content or "") for doc in cleaned]
        methods = {doc.meta["page"]: doc.meta.get("extraction", "text") for doc in cleaned}
        chunks = outputs["writer"]["documents_written"]
        self.registry.mark_indexed(document_id, pages, chunks, methods)
        self._withdraw_replaced_versions(source.source_path, document_id)
        self._keep_source(path, sha256)
        skipped_pages = outputs["converter"]["skipped_pages"]
        return ReportEntry(
            source.name, "indexed", document_id, len(pages), chunks, skipped_pages=skipped_pages
        )

    def _index(self, path: Path, record: DocumentRecord, payload: dict[str, Any]) -> dict[str, Any]:
        file_meta = {
            "document_id": record.document_id,
            "title": record.title,
            "source_name": record.source_name,
            **payload,
        }
        return self.pipeline().run(
            {"converter": {"sources": [path], "meta": [file_meta]}},
            include_outputs_from={"converter", "cleaner"},
        )

    @contextmanager
    def _cleanup_on_failure(self, document_id: str) -> Iterator[None]:
        try:
            yield
        except BaseException:
            self.store.delete_document(document_id)
            self.registry.delete(document_id)
            raise

    def _withdraw_replaced_versions(self, source_path: str, document_id: str) -> None:
        for old in self.registry.find_by_path(source_path):
            if old.document_id != document_id:
                self.store.delete_document(old.document_id)
                self.registry.delete(old.document_id)

    def _keep_source(self, path: Path, sha256: str) -> None:
        target = self.settings.data_dir / "sources" / f"{sha256}{path.suffix.lower()}"
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)


def run_ingest(
    settings: Settings,
    paths: list[Path],
    progress: Progress | None = None,
    store: ChunkStore | None = None,
) -> IngestReport:
    """Open the store (unless given) and the registry, ingest, close them again."""
    registry = Registry(settings.registry_path)
    store = store or build_chunk_store(settings)
    try:
        return IngestRunner(settings, store, registry).run(paths, progress)
    finally:
        store.close()
        registry.close()
