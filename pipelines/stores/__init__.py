"""Chunk stores: Qdrant Edge (embedded default) and Qdrant server through qdrant-client."""

from __future__ import annotations

from pipelines.settings import Settings
from pipelines.stores.base import ChunkRecord, ChunkStore, ScoredChunk
from pipelines.stores.client_store import QdrantClientChunkStore
from pipelines.stores.edge_store import EdgeChunkStore

__all__ = [
    "ChunkRecord",
    "ChunkStore",
    "EdgeChunkStore",
    "QdrantClientChunkStore",
    "ScoredChunk",
    "build_chunk_store",
]


def build_chunk_store(settings: Settings) -> ChunkStore:
    """Open the store the settings name."""
    if settings.store.backend == "server":
        assert settings.store.url is not None
        return QdrantClientChunkStore.remote(
            settings.store.url, settings.store.api_key, settings.store.collection
        )
    return EdgeChunkStore(settings.edge_store_dir)
