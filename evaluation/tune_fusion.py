"""Choose fusion settings on data: `python -m evaluation.tune_fusion [DATASET...]`.

Fetches the dense and the sparse candidates of every answerable question once (as deep as the
deepest candidate setting), then replays the retriever for a grid of fusion methods, BM25 weights
(dense weight 1), candidate depths and per-document caps. Each replay ranks documents the way
`blok eval` does (first hit of each document among the first 30 chunks) and scores MRR and R@10.
Rows are printed best first by mean MRR over the data sets, so the defaults in
`RetrievalSettings` rest on a table (recorded in `evaluation/README.md`).
"""

from __future__ import annotations

import argparse
import itertools
from statistics import mean

from core.settings import Settings
from evaluation.datasets import GoldSet
from evaluation.metrics import distinct, recall_at, reciprocal_rank
from evaluation.runner import RANKING_DEPTH, eval_settings, load_gold_set
from ingest.runner import run_ingest
from pipelines.components.retrievers.fusion import cap_per_document, fuse
from pipelines.stores.base import ScoredChunk
from search_service.engine import build_search_engine

FUSIONS = [("rrf", w) for w in (0.5, 1.0)] + [("minmax", w) for w in (0.3, 0.5, 0.7, 1.0)]
CANDIDATES = (20, 50, 100)
CAPS = (1, 2, 3, 5)
GRID = list(itertools.product(FUSIONS, CANDIDATES, CAPS))
Setting = tuple[tuple[str, float], int, int]
Candidates = list[tuple[list[ScoredChunk], list[ScoredChunk], set[str]]]


def fetch_candidates(settings: Settings, gold: GoldSet, limit: int | None) -> Candidates:
    """Dense and sparse candidate lists per answerable question, through the real query steps."""
    engine = build_search_engine(settings)
    pipeline = engine.pipeline
    expander = pipeline.get_component("query_expander")
    dense_embedder = pipeline.get_component("dense_embedder")
    sparse_embedder = pipeline.get_component("sparse_embedder")
    depth = max(CANDIDATES)
    rows: Candidates = []
    try:
        for question in [q for q in gold.questions if q.relevant][:limit]:
            expanded = expander.run(query=question.query)
            vector = dense_embedder.run(text=expanded["original_query"])["embedding"]
            sparse = sparse_embedder.run(text=expanded["query"])["sparse_embedding"]
            dense_hits = engine.store.query_dense(vector, [], depth)
            sparse_hits = engine.store.query_sparse(sparse.indices, sparse.values, [], depth)
            rows.append((dense_hits, sparse_hits, question.relevant))
    finally:
        engine.close()
    return rows


def score_grid(rows: Candidates) -> dict[Setting, tuple[float, float]]:
    """(MRR, R@10) of the document rankings for every grid point."""
    figures = {}
    for (method, weight), candidates, cap in GRID:
        mrr, r10 = [], []
        for dense_hits, sparse_hits, relevant in rows:
            sides = [(dense_hits[:candidates], 1.0), (sparse_hits[:candidates], weight)]
            fused = cap_per_document(fuse(sides, method), cap)[: RANKING_DEPTH * 3]
            ranking = distinct([str(hit.payload["source_name"]) for hit in fused])
            mrr.append(reciprocal_rank(ranking, relevant))
            r10.append(recall_at(ranking, relevant, RANKING_DEPTH))
        figures[((method, weight), candidates, cap)] = (mean(mrr), mean(r10))
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
        results[gold.name] = score_grid(fetch_candidates(local, gold, args.limit))
    retrieval = settings.retrieval
    default = (
        (retrieval.fusion, retrieval.sparse_weight),
        retrieval.candidates,
        retrieval.per_document_cap,
    )
    print(render(results, default))


if __name__ == "__main__":
    main()
