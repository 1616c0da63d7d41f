"""HNSW and quantisation variants of the synthetic store: `python -m evaluation.benchmark --hnsw N`.

Each variant gets a fresh Edge shard of the same N synthetic chunks (`synthetic_records`: BM25
of demo-corpus words and random unit dense vectors, both vectors as the service writes them),
so the variants are compared in one run on the same data. For each it reports the time of the
index build (`optimize`), the recall@10 of the approximate dense search against the exact one
(`SearchParams(exact=True)`) over random unit query vectors, with no filter and with a ring
filter, the search latency, and the shard's size on disk.

The dense vectors are clustered (`clustered_vectors`): a direction all of them share, one of
`CLUSTERS` topics and noise, as sentence embeddings are (related passages close, all of them in
a narrow cone). Random unit vectors, the main benchmark's, are the worst case of an approximate
index: in 384 dimensions they are all nearly equally far apart, and the engine's defaults found
0.146 of the exact top 10 on 100,000 of them.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import qdrant_edge as edge

from evaluation.synthetic import synthetic_records
from pipelines.stores.base import DENSE_VECTOR, SPARSE_VECTOR, ChunkRecord
from pipelines.stores.edge_store import edge_points

WRITE_BATCH = 5000
TOP_K = 10
CLUSTERS = 500


def clustered_vectors(
    count: int, dim: int, rng: np.random.Generator, centers: np.ndarray
) -> np.ndarray:
    """`count` unit vectors: the shared direction, a random one of `centers`, and noise."""
    shared = np.ones(dim, dtype=np.float32) / np.sqrt(dim)
    noise = rng.standard_normal((count, dim)).astype(np.float32)
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    picked = centers[rng.integers(0, len(centers), count)]
    vectors: np.ndarray = 0.6 * shared + 0.6 * picked + 0.5 * noise
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


@dataclass(frozen=True)
class HnswVariant:
    """One store layout to measure: HNSW parameters and whether the vectors are int8-quantised."""

    m: int
    ef_construct: int
    int8: bool = False
    search_ef: int | None = None  # None: the engine's default (`ef_construct`)
    oversampling: float | None = None  # int8: candidates rescored, as a multiple of the limit

    @property
    def label(self) -> str:
        search = f", search ef {self.search_ef}" if self.search_ef else ""
        if self.oversampling:
            search += f", oversampling {self.oversampling:g}"
        return (
            f"m {self.m}, ef_construct {self.ef_construct}{', int8' if self.int8 else ''}{search}"
        )

    def config(self, dim: int) -> edge.EdgeConfig:
        quantization = (
            edge.ScalarQuantizationConfig(edge.ScalarType.Int8, quantile=0.99, always_ram=True)
            if self.int8
            else None
        )
        return edge.EdgeConfig(
            vectors={
                DENSE_VECTOR: edge.EdgeVectorParams(
                    dim, edge.Distance.Cosine, quantization_config=quantization
                )
            },
            sparse_vectors={SPARSE_VECTOR: edge.EdgeSparseVectorParams(modifier=edge.Modifier.Idf)},
            hnsw_config=edge.HnswIndexConfig(self.m, self.ef_construct, 10_000),
        )

    def params(self, *, exact: bool = False) -> edge.SearchParams:
        """The search's parameters; `exact`: every vector, at full precision (the reference)."""
        if exact:
            ignore = edge.QuantizationSearchParams(ignore=True) if self.int8 else None
            return edge.SearchParams(exact=True, quantization=ignore)
        quantization = (
            edge.QuantizationSearchParams(rescore=True, oversampling=self.oversampling)
            if self.int8
            else None
        )
        return edge.SearchParams(hnsw_ef=self.search_ef, quantization=quantization)


