"""The indexing pipeline: files → pages → clean pages → chunks → dense + sparse vectors → store.

```
PageConverter ─► PageCleaner ─► DocumentMetadataExtractor ─► DeadlineGuard ─► GermanSentenceChunker
  ─► BatchedDocumentEmbedder (OpenVINO or sentence-transformers, deadline before each batch)
  ─► DeadlineGuard ─► Bm25DocumentEmbedder ─► ChunkWriter
```

Run it with `run_indexing(...)`, one file at a time within its `Deadline` (`pipelines.deadline`:
the page reader is killed at it, the guards check it between the steps, the cleaner between
its passes, the chunker every few thousand lines, the dense embedder before every batch); stop
its page-reader process with `close_indexing_pipeline(...)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from haystack import Document, Pipeline

from pipelines.components.converters.ocr import PageOcr
from pipelines.components.converters.page_converter import PageConverter
from pipelines.components.embedders.batched_document_embedder import BatchedDocumentEmbedder
from pipelines.components.embedders.bm25_embedders import Bm25DocumentEmbedder
from pipelines.components.extractors.document_metadata_extractor import (
    DocumentMetadataExtractor,
)
from pipelines.components.preprocessors.german_chunker import GermanSentenceChunker
from pipelines.components.preprocessors.page_cleaner import PageCleaner
from pipelines.components.validators.deadline_guard import DeadlineGuard
from pipelines.components.writers.chunk_writer import ChunkWriter
from pipelines.deadline import Deadline
from pipelines.models.embedding_model import DenseEncoder, build_document_embedder
from pipelines.stores.base import ChunkStore

# Title and heading path are embedded with each chunk: they carry context the chunk text lacks.
EMBEDDED_META_FIELDS = ["title", "section"]


def build_indexing_pipeline(
    *,
    store: ChunkStore,
    encoder: DenseEncoder,
    passage_prefix: str = "passage: ",
    batch_size: int = 16,
    max_words: int = 250,
    ocr: PageOcr | None = None,
) -> Pipeline:
    """Wire the indexing pipeline; run it with `run_indexing(...)`."""
    pipeline = Pipeline()
    ocr = ocr or PageOcr()
    converter = PageConverter(
        ocr_enabled=ocr.enabled,
        ocr_language=ocr.language,
        ocr_dpi=ocr.dpi,
        ocr_min_text_chars=ocr.min_text_chars,
        tesseract_command=ocr.tesseract_command,
    )
    pipeline.add_component("converter", converter)
    pipeline.add_component("cleaner", PageCleaner())
    pipeline.add_component("extractor", DocumentMetadataExtractor())
    pipeline.add_component("pages_deadline", DeadlineGuard(step="after reading the pages"))
    pipeline.add_component("chunker", GermanSentenceChunker(max_words=max_words))
    embedder = build_document_embedder(
        encoder,
        prefix=passage_prefix,
        batch_size=batch_size,
        meta_fields_to_embed=EMBEDDED_META_FIELDS,
    )
    pipeline.add_component(
        "dense_embedder", BatchedDocumentEmbedder(embedder=embedder, batch_size=batch_size)
    )
    pipeline.add_component("embedding_deadline", DeadlineGuard(step="after embedding"))
    pipeline.add_component(
        "sparse_embedder", Bm25DocumentEmbedder(meta_fields_to_embed=EMBEDDED_META_FIELDS)
    )
    pipeline.add_component("writer", ChunkWriter(store=store))
    pipeline.connect("converter.documents", "cleaner.documents")
    pipeline.connect("cleaner.documents", "extractor.documents")
    pipeline.connect("extractor.documents", "pages_deadline.documents")
    pipeline.connect("pages_deadline.documents", "chunker.documents")
    pipeline.connect("chunker.documents", "dense_embedder.documents")
    pipeline.connect("dense_embedder.documents", "embedding_deadline.documents")
    pipeline.connect("embedding_deadline.documents", "sparse_embedder.documents")
    pipeline.connect("sparse_embedder.documents", "writer.documents")
    return pipeline


@dataclass(frozen=True)
class IndexingResult:
    """What the indexing pipeline made of one file.

    Attributes:
        pages: The cleaned pages (`meta["page"]`, `meta["extraction"]`), in page order.
        inferred: Metadata inferred from the text (title, date), by `document_id`.
        chunks_written: How many chunks went to the store.
        skipped_pages: Pages that could not be read, with the reason.
        extraction: How many pages were read per method (`text`, `ocr`).
    """

    pages: list[Document]
    inferred: dict[str, dict[str, Any]]
    chunks_written: int
    skipped_pages: list[dict[str, Any]]
    extraction: dict[str, Any]


def run_indexing(
    pipeline: Pipeline, source: Path, meta: dict[str, Any], *, deadline: Deadline
) -> IndexingResult:
    """Index one file into the pipeline's store, its chunks carrying `meta`.

    `meta` holds `document_id`, `title`, `source_name`, the payload fields and `infer_fields`
    (the metadata to infer from the text). `deadline` bounds the whole run: the page reader is
    killed at it, the guards check it between steps, the chunker every few thousand lines and
    the dense embedder before each batch.

    Raises:
        ProcessingTimeoutError: the file took longer than the deadline allows.
    """
    outputs = pipeline.run(
        {
            "converter": {"sources": [source], "meta": [meta], "deadline": deadline.at},
            "cleaner": {"deadline": deadline},
            "pages_deadline": {"deadline": deadline},
            "chunker": {"deadline": deadline},
            "dense_embedder": {"deadline": deadline},
            "embedding_deadline": {"deadline": deadline},
        },
        include_outputs_from={"converter", "cleaner", "extractor"},
    )
    return IndexingResult(
        pages=outputs["cleaner"]["documents"],
        inferred=outputs["extractor"]["inferred"],
        chunks_written=outputs["writer"]["documents_written"],
        skipped_pages=outputs["converter"]["skipped_pages"],
        extraction=outputs["converter"]["conversion"][0]["methods"],
    )


def start_page_reader(pipeline: Pipeline) -> None:
    """Have the pipeline's page-reader process running (started again after a kill).

    Called before a file's time starts, so the reader's start-up is not charged to the file.
    """
    converter = pipeline.get_component("converter")
    if isinstance(converter, PageConverter):
        converter.warm_up()


def close_indexing_pipeline(pipeline: Pipeline) -> None:
    """Stop the pipeline's page-reader process (the next file starts a new one)."""
    converter = pipeline.get_component("converter")
    if isinstance(converter, PageConverter):
        converter.close()
