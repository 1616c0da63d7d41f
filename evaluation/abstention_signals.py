"""How well do cheap signals tell answerable from unanswerable questions?

`python -m evaluation.abstention_signals demo omosqa-de-dev --data-dir DIR` runs the ask pipeline
on every question of each set (after ingesting its corpus, as `blok eval` does) and prints, per
signal, the area under the ROC curve for "abstain when the signal is low" (0.5 is chance, 1.0
separates perfectly). It is the evidence behind the abstention threshold and its limits in
`evaluation/README.md`.

Signals: the best sentence's cosine to the question (what the composer uses), the top passage's
dense and BM25 scores, and how much of the question's words (weighted by rarity) the top passage
and the best sentence contain.
"""

from __future__ import annotations

import argparse
import re

from core.access import SYSTEM
from core.settings import Settings
from evaluation.runner import eval_settings, load_gold_set
from ingest.runner import run_ingest
from pipelines.components.embedders.bm25_embedders import Bm25TextEmbedder
from pipelines.search import Searcher, open_searcher
from pipelines.text.german_lexical import zipf

SIGNALS = ("best_sentence", "top_dense", "top_bm25", "coverage_top_passage", "coverage_sentence")
WORD = re.compile(r"\w+")


class QuestionCoverage:
    """Share of a question's words, weighted by rarity, whose BM25 terms occur in a text."""

    def __init__(self, question: str, embedder: Bm25TextEmbedder) -> None:
        self.embedder = embedder
        words = [(word, self.terms(word)) for word in WORD.findall(question)]
        self.words = [(max(0.5, 7.5 - zipf(word)), terms) for word, terms in words if terms]

    def terms(self, text: str) -> set[int]:
        """The BM25 term ids of a text (stemmed, compounds split, stopwords dropped)."""
        return set(self.embedder.run(text=text)["sparse_embedding"].indices)

    def of(self, text: str) -> float:
        """Weighted share of the question's words found in `text`."""
        found = self.terms(text) if text else set()
        total = sum(weight for weight, _ in self.words)
        hit = sum(weight * len(terms & found) / len(terms) for weight, terms in self.words)
        return hit / total if total else 0.0


def auc(low_for_positive: list[float], others: list[float]) -> float:
    """Probability that a positive scores lower than a negative (ties count half)."""
    wins = sum(
        (p < n) + 0.5 * (p == n) for p in low_for_positive for n in others
    )  # small sets: quadratic is fine
    return wins / (len(low_for_positive) * len(others))


def question_signals(searcher: Searcher, question: str, bm25: Bm25TextEmbedder) -> dict[str, float]:
    """Ask the question once and read the signals off the outcome.

    The best sentence is the first candidate quote (the selector ranks by cosine to the question).
    """
    outcome = searcher.ask(question, principal=SYSTEM, top_k=5)
    passages = outcome.passages
    best = outcome.quotes[0] if outcome.quotes else None
    scores = passages[0].meta["retrieval_scores"] if passages else {}
    coverage = QuestionCoverage(question, bm25)
    return {
        "best_sentence": float(outcome.best_score),
        "top_dense": float(scores.get("dense") or 0.0),
        "top_bm25": float(scores.get("sparse") or 0.0),
        "coverage_top_passage": coverage.of(passages[0].content or "") if passages else 0.0,
        "coverage_sentence": coverage.of(best.content or "") if best else 0.0,
    }


def main() -> None:
    """Print a table: data set, questions, unanswerable, AUC per signal."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("datasets", nargs="+")
    parser.add_argument("--data-dir", default="data")
    args = parser.parse_args()
    settings = Settings(data_dir=args.data_dir)
    bm25 = Bm25TextEmbedder()
    print("| data set | questions | unanswerable | " + " | ".join(SIGNALS) + " |")
    print("|---|---|---|" + "---|" * len(SIGNALS))
    for name in args.datasets:
        gold = load_gold_set(settings, name)
        local = eval_settings(settings, gold.name)
        run_ingest(local, [gold.corpus_dir])
        with open_searcher(local) as searcher:
            rows = [
                (bool(q.relevant), question_signals(searcher, q.query, bm25))
                for q in gold.questions
            ]
        unanswerable = [signals for answerable, signals in rows if not answerable]
        answerable = [signals for answerable, signals in rows if answerable]
        cells = [
            f"{auc([s[k] for s in unanswerable], [s[k] for s in answerable]):.3f}"
            if unanswerable and answerable
            else "–"
            for k in SIGNALS
        ]
        print(f"| {gold.name} | {len(rows)} | {len(unanswerable)} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
