"""Chunk store on Qdrant Edge: Qdrant's engine in-process, on disk, no server."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import qdrant_edge as edge

from core.errors import StoreError, StoreLockedError
from core.filters import Condition, FieldExclude, FieldMatch
from pipelines.stores.base import (
    DENSE_VECTOR,
    FULL_SCAN_THRESHOLD_KB,
    INTEGER_FIELDS,
    KEYWORD_FIELDS,
    SINGLE_NODE,
    SPARSE_VECTOR,
    ChunkRecord,
    CollectionLayout,
    ScoredChunk,
)
from pipelines.stores.failures import as_store_error


def to_edge_filter(conditions: list[Condition]) -> edge.Filter | None:
    """Translate neutral conditions into an Edge filter."""
    if not conditions:
        return None
    must: list[Any] = []  # the binding wants its own union of condition types
    must_not: list[Any] = []
    for condition in conditions:
        if isinstance(condition, FieldMatch | FieldExclude):
            match = edge.MatchAny(list(condition.values))
            field = edge.FieldCondition(key=condition.key, match=match)
            (must_not if isinstance(condition, FieldExclude) else must).append(field)
        else:
            gte = float(condition.gte) if condition.gte is not None else None
            lte = float(condition.lte) if condition.lte is not None else None
            must.append(
                edge.FieldCondition(key=condition.key, range=edge.RangeFloat(gte=gte, lte=lte))
            )
    return edge.Filter(must=must or None, must_not=must_not or None)


def chunk_record(point: edge.Record) -> ChunkRecord:
    """A chunk as read back from the shard, with both vectors."""
    vectors = point.vector
    assert isinstance(vectors, dict)
    dense, sparse = vectors[DENSE_VECTOR], vectors[SPARSE_VECTOR]
    assert isinstance(dense, list) and isinstance(sparse, edge.SparseVector)
    return ChunkRecord(
        chunk_id=str(point.id),
        dense=[float(value) for value in dense],  # type: ignore[arg-type]  # one vector, no multi
        sparse_indices=list(sparse.indices),
        sparse_values=list(sparse.values),
        payload=dict(point.payload or {}),
    )


def edge_points(chunks: list[ChunkRecord]) -> list[edge.Point]:
    """The chunks as Edge points, with both vectors."""
    return [
        edge.Point(
            id=chunk.chunk_id,
            vector={
                DENSE_VECTOR: chunk.dense,
                SPARSE_VECTOR: edge.SparseVector(chunk.sparse_indices, chunk.sparse_values),
            },
            payload=chunk.payload,
        )
        for chunk in chunks
    ]


class EdgeChunkStore:
    """A single Edge shard in `path`; only one process may open it at a time."""

    def __init__(
        self, path: Path, layout: CollectionLayout = SINGLE_NODE, *, load: bool = True
    ) -> None:
        """Open the shard in `path` if it exists (not with `load`: a closed store, whose reads
        find nothing and whose writes fail, until another is switched in its place); `layout`
        (its HNSW graph) is for a new one."""
        self.path = path
        self.layout = layout
        rescored = edge.QuantizationSearchParams(rescore=True, oversampling=layout.oversampling)
        self._rescored = edge.SearchParams(quantization=rescored)  # every dense search's
        self._shard: edge.EdgeShard | None = None
        self._lock = threading.Lock()
        if load and (path / "edge_config.json").exists():
            self._shard = self._open(lambda: edge.EdgeShard.load(str(path)))

    def _open(self, opener: Callable[[], edge.EdgeShard]) -> edge.EdgeShard:
        try:
            return opener()
        except Exception as exc:  # the binding raises plain Exception
            if "WouldBlock" in str(exc):
                raise StoreLockedError(
                    f"The embedded store in {self.path} is open in another process (a running "
                    "`blok serve`?). Stop it, or send the work to the running service."
                ) from exc
            raise StoreError(f"Cannot open the embedded store in {self.path}: {exc}") from exc

    def ensure_collection(self, dense_dim: int) -> None:
        """Create the shard with its vectors and payload indexes if it does not exist."""
        with self._lock:
            if self._shard is not None:
                return
            int8 = (
                edge.ScalarQuantizationConfig(edge.ScalarType.Int8, quantile=0.99, always_ram=True)
                if self.layout.int8
                else None
            )
            dense = edge.EdgeVectorParams(dense_dim, edge.Distance.Cosine, quantization_config=int8)
            config = edge.EdgeConfig(
                vectors={DENSE_VECTOR: dense},
                sparse_vectors={
                    SPARSE_VECTOR: edge.EdgeSparseVectorParams(modifier=edge.Modifier.Idf)
                },
                hnsw_config=edge.HnswIndexConfig(
                    self.layout.hnsw_m, self.layout.hnsw_ef_construct, FULL_SCAN_THRESHOLD_KB
                ),
            )
            self.path.mkdir(parents=True, exist_ok=True)
            shard = self._open(lambda: edge.EdgeShard.create(str(self.path), config))
            for name in KEYWORD_FIELDS:
                shard.update(
                    edge.UpdateOperation.create_field_index(name, edge.PayloadSchemaType.Keyword)
                )
            for name in INTEGER_FIELDS:
                shard.update(
                    edge.UpdateOperation.create_field_index(name, edge.PayloadSchemaType.Integer)
                )
            self._shard = shard

    def upsert(self, chunks: list[ChunkRecord]) -> None:
        """Insert or replace chunks."""
        self._update(edge.UpdateOperation.upsert_points(edge_points(chunks)))

    def delete_document(self, document_id: str) -> None:
        """Remove every chunk of one document."""
        if self._shard is None:
            return
        condition = to_edge_filter([FieldMatch("document_id", (document_id,))])
        assert condition is not None
        self._update(edge.UpdateOperation.delete_points_by_filter(condition))

    def set_payload(self, document_id: str, payload: dict[str, Any]) -> None:
        """Set payload fields on every chunk of one document (no re-embedding)."""
        if self._shard is None:
            return
        condition = to_edge_filter([FieldMatch("document_id", (document_id,))])
        assert condition is not None
        self._update(edge.UpdateOperation.set_payload_by_filter(condition, payload))

    def _update(self, operation: edge.UpdateOperation) -> None:
        if self._shard is None:
            raise StoreError("The collection does not exist yet; call ensure_collection first.")
        with self._lock:
            self._shard.update(operation)

    def count(self, conditions: list[Condition] | None = None) -> int:
        """Exact number of chunks matching all conditions."""
        if self._shard is None:
            return 0
        request = edge.CountRequest(exact=True, filter=to_edge_filter(conditions or []))
        with as_store_error("count"):
            return self._shard.count(request)

    def query_dense(
        self, vector: list[float], conditions: list[Condition], limit: int
    ) -> list[ScoredChunk]:
        """Nearest chunks by cosine similarity."""
        query = edge.Query.Nearest(vector, using=DENSE_VECTOR)
        return self._query(query, conditions, limit, self._rescored)

    def query_sparse(
        self, indices: list[int], values: list[float], conditions: list[Condition], limit: int
    ) -> list[ScoredChunk]:
        """Best chunks by BM25."""
        sparse = edge.SparseVector(indices, values)
        return self._query(edge.Query.Nearest(sparse, using=SPARSE_VECTOR), conditions, limit)

    def _query(
        self,
        query: edge.Query,
        conditions: list[Condition],
        limit: int,
        params: edge.SearchParams | None = None,
    ) -> list[ScoredChunk]:
        if self._shard is None:
            return []
        request = edge.QueryRequest(
            limit=limit,
            query=query,
            filter=to_edge_filter(conditions),
            with_payload=True,
            params=params,
        )
        with as_store_error("search"):
            points = self._shard.query(request)
        return [
            ScoredChunk(str(point.id), float(point.score), dict(point.payload or {}))
            for point in points
        ]

    def records(self, batch_size: int = 256) -> Iterator[ChunkRecord]:
        """Every chunk with its vectors and payload, a batch at a time (`blok migrate`)."""
        offset: edge.PointId | None = None
        while self._shard is not None:
            request = edge.ScrollRequest(
                offset=offset, limit=batch_size, with_payload=True, with_vector=True
            )
            with self._lock, as_store_error("scroll"):
                points, offset = self._shard.scroll(request)
            for point in points:
                yield chunk_record(point)
            if offset is None:
                return

    def optimize(self) -> None:
        """Build the HNSW index and merge segments; call after a batch of writes."""
        if self._shard is not None:
            with self._lock:
                self._shard.optimize()

    def describe(self) -> str:
        """Segments, points and indexed vectors, for benchmarks and diagnostics."""
        if self._shard is None:
            return "no collection"
        info = self._shard.info()
        return (
            f"{info.segments_count} segments, {info.points_count} points, "
            f"{info.indexed_vectors_count} indexed vectors"
        )

    @contextmanager
    def writes_paused(self) -> Iterator[None]:
        """Hold every write back and flush: the files under `path` stay as they are until the end.

        Searches go on meanwhile; a backup copies the directory inside this block.
        """
        with self._lock:
            if self._shard is not None:
                self._shard.flush()
            yield

    def close(self) -> None:
        """Flush and release the shard (and its WAL lock)."""
        with self._lock:
            if self._shard is not None:
                shard, self._shard = self._shard, None
                try:
                    shard.flush()
                finally:  # a failed flush must not keep the lock
                    shard.close()