VARIANTS = (
    HnswVariant(16, 100),  # the engine's defaults, what the store used so far
    HnswVariant(12, 64),
    HnswVariant(16, 64),
    HnswVariant(12, 64, int8=True),
    HnswVariant(12, 64, int8=True, search_ef=128),
    HnswVariant(12, 64, int8=True, oversampling=2.0),
    HnswVariant(12, 64, int8=True, oversampling=4.0),
)


def _top_ids(
    shard: edge.EdgeShard,
    vector: list[float],
    params: edge.SearchParams,
    condition: edge.Filter | None,
) -> list[str]:
    request = edge.QueryRequest(
        limit=TOP_K,
        query=edge.Query.Nearest(vector, using=DENSE_VECTOR),
        filter=condition,
        params=params,
    )
    return [str(point.id) for point in shard.query(request)]


def _folder_mb(folder: Path) -> float:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file()) / 1e6


def measure_variant(
    variant: HnswVariant,
    folder: Path,
    batches: list[list[ChunkRecord]],
    queries: np.ndarray,
) -> list[str]:
    """Build the variant's shard in `folder` from `batches`, then time and check its searches."""
    dim = queries.shape[1]
    shard = edge.EdgeShard.create(str(folder), variant.config(dim))
    shard.update(edge.UpdateOperation.create_field_index("ring", edge.PayloadSchemaType.Keyword))
    for records in batches:
        shard.update(edge.UpdateOperation.upsert_points(edge_points(records)))
    started = time.perf_counter()
    shard.optimize()
    build = time.perf_counter() - started
    ring = edge.Filter(must=[edge.FieldCondition(key="ring", match=edge.MatchAny(["vr3"]))])
    lines = [f"hnsw {variant.label}: build {build:.1f} s, on disk {_folder_mb(folder):.0f} MB"]
    for name, condition in (("no filter", None), ("ring filter", ring)):
        recalls, seconds = [], []
        for vector in queries.tolist():
            exact = set(_top_ids(shard, vector, variant.params(exact=True), condition))
            started = time.perf_counter()
            found = _top_ids(shard, vector, variant.params(), condition)
            seconds.append(time.perf_counter() - started)
            recalls.append(len(exact.intersection(found)) / max(1, len(exact)))
        ordered = sorted(seconds)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        lines.append(
            f"  {name}: recall@{TOP_K} {statistics.mean(recalls):.3f} "
            f"(min {min(recalls):.1f}), dense search p50 {statistics.median(ordered) * 1000:.1f} "
            f"ms, p95 {p95 * 1000:.1f} ms"
        )
    shard.close()
    return lines


def bench_hnsw(
    count: int,
    vocabulary: list[str],
    report: Callable[[str], None],
    query_count: int = 100,
    chosen: list[int] | None = None,
) -> None:
    """The variants of `VARIANTS` (all, or the `chosen` numbers, 1 the first) on the same
    `count` synthetic chunks, in one run; each line goes to `report` as soon as it is measured
    (a variant takes minutes)."""
    dim = 384
    rng = np.random.default_rng(11)
    centers = rng.standard_normal((CLUSTERS, dim)).astype(np.float32)
    centers /= np.linalg.norm(centers, axis=1, keepdims=True)
    batches = []
    for start in range(0, count, WRITE_BATCH):
        records = synthetic_records(min(WRITE_BATCH, count - start), vocabulary, dim, first=start)
        for record, vector in zip(
            records, clustered_vectors(len(records), dim, rng, centers), strict=True
        ):
            record.dense = vector.tolist()
        batches.append(records)
    queries = clustered_vectors(query_count, dim, rng, centers)
    report(
        f"hnsw: {count} synthetic chunks in {CLUSTERS} clusters, {query_count} query vectors, "
        f"top {TOP_K}"
    )
    with tempfile.TemporaryDirectory() as root:
        for index, variant in enumerate(VARIANTS, start=1):
            if chosen and index not in chosen:
                continue
            for line in measure_variant(variant, Path(root) / f"v{index}", batches, queries):
                report(line)
