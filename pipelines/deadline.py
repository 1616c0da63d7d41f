"""`Deadline`: when the time of one file is up, checked wherever its work can stop.

The ingest runner starts one per file (`BLOK_INGEST__MAX_SECONDS_PER_FILE`); the page reader is
killed at `at` (a child process), the indexing pipeline's guards check it between steps, and the
dense embedder before every batch, so a long file stops within one batch of its limit. Whoever
embeds in batches (of one file or of several) calls `check` before each batch of a file.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from core.errors import ProcessingTimeoutError


@dataclass(frozen=True)
class Deadline:
    """The `time.monotonic()` value at which one file's time is up."""

    at: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        """The deadline `seconds` from now."""
        return cls(time.monotonic() + seconds)

    def to_dict(self) -> dict[str, float]:
        """For Haystack's pipeline snapshots."""
        return {"at": self.at}

    @classmethod
    def from_dict(cls, data: dict[str, float]) -> Deadline:
        """The deadline of `to_dict`."""
        return cls(data["at"])

    def passed(self) -> bool:
        """Whether the time is up."""
        return time.monotonic() > self.at

    def check(self, step: str) -> None:
        """Go on, or stop the file.

        Raises:
            ProcessingTimeoutError: the time is up; the message says where it stopped (`step`).
        """
        if self.passed():
            raise ProcessingTimeoutError(f"processing took too long (stopped {step})")
