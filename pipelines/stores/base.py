"""The interface every chunk store implements, and the collection schema they share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from core.filters import Condition
from core.settings import StoreSettings

DENSE_VECTOR = "dense"
SPARSE_VECTOR = "bm25"

KEYWORD_FIELDS = (
    "document_id",
    "kind",
    "ring",
    "topic_keys",
    "job_centre_key",
    "visibility",
)
INTEGER_FIELDS = ("year",)
# Below this size (KB of vectors) a segment is searched without its graph (Qdrant's default).
FULL_SCAN_THRESHOLD_KB = 10_000
_DEFAULTS = StoreSettings()  # what a layout takes when it is not given the settings


@dataclass(frozen=True)
class CollectionLayout:
    """How a new collection is built: its HNSW graph and int8 copy of the dense vectors, and its
    spread over a Qdrant cluster (shards, copies, confirmations; Edge and a single server keep
    one of each). `oversampling` applies to every dense search (a collection without the int8
    copy ignores it)."""

    shards: int = 1
    replication_factor: int = 1
    write_consistency_factor: int = 1
    hnsw_m: int = _DEFAULTS.hnsw_m
    hnsw_ef_construct: int = _DEFAULTS.hnsw_ef_construct
    int8: bool = _DEFAULTS.quantization == "int8"  # an int8 copy of the dense vectors
    oversampling: float = _DEFAULTS.oversampling  # rescored candidates per result

    @classmethod
    def of(cls, store: StoreSettings) -> CollectionLayout:
        """The layout the store settings ask for."""
        return cls(
            store.shards,
            store.replication_factor,
            store.write_consistency_factor,
            store.hnsw_m,
            store.hnsw_ef_construct,
            store.quantization == "int8",
            store.oversampling,
        )


SINGLE_NODE = CollectionLayout()  # one shard, one copy: Edge, or a single Qdrant server


@dataclass
class ChunkRecord:
    """One chunk as written to the store."""

    chunk_id: str
    dense: list[float]
    sparse_indices: list[int]
    sparse_values: list[float]
    payload: dict[str, Any]


@dataclass
class ScoredChunk:
    """One chunk as found by a query."""

    chunk_id: str
    score: float
    payload: dict[str, Any] = field(default_factory=dict)


class ChunkStore(Protocol):
    """A Qdrant collection of chunks with a named dense and a named sparse (IDF) vector."""

    def ensure_collection(self, dense_dim: int) -> None:
        """Create the collection and its payload indexes if they do not exist."""

    def upsert(self, chunks: list[ChunkRecord]) -> None:
        """Insert or replace chunks by id."""

    def delete_document(self, document_id: str) -> None:
        """Remove every chunk of one document."""

    def set_payload(self, document_id: str, payload: dict[str, Any]) -> None:
        """Set these payload fields on every chunk of one document; vectors stay as they are.

        Fields not named keep their values; a field set to None reads as absent afterwards.
        """

    def count(self, conditions: list[Condition] | None = None) -> int:
        """Exact number of chunks matching all conditions."""

    def query_dense(
        self, vector: list[float], conditions: list[Condition], limit: int
    ) -> list[ScoredChunk]:
        """Nearest chunks by cosine similarity of the dense vector."""

    def query_sparse(
        self, indices: list[int], values: list[float], conditions: list[Condition], limit: int
    ) -> list[ScoredChunk]:
        """Best chunks by BM25 (sparse dot product with IDF modifier)."""

    def optimize(self) -> None:
        """Build indexes (HNSW) after a batch of writes."""

    def close(self) -> None:
        """Release files and connections."""
