"""`blok eval`: ingest each gold set's corpus into its own data directory, then measure.

Reports document-level Recall@1/5/10, MRR and nDCG@10 for dense-only, sparse-only and hybrid
retrieval. Unanswerable questions (no relevant document) are left out of these figures.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evaluation.datasets import GoldSet, load_demo_set, load_jsonl_set
from evaluation.metrics import distinct, summarize
from ingest.runner import run_ingest
from pipelines.settings import Settings
from search_service.engine import SearchEngine, build_search_engine
from search_service.schemas import SearchRequest

MODES = ("dense", "sparse", "hybrid")
RANKING_DEPTH = 10


def eval_settings(settings: Settings, name: str) -> Settings:
    """Settings of a gold set's own data directory (the shared model folder stays)."""
    embedding = settings.embedding.model_copy(update={"models_dir": settings.models_dir})
    return settings.model_copy(
        update={"data_dir": settings.data_dir / "eval" / name, "embedding": embedding}
    )


def load_gold_set(settings: Settings, name: str) -> GoldSet:
    """The demo set or a JSON-lines set by name or folder."""
    if name == "demo":
        return load_demo_set()
    return load_jsonl_set(name, settings.data_dir / "eval" / Path(name).name)


def rank_documents(engine: SearchEngine, query: str, mode: str) -> list[str]:
    """Source names of the results in order, without repeats."""
    request = SearchRequest(query=query, top_k=RANKING_DEPTH * 3)
    response = engine.search(request, mode=mode)  # type: ignore[arg-type]
    return distinct([hit.source_name for hit in response.results])[:RANKING_DEPTH]


def evaluate_gold_set(
    engine: SearchEngine, gold: GoldSet, limit: int | None = None
) -> dict[str, dict[str, float]]:
    """Metrics per retrieval mode over the answerable questions."""
    questions = [q for q in gold.questions if q.relevant][:limit]
    figures: dict[str, dict[str, float]] = {}
    for mode in MODES:
        runs = [(rank_documents(engine, q.query, mode), q.relevant) for q in questions]
        figures[mode] = {**summarize(runs), "questions": float(len(questions))}
    return figures


def run_evaluation(
    settings: Settings, names: list[str], limit: int | None = None, as_json: bool = False
) -> str:
    """Evaluate each named set; returns a table (or JSON)."""
    results: dict[str, Any] = {}
    for name in names:
        gold = load_gold_set(settings, name)
        local = eval_settings(settings, gold.name)
        run_ingest(local, [gold.corpus_dir])
        engine = build_search_engine(local)
        try:
            results[gold.name] = evaluate_gold_set(engine, gold, limit)
        finally:
            engine.close()
    return json.dumps(results, indent=2) if as_json else render_table(results)


def render_table(results: dict[str, dict[str, dict[str, float]]]) -> str:
    """A Markdown table: one row per data set and mode."""
    columns = ("R@1", "R@5", "R@10", "MRR", "nDCG@10")
    lines = [
        "| data set | mode | questions | " + " | ".join(columns) + " |",
        "|---|---|---|" + "---|" * len(columns),
    ]
    for name, modes in results.items():
        for mode, figures in modes.items():
            values = " | ".join(f"{figures[c]:.3f}" for c in columns)
            lines.append(f"| {name} | {mode} | {int(figures['questions'])} | {values} |")
    return "\n".join(lines)
