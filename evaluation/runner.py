"""`blok eval`: ingest each gold set's corpus into its own data directory, then measure.

Reports document-level Recall@1/5/10, MRR and nDCG@10 for dense-only, sparse-only and hybrid
retrieval (unanswerable questions are left out of these), and for the answers of the ask pipeline
on a sample of answerable questions plus every unanswerable one: the share of candidate quotes
that passed the server's verbatim check, the answer hit rate (answerable questions where a cited
quote overlaps the gold answer), wrong abstentions (on answerable questions), abstentions on the
set's unanswerable questions and on the held-out off-domain questions (`gold/off_domain.jsonl`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from core.access import SYSTEM
from core.settings import Settings
from evaluation.datasets import (
    GoldQuestion,
    GoldSet,
    load_demo_set,
    load_jsonl_set,
    load_off_domain_questions,
)
from evaluation.metrics import distinct, quote_overlaps, summarize
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
    searcher: Searcher, gold: GoldSet, off_domain: list[str], infer_filters: bool = True
) -> dict[str, Any]:
    """Answer quality of the ask pipeline on a sample of the set and on off-domain questions.

    An answer hits when one of its cited quotes overlaps a gold answer (`quote_overlaps`); a
    wrong abstention is one on an answerable question; the off-domain questions (held out from
    the answerability classifier's calibration) are asked of the same corpus.
    """
    verified = rejected = hits = with_gold = wrong = unanswerable = right = 0
    questions = answer_sample(gold)
    answerable = [q for q in questions if q.relevant]
    for question in questions:
        inference = FilterInference(enabled=infer_filters)
        outcome = searcher.ask(question.query, principal=SYSTEM, inference=inference)
        verified += len(outcome.citations)
        rejected += outcome.rejected_citations
        if not question.relevant:
            unanswerable += 1
            right += outcome.abstained
            continue
        wrong += outcome.abstained
        if question.answers:
            with_gold += 1
            hits += any(
                quote_overlaps(doc.content or "", answer)
                for doc in outcome.citations
                for answer in question.answers
            )
    off_abstained = sum(searcher.ask(q, principal=SYSTEM).abstained for q in off_domain)
    return {
        "questions": float(len(questions)),
        "citation_check_rate": ratio(verified, verified + rejected),
        "answer_hit_rate": ratio(hits, with_gold),
        "wrong_abstentions": ratio(wrong, len(answerable)),
        "unanswerable_abstained": ratio(right, unanswerable),
        "off_domain_abstained": ratio(off_abstained, len(off_domain)),
        "counts": f"{wrong}/{len(answerable)}, {right}/{unanswerable}, "
        f"{off_abstained}/{len(off_domain)}",
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
    off_domain = load_off_domain_questions("held_out")
    for name in names:
        gold = load_gold_set(settings, name)
        local = eval_settings(settings, gold.name)
        run_ingest(local, [gold.corpus_dir])
        with open_searcher(local) as searcher:
            results[gold.name] = evaluate_gold_set(searcher, gold, limit, infer_filters)
            if answers:
                answer_results[gold.name] = evaluate_answers(
                    searcher, gold, off_domain, infer_filters
                )
    if as_json:
        return json.dumps({"retrieval": results, "answers": answer_results}, indent=2)
    tables = [render_table(results)]
    if answer_results:
        tables.append(render_answer_table(answer_results))
    return "\n\n".join(tables)


def render_answer_table(results: dict[str, dict[str, Any]]) -> str:
    """A Markdown table of answer figures per data set ("–" where undefined)."""
    columns = (
        "citation_check_rate",
        "answer_hit_rate",
        "wrong_abstentions",
        "unanswerable_abstained",
        "off_domain_abstained",
    )
    lines = [
        "| data set | questions asked | "
        + " | ".join(c.replace("_", " ") for c in columns)
        + " | counts (wrong, unanswerable, off-domain) |",
        "|---|---|" + "---|" * (len(columns) + 1),
    ]
    for name, figures in results.items():
        cells = " | ".join("–" if figures[c] is None else f"{figures[c]:.3f}" for c in columns)
        asked = int(figures["questions"] or 0)
        lines.append(f"| {name} | {asked} | {cells} | {figures['counts']} |")
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
