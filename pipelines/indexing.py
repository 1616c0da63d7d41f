"""The indexing pipeline: files → pages → clean pages → chunks → dense + sparse vectors → store.

```
PageConverter ─► PageCleaner ─► DocumentMetadataExtractor ─► DeadlineGuard ─► GermanSentenceChunker
  ─► SentenceTransformersDocumentEmbedder ─► DeadlineGuard ─► Bm25DocumentEmbedder ─► ChunkWriter
```

Run it with `{"converter": {"sources": [..], "meta": [..]}}`; to limit the time of a run, also
give `{"pages_deadline": {"deadline": t}, "embedding_deadline": {"deadline": t}}` (a
`time.monotonic()` value).
"""

from __future__ import annotations

from haystack import Pipeline
from haystack_integrations.components.embedders.sentence_transformers import (
    SentenceTransformersDocumentEmbedder,
)

from pipelines.components.converters.ocr import PageOcr
from pipelines.components.converters.page_converter import PageConverter
from pipelines.components.embedders.bm25_embedders import Bm25DocumentEmbedder
from pipelines.components.extractors.document_metadata_extractor import (
    DocumentMetadataExtractor,
)
from pipelines.components.preprocessors.german_chunker import GermanSentenceChunker
from pipelines.components.preprocessors.page_cleaner import PageCleaner
from pipelines.components.validators.deadline_guard import DeadlineGuard
from pipelines.components.writers.chunk_writer import ChunkWriter
from pipelines.models.embedding_model import is_local_model
from pipelines.stores.base import ChunkStore

# Title and heading path are embedded with each chunk: they carry context the chunk text lacks.
EMBEDDED_META_FIELDS = ["title", "section"]


def build_indexing_pipeline(
    *,
    store: ChunkStore,
    model: str,
    passage_prefix: str = "passage: ",
    batch_size: int = 16,
    max_words: int = 250,
    ocr: PageOcr | None = None,
) -> Pipeline:
    """Wire the indexing pipeline; run it with `{"converter": {"sources": [..], "meta": [..]}}`."""
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
    pipeline.add_component(
        "dense_embedder",
        SentenceTransformersDocumentEmbedder(
            model=model,
            prefix=passage_prefix,
            batch_size=batch_size,
            progress_bar=False,
            normalize_embeddings=True,
            meta_fields_to_embed=EMBEDDED_META_FIELDS,
            local_files_only=is_local_model(model),
        ),
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
