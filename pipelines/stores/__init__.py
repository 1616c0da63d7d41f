"""Chunk stores: Qdrant Edge (embedded default) and Qdrant server through qdrant-client."""

from __future__ import annotations

from qdrant_client import QdrantClient

from core.persistence.registry import Registry
from core.settings import Settings
from pipelines.stores.base import ChunkRecord, ChunkStore, CollectionLayout, ScoredChunk
from pipelines.stores.client_store import QdrantClientChunkStore
from pipelines.stores.collections import ClientCollections, Collections, EdgeCollections
from pipelines.stores.edge_store import EdgeChunkStore
from pipelines.stores.switchable import SwitchableChunkStore

__all__ = [
    "ChunkRecord",
    "ChunkStore",
    "CollectionLayout",
    "Collections",
    "EdgeChunkStore",
    "QdrantClientChunkStore",
    "ScoredChunk",
    "SwitchableChunkStore",
    "active_collection",
    "build_chunk_store",
    "build_collections",
]


def build_collections(settings: Settings, client: QdrantClient | None = None) -> Collections:
    """The named collections of the configured back end (a server: through `client`, if given)."""
    if settings.store.backend == "server":
        layout = CollectionLayout.of(settings.store)
        if client is not None:
            return ClientCollections(
                client, settings.store.collection, owns_client=False, layout=layout
            )
        assert settings.store.url is not None
        remote = QdrantClient(url=settings.store.url, api_key=settings.store.api_key, timeout=30)
        return ClientCollections(remote, settings.store.collection, layout=layout)
    return EdgeCollections(settings.data_dir, CollectionLayout.of(settings.store))


def active_collection(settings: Settings, registry: Registry | None = None) -> str:
    """The collection the registry names active (the first one until a re-index switched)."""
    first = (
        settings.store.collection if settings.store.backend == "server" else EdgeCollections.first
    )
    if registry is not None:
        return registry.index_state.active_collection(first)
    opened = Registry.open(settings)
    try:
        return opened.index_state.active_collection(first)
    finally:
        opened.close()


def build_chunk_store(settings: Settings, registry: Registry | None = None) -> ChunkStore:
    """Open the store of the active collection.

    On a server that is the alias (or the first collection) named by the settings, which always
    leads to the active collection; on Edge the active collection's directory.
    """
    if settings.store.backend == "server":
        assert settings.store.url is not None
        return QdrantClientChunkStore.remote(
            settings.store.url,
            settings.store.api_key,
            settings.store.collection,
            CollectionLayout.of(settings.store),
        )
    collections = EdgeCollections(settings.data_dir, CollectionLayout.of(settings.store))
    return collections.open(active_collection(settings, registry))
