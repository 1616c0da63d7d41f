"""The demotion rule of superseded documents on the fused ranking, without a store."""

from __future__ import annotations

import pytest

from pipelines.components.retrievers.fusion import demote_superseded
from pipelines.stores.base import ScoredChunk


def chunk(
    chunk_id: str, score: float, document_id: str, successor: str | None = None
) -> ScoredChunk:
    payload = {"document_id": document_id}
    if successor:
        payload["superseded_by"] = successor
    return ScoredChunk(chunk_id, score, payload)


def test_nothing_superseded_keeps_the_ranking() -> None:
    chunks = [chunk("a1", 0.9, "a"), chunk("b1", 0.5, "b")]
    assert demote_superseded(chunks, 0.5) == chunks


def test_a_superseded_chunk_gets_the_penalty_without_its_successor() -> None:
    chunks = [chunk("a1", 0.9, "a", "z"), chunk("b1", 0.5, "b")]
    demoted = demote_superseded(chunks, 0.5)
    assert [(c.chunk_id, c.score) for c in demoted] == [("b1", 0.5), ("a1", pytest.approx(0.45))]


def test_a_superseded_chunk_ranks_below_every_chunk_of_its_successor() -> None:
    chunks = [
        chunk("old1", 1.0, "old", "new"),
        chunk("other", 0.8, "x"),
        chunk("new1", 0.6, "new"),
        chunk("new2", 0.3, "new"),
        chunk("old2", 0.1, "old", "new"),
    ]
    demoted = demote_superseded(chunks, 0.9)
    order = [c.chunk_id for c in demoted]
    assert order == ["other", "new1", "new2", "old1", "old2"]
    scores = {c.chunk_id: c.score for c in demoted}
    assert scores["old1"] == pytest.approx(0.3)  # capped at the successor's lowest, a tie
    assert scores["old2"] == pytest.approx(0.09)  # already below: only the penalty


def test_chains_of_successors_are_followed() -> None:
    chunks = [chunk("a", 1.0, "a", "b"), chunk("b", 0.9, "b", "c"), chunk("c", 0.2, "c")]
    demoted = demote_superseded(chunks, 1.0)
    assert [c.chunk_id for c in demoted] == ["c", "b", "a"]
    assert all(c.score == pytest.approx(0.2) for c in demoted)
