"""`ChunkWriter`: replace the chunks of each document in the store with the new ones."""

from __future__ import annotations

from typing import Any

from haystack import Document, component

from core.errors import StoreError
from pipelines.stores.base import ChunkRecord, ChunkStore

PAYLOAD_EXCLUDED = ("file_format",)


def chunk_record(document: Document) -> ChunkRecord:
    """A chunk document with both embeddings as a store record."""
    if document.embedding is None or document.sparse_embedding is None:
        raise StoreError(f"chunk {document.id} has no dense or no sparse embedding")
    payload = {k: v for k, v in document.meta.items() if k not in PAYLOAD_EXCLUDED}
    payload["text"] = document.content or ""
    return ChunkRecord(
        chunk_id=document.id,
        dense=list(document.embedding),
        sparse_indices=list(document.sparse_embedding.indices),
        sparse_values=list(document.sparse_embedding.values),
        payload=payload,
    )


@component
class ChunkWriter:
    """Write chunks: old chunks of their documents are removed first, then the new ones go in."""

    def __init__(self, *, store: ChunkStore, batch_size: int = 256) -> None:
        self.store = store
        self.batch_size = batch_size

    @component.output_types(documents_written=int)
    def run(self, documents: list[Document]) -> dict[str, Any]:
        """Write the chunks; returns how many were written."""
        records = [chunk_record(document) for document in documents]
        if not records:
            return {"documents_written": 0}
        self.store.ensure_collection(len(records[0].dense))
        for document_id in dict.fromkeys(r.payload["document_id"] for r in records):
            self.store.delete_document(document_id)
        for start in range(0, len(records), self.batch_size):
            self.store.upsert(records[start : start + self.batch_size])
        return {"documents_written": len(records)}
