"""`DeadlineGuard`: stop a pipeline run between two steps once its time is up."""

from __future__ import annotations

from typing import Any

from haystack import Document, component

from pipelines.deadline import Deadline


@component
class DeadlineGuard:
    """Pass documents on unchanged, or raise when the file's `deadline` has passed.

    Placed between the steps of the indexing pipeline; a step that runs long checks the deadline
    itself (the page reader's process is killed, the dense embedder checks between batches).
    """

    def __init__(self, *, step: str) -> None:
        self.step = step

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document], deadline: Deadline | None = None) -> dict[str, Any]:
        """Return the documents.

        Raises:
            ProcessingTimeoutError: the deadline has passed.
        """
        if deadline is not None:
            deadline.check(self.step)
        return {"documents": documents}
