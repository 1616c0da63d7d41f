"""One file through the indexing pipeline into a store, shared by ingest and re-index."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from haystack import Pipeline

from core.persistence.registry import DocumentRecord
from core.settings import Settings
from ingest.identity import page_ocr
from pipelines.deadline import Deadline
from pipelines.indexing import (
    build_indexing_pipeline,
    close_indexing_pipeline,
    run_indexing,
    start_page_reader,
)
from pipelines.models.embedding_model import resolve_dense_encoder, warm_up_pipeline
from pipelines.stores import ChunkStore


@dataclass
class IndexedFile:
    """What the indexing pipeline made of one file: page texts, chunks, final metadata."""

    pages: list[tuple[int, str]]
    methods: dict[int, str]
    chunk_count: int
    metadata: dict[str, Any]
    skipped_pages: list[dict[str, Any]]
    extraction: dict[str, Any]


class FileIndexer:
    """Runs the indexing pipeline (built and warmed up on first use) into one store."""

    def __init__(self, settings: Settings, store: ChunkStore) -> None:
        self.settings = settings
        self.store = store
        self._pipeline: Pipeline | None = None

    def pipeline(self) -> Pipeline:
        """The indexing pipeline, built and warmed up on first use (this loads the model)."""
        if self._pipeline is None:
            encoder = resolve_dense_encoder(self.settings.embedding, self.settings.models_dir)
            self._pipeline = build_indexing_pipeline(
                store=self.store,
                encoder=encoder,
                passage_prefix=self.settings.embedding.passage_prefix,
                batch_size=self.settings.embedding.batch_size,
                max_words=self.settings.chunking.max_words,
                ocr=page_ocr(self.settings),
            )
            warm_up_pipeline(self._pipeline, encoder.model)
        return self._pipeline

    def prepare(self) -> None:
        """Build the pipeline (loading the model) and start its page reader if it is not running.

        Called before a file's time starts: neither counts against the file's limit.
        """
        start_page_reader(self.pipeline())

    def close(self) -> None:
        """Stop the pipeline's page-reader process; the next file builds the pipeline again."""
        if self._pipeline is not None:
            close_indexing_pipeline(self._pipeline)
            self._pipeline = None

    def index_file(
        self,
        path: Path,
        record: DocumentRecord,
        payload: dict[str, Any],
        missing: list[str],
        deadline: Deadline,
    ) -> IndexedFile:
        """Run the indexing pipeline on one file into the store; no registry writes.

        `record.metadata` is the metadata before inference; `missing` the fields to infer.
        """
        file_meta = {
            "document_id": record.document_id,
            "title": record.title,
            "source_name": record.source_name,
            **payload,
        }
        result = run_indexing(self.pipeline(), path, file_meta, deadline=deadline)
        inferred = result.inferred.get(record.document_id, {})
        fields = [name for name in missing if name == "title" or name in inferred]
        return IndexedFile(
            pages=[(doc.meta["page"], doc.content or "") for doc in result.pages],
            methods={doc.meta["page"]: doc.meta.get("extraction", "text") for doc in result.pages},
            chunk_count=result.chunks_written,
            metadata={**record.metadata, **inferred, "inferred": fields},
            skipped_pages=result.skipped_pages,
            extraction=result.extraction,
        )
