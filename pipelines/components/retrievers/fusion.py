"""Fusion of the dense and the sparse ranking into one, and the per-document cap."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from pipelines.stores.base import ScoredChunk


def min_max(scores: Sequence[float]) -> list[float]:
    """Scale scores to [0, 1]; equal scores all become 1."""
    if not scores:
        return []
    low, high = min(scores), max(scores)
    if high - low < 1e-12:
        return [1.0 for _ in scores]
    return [(score - low) / (high - low) for score in scores]


def fuse(
    rankings: Sequence[tuple[Sequence[ScoredChunk], float]],
    method: str,
    rrf_k: int = 60,
) -> list[ScoredChunk]:
    """Combine weighted rankings; `method` is `minmax` (weighted normalised sum) or `rrf`."""
    fused: dict[str, float] = {}
    chunks: dict[str, ScoredChunk] = {}
    for ranking, weight in rankings:
        if method == "rrf":
            contributions = [weight / (rrf_k + rank) for rank in range(1, len(ranking) + 1)]
        else:
            contributions = [weight * value for value in min_max([c.score for c in ranking])]
        for chunk, contribution in zip(ranking, contributions, strict=True):
            fused[chunk.chunk_id] = fused.get(chunk.chunk_id, 0.0) + contribution
            chunks.setdefault(chunk.chunk_id, chunk)
    order = sorted(fused, key=lambda chunk_id: (-fused[chunk_id], chunk_id))
    return [ScoredChunk(i, fused[i], chunks[i].payload) for i in order]


def cap_per_document(chunks: Sequence[ScoredChunk], cap: int) -> list[ScoredChunk]:
    """Keep at most `cap` chunks of each document (0 keeps all), preserving order."""
    if cap <= 0:
        return list(chunks)
    seen: Counter[str] = Counter()
    kept: list[ScoredChunk] = []
    for chunk in chunks:
        document_id = str(chunk.payload.get("document_id"))
        if seen[document_id] < cap:
            seen[document_id] += 1
            kept.append(chunk)
    return kept
