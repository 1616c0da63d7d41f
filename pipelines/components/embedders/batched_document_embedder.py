"""`BatchedDocumentEmbedder`: a document embedder run batch by batch under a file's deadline."""

from __future__ import annotations

from typing import Any, Protocol

from haystack import Document, component

from pipelines.deadline import Deadline


class DocumentEmbedder(Protocol):
    """A Haystack document embedder: `run(documents=...)` returns `{"documents": [...]}`."""

    def run(self, documents: list[Document]) -> dict[str, Any]:
        """Embed the documents."""
        ...  # pragma: no cover


@component
class BatchedDocumentEmbedder:
    """Embed chunks in batches of `batch_size` with `embedder`, checking the deadline before each.

    Embedding is the slowest step of a file: a 60 MB text has tens of thousands of chunks. The
    deadline is checked before every batch, so a file over its limit stops within one batch
    (`ProcessingTimeoutError`), and nothing of it has been written yet.
    """

    def __init__(self, *, embedder: DocumentEmbedder, batch_size: int = 16) -> None:
        self.embedder = embedder
        self.batch_size = batch_size

    def warm_up(self) -> None:
        """Load the wrapped embedder's model."""
        warm_up = getattr(self.embedder, "warm_up", None)
        if warm_up is not None:
            warm_up()

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document], deadline: Deadline | None = None) -> dict[str, Any]:
        """The documents with their embeddings, in order.

        Raises:
            ProcessingTimeoutError: the deadline passed before the last batch.
        """
        embedded: list[Document] = []
        batches = range(0, len(documents), self.batch_size)
        for number, start in enumerate(batches):
            if deadline is not None:
                deadline.check(f"while embedding, after {number} of {len(batches)} batches")
            batch = documents[start : start + self.batch_size]
            embedded += self.embedder.run(documents=batch)["documents"]
        return {"documents": embedded}
