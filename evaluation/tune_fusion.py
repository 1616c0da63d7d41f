"""Choose fusion settings on data: `python -m evaluation.tune_fusion [DATASET...]`.

Builds the searcher once per point of a grid of fusion methods, BM25 weights (dense weight 1),
candidate depths and per-document caps (a `RetrievalSettings` override given to
`build_searcher`; the model is loaded once and shared) and runs every answerable question
through it, so each point is measured exactly as the service would search. Each run ranks
documents the way `blok eval` does (first hit of each document among the first 30 chunks) and
scores MRR and R@10. The grid has 72 points: on a large set, `--limit` keeps it short.
Rows are printed best first by mean MRR over the data sets, so the defaults in
`RetrievalSettings` rest on a table (recorded in `evaluation/README.md`).
"""

from __future__ import annotations

import argparse
import itertools
from statistics import mean

from core.persistence.registry import Registry
from core.settings import RetrievalSettings, Settings
from evaluation.datasets import GoldSet
from evaluation.metrics import recall_at, reciprocal_rank
from evaluation.runner import RANKING_DEPTH, eval_settings, load_gold_set, rank_documents
from ingest.runner import run_ingest
from pipelines.search import build_searcher
from pipelines.stores import build_chunk_store

FUSIONS = [("rrf", w) for w in (0.5, 1.0)] + [("minmax", w) for w in (0.3, 0.5, 0.7, 1.0)]
CANDIDATES = (20, 50, 100)
CAPS = (1, 2, 3, 5)
GRID = list(itertools.product(FUSIONS, CANDIDATES, CAPS))
Setting = tuple[tuple[str, float], int, int]


def retrieval_of(settings: Settings, setting: Setting) -> RetrievalSettings:
    """The settings' retrieval with one grid point's fusion, weights, depth and cap."""
    (method, weight), candidates, cap = setting
    return settings.retrieval.model_copy(
        update={
            "fusion": method,
            "dense_weight": 1.0,
            "sparse_weight": weight,
            "candidates": candidates,
            "per_document_cap": cap,
        }
    )


def score_grid(
    settings: Settings, gold: GoldSet, limit: int | None
) -> dict[Setting, tuple[float, float]]:
    """(MRR, R@10) of the document rankings for every grid point, through the real searcher."""
    questions = [q for q in gold.questions if q.relevant][:limit]
    figures = {}
    registry = Registry.open(settings)
    store = build_chunk_store(settings, registry)
    try:
        for setting in GRID:
            searcher = build_searcher(
                settings, store, registry, retrieval=retrieval_of(settings, setting)
            )
            rankings = [
                (rank_documents(searcher, q.query, "hybrid"), q.relevant) for q in questions
            ]
            figures[setting] = (
                mean(reciprocal_rank(ranking, relevant) for ranking, relevant in rankings),
                mean(recall_at(ranking, relevant, RANKING_DEPTH) for ranking, relevant in rankings),
            )
    finally:
        store.close()
        registry.close()
    return figures


def render(results: dict[str, dict[Setting, tuple[float, float]]], default: Setting) -> str:
    """Markdown table, best mean MRR first; the current default is in bold."""
    names = list(results)
    lines = [
        "| fusion | BM25 weight | candidates | cap | mean MRR | "
        + " | ".join(f"{n} MRR | {n} R@10" for n in names)
        + " |",
        "|---|---|---|---|---|" + "---|---|" * len(names),
    ]
    ranked = sorted(GRID, key=lambda s: -mean(results[n][s][0] for n in names))
    for setting in ranked:
        (method, weight), candidates, cap = setting
        cells = [method, str(weight), str(candidates), str(cap)]
        cells.append(f"{mean(results[n][setting][0] for n in names):.3f}")
        for name in names:
            cells += [f"{value:.3f}" for value in results[name][setting]]
        if setting == default:
            cells = [f"**{cell}**" for cell in cells]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    """Print the grid over all named data sets."""
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
        results[gold.name] = score_grid(local, gold, args.limit)
    retrieval = settings.retrieval
    default = (
        (retrieval.fusion, retrieval.sparse_weight),
        retrieval.candidates,
        retrieval.per_document_cap,
    )
    print(render(results, default))


if __name__ == "__main__":
    main()
