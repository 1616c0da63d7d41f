"""The boost of a year a question names alone, on the fused ranking, without a store."""

from __future__ import annotations

import pytest

from pipelines.components.retrievers.fusion import boost_years_of
from pipelines.stores.base import ScoredChunk


def chunk(chunk_id: str, score: float, year: int | None) -> ScoredChunk:
    return ScoredChunk(chunk_id, score, {"document_id": chunk_id, "year": year})


def test_chunks_of_the_years_are_multiplied_and_re_sorted() -> None:
    chunks = [chunk("a", 1.0, 2023), chunk("b", 0.9, 2019), chunk("c", 0.5, 2020)]
    boosted = boost_years_of(chunks, {2019, 2020}, 0.3)
    assert [(c.chunk_id, c.score) for c in boosted] == [
        ("b", pytest.approx(1.17)),
        ("a", 1.0),
        ("c", pytest.approx(0.65)),
    ]


def test_no_years_or_no_boost_keeps_the_ranking() -> None:
    chunks = [chunk("a", 1.0, 2023), chunk("b", 0.9, 2019), chunk("c", 0.9, None)]
    assert boost_years_of(chunks, set(), 0.3) == chunks
    assert boost_years_of(chunks, {2019}, 0.0) == chunks
    assert [c.chunk_id for c in boost_years_of(chunks, {2030}, 0.3)] == ["a", "b", "c"]
