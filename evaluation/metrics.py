"""Ranking metrics with binary relevance."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from statistics import mean


def recall_at(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    """Share of the relevant items found in the first `k`."""
    return len(relevant.intersection(ranked[:k])) / len(relevant) if relevant else 0.0


def reciprocal_rank(ranked: Sequence[str], relevant: set[str]) -> float:
    """1 / rank of the first relevant item (0 if none)."""
    for rank, item in enumerate(ranked, start=1):
        if item in relevant:
            return 1.0 / rank
    return 0.0


def ndcg_at(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    """Normalised discounted cumulative gain of the first `k`."""
    gain = sum(
        1.0 / math.log2(rank + 1) for rank, item in enumerate(ranked[:k], 1) if item in relevant
    )
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(relevant), k) + 1))
    return gain / ideal if ideal else 0.0


def summarize(runs: Sequence[tuple[Sequence[str], set[str]]]) -> dict[str, float]:
    """Mean Recall@1/5/10, MRR and nDCG@10 over (ranking, relevant) pairs."""
    if not runs:
        return {"R@1": 0.0, "R@5": 0.0, "R@10": 0.0, "MRR": 0.0, "nDCG@10": 0.0}
    return {
        "R@1": mean(recall_at(r, rel, 1) for r, rel in runs),
        "R@5": mean(recall_at(r, rel, 5) for r, rel in runs),
        "R@10": mean(recall_at(r, rel, 10) for r, rel in runs),
        "MRR": mean(reciprocal_rank(r, rel) for r, rel in runs),
        "nDCG@10": mean(ndcg_at(r, rel, 10) for r, rel in runs),
    }


def distinct(items: Sequence[str]) -> list[str]:
    """Items in order without repeats (chunk hits → document ranking)."""
    return list(dict.fromkeys(items))


def normalized_words(text: str) -> list[str]:
    """Lower-case words without punctuation, for comparing quotes with gold answers."""
    return re.findall(r"\w+", text.casefold())


def quote_overlaps(quote: str, answer: str, run: int = 4) -> bool:
    """True when the quote and the gold answer share `run` consecutive words.

    A gold answer shorter than `run` words ("308", "Kawann Short") must stand whole in the quote.
    """
    quote_words, answer_words = normalized_words(quote), normalized_words(answer)
    need = min(run, len(answer_words))
    if not need or len(quote_words) < need:
        return False
    grams = {tuple(answer_words[i : i + need]) for i in range(len(answer_words) - need + 1)}
    return any(
        tuple(quote_words[i : i + need]) in grams for i in range(len(quote_words) - need + 1)
    )
