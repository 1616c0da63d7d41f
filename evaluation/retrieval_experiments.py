"""Retrieval options measured on the gold sets: `python -m evaluation.retrieval_experiments`.

Fetches, once per answerable question and through the real query steps (glossary expansion
for BM25, the question as asked for e5), the dense and the BM25 candidates, and a BM25 query
widened by pseudo-relevance feedback (the best terms of the top fused chunks added to the
question's). Then it replays the retriever's fusion offline for each option and ranks
documents as `blok eval` does (first hit of each document among the first 30 chunks, unless
an option aggregates per document):

- `baseline`: the default fusion (min-max, BM25 weight from the settings).
- `doc-sum β`: a document's score is its best chunk's plus β times its second best.
- `prf k/m/λ`: BM25 with the m best terms of the k best fused chunks, weight λ, in place of the
  plain BM25 ranking.

Prints R@5 and MRR per option and data set (Markdown).
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import mean

from haystack import Document

from core.persistence.registry import Registry
from core.settings import Settings
from evaluation.datasets import GoldQuestion
from evaluation.metrics import distinct, recall_at, reciprocal_rank
from evaluation.runner import RANKING_DEPTH, eval_settings, load_gold_set
from ingest.runner import run_ingest
from pipelines.components.embedders.bm25_embedders import Bm25DocumentEmbedder
from pipelines.components.retrievers.fusion import cap_per_document, fuse
from pipelines.indexing import EMBEDDED_META_FIELDS
from pipelines.search import build_searcher
from pipelines.stores import build_chunk_store
from pipelines.stores.base import ChunkStore, ScoredChunk

PRF_SETTINGS = ((3, 10, 0.3), (3, 20, 0.3), (3, 10, 0.5), (5, 20, 0.3))
DOC_SUM_WEIGHTS = (0.1, 0.2, 0.3, 0.5)


@dataclass
class Candidates:
    """One question's candidates: dense, BM25 and the feedback-widened BM25 rankings."""

    relevant: set[str]
    dense: list[ScoredChunk]
    sparse: list[ScoredChunk]
    prf: dict[tuple[int, int, float], list[ScoredChunk]] = field(default_factory=dict)


def fused(
    candidates: Candidates, sparse: Sequence[ScoredChunk], weight: float
) -> list[ScoredChunk]:
    """The retriever's min-max fusion of the dense and a BM25 ranking."""
    return fuse([(candidates.dense, 1.0), (sparse, weight)], "minmax")


def first_hit_ranking(chunks: Sequence[ScoredChunk]) -> list[str]:
    """Documents in the order of their first chunk among the first 30 (as `blok eval`)."""
    capped = cap_per_document(chunks, 3)[: RANKING_DEPTH * 3]
    return distinct([str(chunk.payload.get("source_name", "")) for chunk in capped])[:RANKING_DEPTH]


def doc_sum_ranking(chunks: Sequence[ScoredChunk], beta: float) -> list[str]:
    """Documents by best chunk score plus `beta` times the second best."""
    scores: dict[str, list[float]] = defaultdict(list)
    for chunk in chunks:
        scores[str(chunk.payload.get("source_name", ""))].append(chunk.score)
    total = {name: s[0] + beta * (s[1] if len(s) > 1 else 0.0) for name, s in scores.items()}
    return sorted(total, key=lambda name: -total[name])[:RANKING_DEPTH]


def feedback_query(
    bm25: Bm25DocumentEmbedder,
    query_indices: Sequence[int],
    chunks: Sequence[ScoredChunk],
    terms: int,
    weight: float,
) -> tuple[list[int], list[float]]:
    """The question's BM25 terms (weight 1) and the `terms` heaviest terms of `chunks`."""
    documents = [
        Document(content=str(c.payload.get("text", "")), meta=dict(c.payload)) for c in chunks
    ]
    summed: dict[int, float] = defaultdict(float)
    for document in bm25.run(documents=documents)["documents"]:
        sparse = document.sparse_embedding
        total = sum(sparse.values) or 1.0
        for index, value in zip(sparse.indices, sparse.values, strict=True):
            summed[index] += value / total
    own = set(query_indices)
    best = sorted((i for i in summed if i not in own), key=lambda i: -summed[i])[:terms]
    top = max((summed[i] for i in best), default=1.0)
    return [*query_indices, *best], [1.0] * len(own) + [weight * summed[i] / top for i in best]


