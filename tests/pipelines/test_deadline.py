"""A file's `Deadline` stops the slow steps from inside: the chunker and the batched embedder."""

from __future__ import annotations

import time
from typing import Any

import pytest
from haystack import Document

from core.errors import ProcessingTimeoutError
from pipelines.components.embedders.batched_document_embedder import BatchedDocumentEmbedder
from pipelines.components.preprocessors.german_chunker import GermanSentenceChunker
from pipelines.deadline import Deadline

PASSED = Deadline(time.monotonic() - 1)
SENTENCE = "Das Jobcenter begleitet Alleinerziehende bei der Arbeitsaufnahme."


class CountingEmbedder:
    """Gives every document a one-number vector and counts its batches (wiring only)."""

    def __init__(self) -> None:
        self.batches: list[int] = []

    def run(self, documents: list[Document]) -> dict[str, Any]:
        self.batches.append(len(documents))
        return {"documents": [Document(content=d.content, embedding=[1.0]) for d in documents]}


def passages(count: int) -> list[Document]:
    return [Document(content=f"{SENTENCE} {n}") for n in range(count)]


def test_the_embedder_checks_the_deadline_before_every_batch() -> None:
    inner = CountingEmbedder()
    embedder = BatchedDocumentEmbedder(embedder=inner, batch_size=16)
    with pytest.raises(ProcessingTimeoutError, match="while embedding, after 0 of 3 batches"):
        embedder.run(documents=passages(40), deadline=PASSED)
    assert inner.batches == []
    done = embedder.run(documents=passages(40), deadline=Deadline.after(600))["documents"]
    assert inner.batches == [16, 16, 8] and len(done) == 40
    assert all(document.embedding == [1.0] for document in done)


def test_the_chunker_checks_the_deadline_within_one_long_page() -> None:
    page = Document(content="\n\n".join([SENTENCE] * 3000), meta={"document_id": "x", "page": 1})
    chunker = GermanSentenceChunker(max_words=250)
    with pytest.raises(ProcessingTimeoutError, match="while chunking"):
        chunker.run(documents=[page], deadline=PASSED)
    assert chunker.run(documents=[page], deadline=Deadline.after(600))["documents"]


def test_a_deadline_round_trips_for_pipeline_snapshots() -> None:
    deadline = Deadline.after(5)
    assert Deadline.from_dict(deadline.to_dict()) == deadline
    assert not deadline.passed() and PASSED.passed()
