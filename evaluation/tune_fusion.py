"""Choose fusion settings on data: `python -m evaluation.tune_fusion [DATASET...]`.

Fetches the dense and the sparse candidates of every question once, then replays the fusion for a
grid of methods and sparse weights (dense weight 1) and prints MRR and R@5 per data set, so the
defaults in `RetrievalSettings` rest on a table (recorded in `evaluation/README.md`).
"""

from __future__ import annotations

import argparse
from statistics import mean

from evaluation.datasets import GoldSet
from evaluation.metrics import distinct, recall_at, reciprocal_rank
from evaluation.runner import eval_settings, load_gold_set
from ingest.runner import run_ingest
from pipelines.components.retrievers.fusion import cap_per_document, fuse
from pipelines.settings import Settings
from pipelines.stores.base import ScoredChunk
from search_service.engine import build_search_engine

GRID = [("rrf", w) for w in (0.25, 0.5, 1.0)] + [("minmax", w) for w in (0.1, 0.2, 0.3, 0.5, 1.0)]
Candidates = list[tuple[list[ScoredChunk], list[ScoredChunk], set[str]]]


def fetch_candidates(settings: Settings, gold: GoldSet, limit: int | None) -> Candidates:
    """Dense and sparse candidate lists per answerable question."""
    engine = build_search_engine(settings)
    pipeline = engine.pipeline
    dense_embedder = pipeline.get_component("dense_embedder")
    sparse_embedder = pipeline.get_component("sparse_embedder")
    depth = settings.retrieval.candidates
    rows: Candidates = []
    try:
        for question in [q for q in gold.questions if q.relevant][:limit]:
            vector = dense_embedder.run(text=question.query)["embedding"]
            sparse = sparse_embedder.run(text=question.query)["sparse_embedding"]
            dense_hits = engine.store.query_dense(vector, [], depth)
            sparse_hits = engine.store.query_sparse(sparse.indices, sparse.values, [], depth)
            rows.append((dense_hits, sparse_hits, question.relevant))
    finally:
        engine.close()
    return rows


def score_grid(rows: Candidates, cap: int) -> dict[tuple[str, float], tuple[float, float]]:
    """(MRR, R@5) of document rankings for every grid point."""
    figures = {}
    for method, weight in GRID:
        mrr, r5 = [], []
        for dense_hits, sparse_hits, relevant in rows:
            fused = cap_per_document(fuse([(dense_hits, 1.0), (sparse_hits, weight)], method), cap)
            ranking = distinct([str(hit.payload["source_name"]) for hit in fused])
            mrr.append(reciprocal_rank(ranking, relevant))
            r5.append(recall_at(ranking, relevant, 5))
        figures[(method, weight)] = (mean(mrr), mean(r5))
    return figures


def main() -> None:
    """Print the grid for each data set."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("datasets", nargs="*", default=["demo"])
    parser.add_argument("--data-dir", default="data")
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    settings = Settings(data_dir=args.data_dir)
    results = {}
    for name in args.datasets:
        gold = load_gold_set(settings, name)
        local = eval_settings(settings, gold.name)
        run_ingest(local, [gold.corpus_dir])
        rows = fetch_candidates(local, gold, args.limit)
        results[gold.name] = score_grid(rows, settings.retrieval.per_document_cap)
    names = list(results)
    print("| fusion | sparse weight | " + " | ".join(f"{n} MRR | {n} R@5" for n in names) + " |")
    print("|---|---|" + "---|---|" * len(names))
    for method, weight in GRID:
        cells = " | ".join(
            f"{results[n][(method, weight)][0]:.3f} | {results[n][(method, weight)][1]:.3f}"
            for n in names
        )
        print(f"| {method} | {weight} | {cells} |")


if __name__ == "__main__":
    main()