def fetch_candidates(
    settings: Settings,
    store: ChunkStore,
    registry: Registry,
    questions: list[GoldQuestion],
    limit: int,
) -> list[Candidates]:
    """Dense, BM25 and feedback BM25 candidates of every question, through the real steps."""
    searcher = build_searcher(settings, store, registry)
    pipeline = searcher.query_pipeline
    expander = pipeline.get_component("query_expander")
    dense_embedder = pipeline.get_component("dense_embedder")
    sparse_embedder = pipeline.get_component("sparse_embedder")
    bm25 = Bm25DocumentEmbedder(meta_fields_to_embed=EMBEDDED_META_FIELDS)
    weight = settings.retrieval.sparse_weight
    found = []
    for question in questions:
        expanded = expander.run(query=question.query)
        vector = dense_embedder.run(text=expanded["original_query"])["embedding"]
        sparse_query = sparse_embedder.run(text=expanded["query"])["sparse_embedding"]
        dense = store.query_dense(vector, [], limit)
        sparse = store.query_sparse(
            list(sparse_query.indices), list(sparse_query.values), [], limit
        )
        candidates = Candidates(question.relevant, dense, sparse)
        base = fused(candidates, sparse, weight)
        for k, terms, prf_weight in PRF_SETTINGS:
            indices, values = feedback_query(
                bm25, sparse_query.indices, base[:k], terms, prf_weight
            )
            candidates.prf[(k, terms, prf_weight)] = store.query_sparse(indices, values, [], limit)
        found.append(candidates)
    return found


def score(rankings: list[tuple[list[str], set[str]]]) -> tuple[float, float]:
    """(R@5, MRR) over (ranking, relevant) pairs."""
    return (
        mean(recall_at(ranking, relevant, 5) for ranking, relevant in rankings),
        mean(reciprocal_rank(ranking, relevant) for ranking, relevant in rankings),
    )


def options(found: list[Candidates], weight: float) -> dict[str, tuple[float, float]]:
    """(R@5, MRR) of every option."""
    results = {}
    base = [fused(c, c.sparse, weight) for c in found]
    results["baseline"] = score(
        [(first_hit_ranking(f), c.relevant) for f, c in zip(base, found, strict=True)]
    )
    for beta in DOC_SUM_WEIGHTS:
        results[f"doc-sum {beta}"] = score(
            [(doc_sum_ranking(f, beta), c.relevant) for f, c in zip(base, found, strict=True)]
        )
    for setting in PRF_SETTINGS:
        rankings = [
            (first_hit_ranking(fused(c, c.prf[setting], weight)), c.relevant) for c in found
        ]
        results["prf {}/{}/{}".format(*setting)] = score(rankings)
    return results


def main() -> None:
    """Print R@5 and MRR of every option on the named data sets."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("datasets", nargs="*", default=["demo"])
    parser.add_argument("--data-dir", default="data")
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    settings = Settings(data_dir=args.data_dir)
    table: dict[str, dict[str, tuple[float, float]]] = {}
    for name in args.datasets:
        gold = load_gold_set(settings, name)
        local = eval_settings(settings, gold.name)
        run_ingest(local, [gold.corpus_dir])
        questions = [q for q in gold.questions if q.relevant][: args.limit]
        registry = Registry.open(local)
        store = build_chunk_store(local, registry)
        try:
            found = fetch_candidates(local, store, registry, questions, local.retrieval.candidates)
        finally:
            store.close()
            registry.close()
        table[gold.name] = options(found, local.retrieval.sparse_weight)
        print(f"{gold.name}: {len(questions)} questions", flush=True)
    names = list(table)
    print("| option | " + " | ".join(f"{n} R@5 | {n} MRR" for n in names) + " |")
    print("|---|" + "---|---|" * len(names))
    for option in table[names[0]]:
        cells = [f"{table[n][option][0]:.3f} | {table[n][option][1]:.3f}" for n in names]
        print(f"| {option} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
