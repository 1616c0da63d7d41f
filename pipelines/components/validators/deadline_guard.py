"""`DeadlineGuard`: stop a pipeline run between two steps once its time is up."""

from __future__ import annotations

import time
from typing import Any

from haystack import Document, component

from core.errors import ProcessingTimeoutError


@component
class DeadlineGuard:
    """Pass documents on unchanged, or raise when `time.monotonic()` is past `deadline`.

    Placed between the steps of the indexing pipeline, it makes a per-file time limit
    cooperative: a step is never interrupted, but the next one does not start.
    """

    def __init__(self, *, step: str) -> None:
        self.step = step

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document], deadline: float | None = None) -> dict[str, Any]:
        """Return the documents.

        Raises:
            ProcessingTimeoutError: the deadline has passed.
        """
        if deadline is not None and time.monotonic() > deadline:
            raise ProcessingTimeoutError(f"processing took too long (stopped {self.step})")
        return {"documents": documents}
