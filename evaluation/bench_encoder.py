"""The encoder alone (`python -m evaluation.benchmark --encoder N`): float32 PyTorch against the
OpenVINO int8 export, interleaved batch by batch in the same run, so a busy machine slows both.

N German passages of 200 words (the bundled XQuAD-de and OMoS-QA passages, cut to 200 words,
those shorter left out) in batches of 16, each batch through one encoder and then the other (the
order alternating), and then single questions as queries; passages/s and the query median.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from core.settings import EmbeddingSettings
from evaluation.datasets import BUNDLED_DATASETS, read_jsonl
from pipelines.models.embedding_model import (
    DenseEncoder,
    build_document_embedder,
    build_text_embedder,
    resolve_dense_encoder,
)

PASSAGE_WORDS = 200
BATCH = 16


def german_passages(count: int, words: int = PASSAGE_WORDS) -> list[str]:
    """`count` passages of exactly `words` words (repeated when the sets have fewer)."""
    texts = [
        " ".join(row["text"].split()[:words])
        for name in ("xquad-de", "omosqa-de-dev")
        for row in read_jsonl(BUNDLED_DATASETS / name / "corpus.jsonl")
        if len(row["text"].split()) >= words
    ]
    return [texts[i % len(texts)] for i in range(count)]


def german_questions(count: int) -> list[str]:
    """`count` questions of the bundled sets."""
    rows = read_jsonl(BUNDLED_DATASETS / "omosqa-de-dev" / "queries.jsonl")
    return [str(row["query"]) for row in rows[:count]]


def bench_encoder(models_dir: Path, count: int) -> list[str]:
    """Lines: passages/s and query median of both encoders, measured interleaved."""
    from haystack import Document

    encoders: dict[str, DenseEncoder] = {
        "float32 PyTorch": resolve_dense_encoder(EmbeddingSettings(backend="torch"), models_dir),
        "int8 OpenVINO": resolve_dense_encoder(EmbeddingSettings(backend="openvino"), models_dir),
    }
    embedders = {}
    queriers = {}
    for label, encoder in encoders.items():
        embedders[label] = build_document_embedder(
            encoder, prefix="passage: ", batch_size=BATCH, meta_fields_to_embed=[]
        )
        embedders[label].warm_up()
        queriers[label] = build_text_embedder(encoder, prefix="query: ")
        queriers[label].warm_up()
    passages = german_passages(count)
    seconds = dict.fromkeys(encoders, 0.0)
    order = list(encoders)
    for number, start in enumerate(range(0, len(passages), BATCH)):
        batch = [Document(content=text) for text in passages[start : start + BATCH]]
        for label in order if number % 2 == 0 else order[::-1]:
            seconds[label] += timed(partial(embedders[label].run, documents=batch))
    query_times: dict[str, list[float]] = {label: [] for label in encoders}
    for number, question in enumerate(german_questions(max(8, count // 4))):
        for label in order if number % 2 == 0 else order[::-1]:
            query_times[label].append(timed(partial(queriers[label].run, text=question)))
    base = len(passages) / seconds[order[0]]
    lines = [
        f"encoder: {len(passages)} German passages of {PASSAGE_WORDS} words, batch {BATCH}, "
        "interleaved in one run"
    ]
    for label in encoders:
        rate = len(passages) / seconds[label]
        lines.append(
            f"  {label}: {rate:.1f} passages/s ({rate / base:.2f}×), query median "
            f"{statistics.median(query_times[label]) * 1000:.0f} ms "
            f"({len(query_times[label])} questions)"
        )
    return lines


def timed(function: Callable[[], object]) -> float:
    """Wall time of one call."""
    started = time.perf_counter()
    function()
    return time.perf_counter() - started
