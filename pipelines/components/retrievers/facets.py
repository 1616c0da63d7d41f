"""Facet counts: how many distinct documents of each kind, ring, year, topic and job centre a
query found."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from pipelines.stores.base import ScoredChunk

FACET_FIELDS = {
    "kind": "kind",
    "ring": "ring",
    "year": "year",
    "topic": "topics",
    "job_centre": "job_centre",
}

FacetCounts = dict[str, list[tuple[str | int, int]]]


def _values(payload: dict[str, Any], field: str) -> Iterable[str | int]:
    value = payload.get(field)
    if value is None or value == "":
        return ()
    return value if isinstance(value, list) else (value,)


def count_facets(chunks: Sequence[ScoredChunk]) -> FacetCounts:
    """Documents per value of each facet, most frequent first (ties by value).

    A document counts once per value, however many of its chunks were found; a document with
    several topics counts under each of them.
    """
    first_chunks = {str(chunk.payload.get("document_id")): chunk.payload for chunk in chunks}
    facets: FacetCounts = {}
    for facet, field in FACET_FIELDS.items():
        counts: Counter[str | int] = Counter()
        for payload in first_chunks.values():
            counts.update(set(_values(payload, field)))
        facets[facet] = sorted(counts.items(), key=lambda item: (-item[1], str(item[0])))
    return facets
