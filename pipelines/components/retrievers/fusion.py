"""Fusion of the dense and the sparse ranking into one, the per-document cap, the demotion of
superseded documents, the boost of a year the question names."""

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


def demote_superseded(chunks: Sequence[ScoredChunk], penalty: float) -> list[ScoredChunk]:
    """Rank chunks of superseded documents lower; the rule, applied to the fused ranking:

    1. A chunk whose payload names a `superseded_by` document has its score multiplied by
       `penalty` (0 to 1; 1 leaves the score alone).
    2. If chunks of that successor are among `chunks`, the score is then capped at the lowest
       successor chunk's score, so it ranks below every chunk of its successor present
       (chains A → B → C are followed until nothing changes; cycles are refused by curation).
    3. Ties go to the document that is not superseded, then to the shorter chain of successors,
       then to the former order.
    """
    successors = {
        str(chunk.payload["document_id"]): str(chunk.payload["superseded_by"])
        for chunk in chunks
        if chunk.payload.get("superseded_by")
    }
    if not successors:
        return list(chunks)
    scores = [
        chunk.score * penalty if chunk.payload.get("superseded_by") else chunk.score
        for chunk in chunks
    ]
    for _ in range(len(successors) + 1):
        lowest: dict[str, float] = {}
        for chunk, score in zip(chunks, scores, strict=True):
            document_id = str(chunk.payload.get("document_id"))
            lowest[document_id] = min(score, lowest.get(document_id, score))
        capped = [
            min(score, lowest.get(successors.get(str(chunk.payload.get("document_id")), ""), score))
            for chunk, score in zip(chunks, scores, strict=True)
        ]
        if capped == scores:
            break
        scores = capped

    def depth(document_id: str) -> int:
        seen: set[str] = set()
        while document_id in successors and document_id not in seen:
            seen.add(document_id)
            document_id = successors[document_id]
        return len(seen)

    order = sorted(
        range(len(chunks)),
        key=lambda i: (-scores[i], depth(str(chunks[i].payload.get("document_id"))), i),
    )
    return [ScoredChunk(chunks[i].chunk_id, scores[i], chunks[i].payload) for i in order]


def boost_years_of(
    chunks: Sequence[ScoredChunk], years: set[int], boost: float
) -> list[ScoredChunk]:
    """Multiply the score of chunks of documents of `years` by 1 + `boost`, then re-sort.

    Fused, dense and BM25 scores are all non-negative, so the factor works for every mode;
    ties keep the former order.
    """
    if not years or boost <= 0:
        return list(chunks)
    scored = [
        (chunk.score * (1.0 + boost) if chunk.payload.get("year") in years else chunk.score, i)
        for i, chunk in enumerate(chunks)
    ]
    order = sorted(range(len(chunks)), key=lambda i: (-scored[i][0], i))
    return [ScoredChunk(chunks[i].chunk_id, scored[i][0], chunks[i].payload) for i in order]
