"""Chunk store on a Qdrant server or cluster through qdrant-client.

The same schema and filters as the Edge store. `QdrantClientChunkStore.local(path)` uses
qdrant-client's local mode, the stand-in for a server in the congruence tests. A collection it
creates gets the `CollectionLayout` of the settings: the HNSW graph's parameters, and shards,
replicas and write consistency as Qdrant's distributed deployment needs them (a single server
takes one of each).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from qdrant_client import QdrantClient
from qdrant_client import models as qm

from core.errors import StoreError
from core.filters import Condition, FieldExclude, FieldMatch
from pipelines.stores.base import (
    DENSE_VECTOR,
    INTEGER_FIELDS,
    KEYWORD_FIELDS,
    SINGLE_NODE,
    SPARSE_VECTOR,
    ChunkRecord,
    CollectionLayout,
    ScoredChunk,
)
from pipelines.stores.failures import as_store_error


def to_client_filter(conditions: list[Condition]) -> qm.Filter | None:
    """Translate neutral conditions into a qdrant-client filter."""
    if not conditions:
        return None
    must: list[qm.Condition] = []
    must_not: list[qm.Condition] = []
    for condition in conditions:
        if isinstance(condition, FieldMatch | FieldExclude):
            match = qm.MatchAny(any=list(condition.values))
            field = qm.FieldCondition(key=condition.key, match=match)
            (must_not if isinstance(condition, FieldExclude) else must).append(field)
        else:
            must.append(
                qm.FieldCondition(
                    key=condition.key, range=qm.Range(gte=condition.gte, lte=condition.lte)
                )
            )
    return qm.Filter(must=must or None, must_not=must_not or None)


def client_record(point: qm.Record) -> ChunkRecord:
    """A chunk as scrolled from the collection, with both vectors."""
    vectors = point.vector
    assert isinstance(vectors, dict)
    dense, sparse = vectors[DENSE_VECTOR], vectors[SPARSE_VECTOR]
    assert isinstance(dense, list) and isinstance(sparse, qm.SparseVector)
    return ChunkRecord(
        chunk_id=str(point.id),
        dense=[float(value) for value in dense],  # type: ignore[arg-type]  # one vector
        sparse_indices=list(sparse.indices),
        sparse_values=list(sparse.values),
        payload=dict(point.payload or {}),
    )


def int8_copy() -> qm.ScalarQuantization:
    """The int8 copy of the dense vectors a new collection keeps (`CollectionLayout.int8`)."""
    config = qm.ScalarQuantizationConfig(type=qm.ScalarType.INT8, quantile=0.99, always_ram=True)
    return qm.ScalarQuantization(scalar=config)


class QdrantClientChunkStore:
    """One collection on a Qdrant server (URL and API key) or in qdrant-client's local mode.

    `collection` may be an alias (`pipelines.stores.collections`). A store that does not own its
    client (`owns_client=False`, several collections through one client) leaves it open.
    """

    def __init__(
        self,
        client: QdrantClient,
        collection: str,
        *,
        owns_client: bool = True,
        layout: CollectionLayout = SINGLE_NODE,
    ) -> None:
        self.client = client
        self.collection = collection
        self.owns_client = owns_client
        self.layout = layout
        self._writes = threading.Lock()  # this process's writes; `writes_paused` holds it
        rescored = qm.QuantizationSearchParams(rescore=True, oversampling=layout.oversampling)
        self._rescored = qm.SearchParams(quantization=rescored)

    @classmethod
    def remote(
        cls, url: str, api_key: str | None, collection: str, layout: CollectionLayout
    ) -> QdrantClientChunkStore:
        """Connect to a Qdrant server or cluster."""
        client = QdrantClient(url=url, api_key=api_key, timeout=30)
        return cls(client, collection, layout=layout)

    @classmethod
    def local(cls, path: Path, collection: str) -> QdrantClientChunkStore:
        """qdrant-client's pure-Python local mode (tests and small experiments only)."""
        return cls(QdrantClient(path=str(path)), collection)

    def _exists(self) -> bool:
        try:
            return self.client.collection_exists(self.collection)
        except Exception as exc:
            raise StoreError(f"Cannot reach the Qdrant server: {exc}") from exc

    def ensure_collection(self, dense_dim: int) -> None:
        """Create the collection and its payload indexes if they do not exist."""
        if self._exists():
            return
        try:
            self.client.create_collection(
                self.collection,
                vectors_config={
                    DENSE_VECTOR: qm.VectorParams(size=dense_dim, distance=qm.Distance.COSINE)
                },
                sparse_vectors_config={
                    SPARSE_VECTOR: qm.SparseVectorParams(modifier=qm.Modifier.IDF)
                },
                hnsw_config=qm.HnswConfigDiff(
                    m=self.layout.hnsw_m, ef_construct=self.layout.hnsw_ef_construct
                ),
                quantization_config=int8_copy() if self.layout.int8 else None,
                shard_number=self.layout.shards,
                replication_factor=self.layout.replication_factor,
                write_consistency_factor=self.layout.write_consistency_factor,
            )
        except Exception:  # the client raises its own errors; one is "already exists"
            if self._exists():
                return  # another process (a second service replica) created it meanwhile
            raise
        for name in KEYWORD_FIELDS:
            self.client.create_payload_index(self.collection, name, qm.PayloadSchemaType.KEYWORD)
        for name in INTEGER_FIELDS:
            self.client.create_payload_index(self.collection, name, qm.PayloadSchemaType.INTEGER)

    def upsert(self, chunks: list[ChunkRecord]) -> None:
        """Insert or replace chunks."""
        points = [
            qm.PointStruct(
                id=chunk.chunk_id,
                vector={
                    DENSE_VECTOR: chunk.dense,
                    SPARSE_VECTOR: qm.SparseVector(
                        indices=chunk.sparse_indices, values=chunk.sparse_values
                    ),
                },
                payload=chunk.payload,
            )
            for chunk in chunks
        ]
        with self._writes:
            self.client.upsert(self.collection, points=points, wait=True)

    def delete_document(self, document_id: str) -> None:
        """Remove every chunk of one document."""
        if not self._exists():
            return
        condition = to_client_filter([FieldMatch("document_id", (document_id,))])
        assert condition is not None
        selector = qm.FilterSelector(filter=condition)
        with self._writes:
            self.client.delete(self.collection, points_selector=selector, wait=True)

    def set_payload(self, document_id: str, payload: dict[str, Any]) -> None:
        """Set payload fields on every chunk of one document (no re-embedding)."""
        if not self._exists():
            return
        condition = to_client_filter([FieldMatch("document_id", (document_id,))])
        assert condition is not None
        selector = qm.FilterSelector(filter=condition)
        with self._writes:
            self.client.set_payload(self.collection, payload=payload, points=selector, wait=True)

    def count(self, conditions: list[Condition] | None = None) -> int:
        """Exact number of chunks matching all conditions."""
        if not self._exists():
            return 0
        count_filter = to_client_filter(conditions or [])
        with as_store_error("count"):
            result = self.client.count(self.collection, count_filter=count_filter, exact=True)
        return result.count

    def query_dense(
        self, vector: list[float], conditions: list[Condition], limit: int
    ) -> list[ScoredChunk]:
        """Nearest chunks by cosine similarity."""
        return self._query(vector, DENSE_VECTOR, conditions, limit)

    def query_sparse(
        self, indices: list[int], values: list[float], conditions: list[Condition], limit: int
    ) -> list[ScoredChunk]:
        """Best chunks by BM25."""
        sparse = qm.SparseVector(indices=indices, values=values)
        return self._query(sparse, SPARSE_VECTOR, conditions, limit)

    def _query(
        self,
        query: list[float] | qm.SparseVector,
        using: str,
        conditions: list[Condition],
        limit: int,
    ) -> list[ScoredChunk]:
        if not self._exists():
            return []
        query_filter = to_client_filter(conditions)
        with as_store_error("search"):
            response = self.client.query_points(
                self.collection,
                query=query,
                using=using,
                query_filter=query_filter,
                limit=limit,
                with_payload=True,
                search_params=self._rescored if using == DENSE_VECTOR else None,
            )
        return [
            ScoredChunk(str(point.id), float(point.score), dict(point.payload or {}))
            for point in response.points
        ]

    def records(self, batch_size: int = 256) -> Iterator[ChunkRecord]:
        """Every chunk with its vectors and payload, a batch at a time (backups)."""
        if not self._exists():
            return
        offset: qm.ExtendedPointId | None = None
        while True:
            with as_store_error("scroll"):
                points, next_offset = self.client.scroll(
                    self.collection,
                    limit=batch_size,
                    offset=offset,
                    with_payload=True,
                    with_vectors=True,
                )
            for point in points:
                yield client_record(point)
            if next_offset is None:
                return
            offset = next_offset

    def delete_all(self) -> None:
        """Remove every point of the collection (a restore that failed halfway)."""
        if self._exists():
            selector = qm.FilterSelector(filter=qm.Filter())
            with self._writes:
                self.client.delete(self.collection, points_selector=selector, wait=True)

    @contextmanager
    def writes_paused(self) -> Iterator[None]:
        """Hold back this process's writes (other processes' writes go on; see `ingest.backup`)."""
        with self._writes:
            yield

    def optimize(self) -> None:
        """The server builds its indexes itself."""

    def close(self) -> None:
        """Close the client (if it is this store's own)."""
        if self.owns_client:
            self.client.close()
