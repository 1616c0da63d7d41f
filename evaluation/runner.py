"""`blok eval`: ingest each gold set's corpus into its own data directory, then measure.

Reports document-level Recall@1/5/10, MRR and nDCG@10 for dense-only, sparse-only and hybrid
retrieval (unanswerable questions are left out of these), and for the answers of the ask pipeline
on a sample of answerable questions plus every unanswerable one: the share of candidate quotes
that passed the server's verbatim check, the share of answers citing a relevant document, and
abstention precision and recall (an abstention is right when the question has no answer).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from core.access import SYSTEM
from core.settings import Settings
from evaluation.datasets import GoldQuestion, GoldSet, load_demo_set, load_jsonl_set
from evaluation.metrics import distinct, summarize
from ingest.runner import run_ingest
from pipelines.components.retrievers.hybrid_retriever import RetrievalMode
from pipelines.search import FilterInference, Searcher, open_searcher

MODES: tuple[RetrievalMode, ...] = ("dense", "sparse", "hybrid")
RANKING_DEPTH = 10
ANSWER_SAMPLE = 200  # answerable questions asked per set (every k-th), plus all unanswerable


def eval_settings(settings: Settings, name: str) -> Settings:
    """Settings of a gold set's own data directory (the shared model folder stays)."""
    embedding = settings.embedding.model_copy(update={"models_dir": settings.models_dir})
    return settings.model_copy(
        update={"data_dir": settings.eval_dir / name, "embedding": embedding}
    )


def load_gold_set(settings: Settings, name: str) -> GoldSet:
    """The demo set or a JSON-lines set by name or folder."""
    if name == "demo":
        return load_demo_set()
    return load_jsonl_set(name, settings.eval_dir / Path(name).name)


def rank_documents(
    searcher: Searcher, query: str, mode: RetrievalMode, infer_filters: bool = True
) -> list[str]:
    """Source names of the results in order, without repeats.

    With `infer_filters` (the service's default) the question's own filters apply, as for a
    user; relative years ("letztes Jahr") are not read, so the figures do not depend on the day.
    """
    outcome = searcher.search(
        query,
        principal=SYSTEM,
        top_k=RANKING_DEPTH * 3,
        mode=mode,
        inference=FilterInference(enabled=infer_filters),
    )
    names = [str(doc.meta.get("source_name", "")) for doc in outcome.documents]
    return distinct(names)[:RANKING_DEPTH]


def evaluate_gold_set(
    searcher: Searcher, gold: GoldSet, limit: int | None = None, infer_filters: bool = True
) -> dict[str, dict[str, float]]:
    """Metrics per retrieval mode over the answerable questions."""
    questions = [q for q in gold.questions if q.relevant][:limit]
    figures: dict[str, dict[str, float]] = {}
    for mode in MODES:
        runs = [
            (rank_documents(searcher, q.query, mode, infer_filters), q.relevant) for q in questions
        ]
        figures[mode] = {**summarize(runs), "questions": float(len(questions))}
    return figures


def answer_sample(gold: GoldSet, size: int = ANSWER_SAMPLE) -> list[GoldQuestion]:
    """Every k-th answerable question (at most `size`) and every unanswerable one."""
    answerable = [q for q in gold.questions if q.relevant]
    step = max(1, len(answerable) // size)
    return answerable[::step][:size] + [q for q in gold.questions if not q.relevant]


def ratio(part: int, whole: int) -> float | None:
    """part / whole, or None when there is nothing to divide."""
    return part / whole if whole else None


def evaluate_answers(
    searcher: Searcher, gold: GoldSet, infer_filters: bool = True
) -> dict[str, float | None]:
    """Citation check rate, relevant citations and abstention quality of the ask pipeline."""
    verified = rejected = answered = citing_relevant = 0
    right_abstentions = wrong_abstentions = missed_abstentions = 0
    questions = answer_sample(gold)
    for question in questions:
        inference = FilterInference(enabled=infer_filters)
        outcome = searcher.ask(question.query, principal=SYSTEM, inference=inference)
        verified += len(outcome.citations)
        rejected += outcome.rejected_citations
        cited = {str(doc.meta["source_name"]) for doc in outcome.citations}
        if question.relevant and outcome.abstained:
            wrong_abstentions += 1
        elif question.relevant:
            answered += 1
            citing_relevant += bool(question.relevant & cited)
        elif outcome.abstained:
            right_abstentions += 1
        else:
            missed_abstentions += 1
    return {
        "questions": float(len(questions)),
        "citation_check_rate": ratio(verified, verified + rejected),
        "answers_citing_relevant": ratio(citing_relevant, answered),
        "abstention_precision": ratio(right_abstentions, right_abstentions + wrong_abstentions),
        "abstention_recall": ratio(right_abstentions, right_abstentions + missed_abstentions),
    }


def run_evaluation(
    settings: Settings,
    names: list[str],
    limit: int | None = None,
    as_json: bool = False,
    answers: bool = True,
    infer_filters: bool = True,
) -> str:
    """Evaluate each named set; returns tables (or JSON)."""
    results: dict[str, Any] = {}
    answer_results: dict[str, Any] = {}
    for name in names:
        gold = load_gold_set(settings, name)
        local = eval_settings(settings, gold.name)
        run_ingest(local, [gold.corpus_dir])
        with open_searcher(local) as searcher:
            results[gold.name] = evaluate_gold_set(searcher, gold, limit, infer_filters)
            if answers:
                answer_results[gold.name] = evaluate_answers(searcher, gold, infer_filters)
    if as_json:
        return json.dumps({"retrieval": results, "answers": answer_results}, indent=2)
    tables = [render_table(results)]
    if answer_results:
        tables.append(render_answer_table(answer_results))
    return "\n\n".join(tables)


def render_answer_table(results: dict[str, dict[str, float | None]]) -> str:
    """A Markdown table of answer figures per data set ("–" where undefined)."""
    columns = (
        "citation_check_rate",
        "answers_citing_relevant",
        "abstention_precision",
        "abstention_recall",
    )
    lines = [
        "| data set | questions asked | " + " | ".join(c.replace("_", " ") for c in columns) + " |",
        "|---|---|" + "---|" * len(columns),
    ]
    for name, figures in results.items():
        cells = " | ".join("–" if figures[c] is None else f"{figures[c]:.3f}" for c in columns)
        lines.append(f"| {name} | {int(figures['questions'] or 0)} | {cells} |")
    return "\n".join(lines)


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
