"""The synthetic chunks of the store benchmarks (`evaluation.benchmark`, `evaluation.bench_hnsw`).

German BM25 vectors of text made of demo-corpus words and random unit dense vectors: embedding
100,000 real chunks would take hours on two cores.
"""

from __future__ import annotations

import random
import uuid

import numpy as np

from evaluation.datasets import DEMO_CORPUS
from pipelines.components.embedders.bm25_embedders import build_bm25
from pipelines.stores.base import ChunkRecord

KINDS = ("protokoll", "evaluationsbericht", "tagungsmaterial", "praxisbeispiel", "sonstiges")


def demo_vocabulary() -> list[str]:
    """The words of the demo corpus, with their repetitions (the text of synthetic chunks)."""
    return [
        w for p in DEMO_CORPUS.glob("*.md") for w in p.read_text("utf-8").split() if w.isalpha()
    ]


def synthetic_records(count: int, vocabulary: list[str], dim: int, first: int) -> list[ChunkRecord]:
    """Chunks `first` … `first + count - 1`: random demo words, BM25 and random unit vectors."""
    rng = random.Random(first)
    vectors = np.random.default_rng(first).standard_normal((count, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    bm25 = build_bm25()
    records = []
    for row, index in enumerate(range(first, first + count)):
        text = " ".join(rng.choices(vocabulary, k=rng.randint(60, 200)))
        sparse = bm25.embed_document(text)
        year = rng.randint(2012, 2025)
        payload = {
            "document_id": f"syn{index // 20:06d}",
            "kind": rng.choice(KINDS),
            "ring": f"vr{rng.randint(1, 10)}",
            "year": year,
            "date": f"{year}-01-01",
            "topic_keys": [],
            "title": f"Synthetisches Dokument {index // 20}",
            "source_name": f"syn{index // 20:06d}.txt",
            "page_start": 1 + index % 20,
            "start_offset": 0,
            "end_offset": len(text),
            "text": text,
        }
        chunk_id = str(uuid.UUID(int=index + 1))
        records.append(
            ChunkRecord(
                chunk_id,
                vectors[row].tolist(),
                list(sparse.indices),
                list(sparse.values),
                payload,
            )
        )
    return records
