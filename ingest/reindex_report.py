"""The state of a re-index, as the CLI prints it and `GET /v1/admin/reindex` returns it."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

ReindexState = Literal["idle", "running", "switched", "aborted", "failed"]


@dataclass
class ReindexFailure:
    """A document that could not be indexed again, and why."""

    document_id: str
    title: str
    code: str
    reason: str


@dataclass
class ReindexProgress:
    """Progress and outcome of one re-index; updated by its thread, read by anyone.

    `switched`: the new collection serves, the old one is gone. `aborted`: the old collection
    still serves and nothing was lost (documents failed, documents changed meanwhile, or the
    service stopped). `failed`: an error stopped it; the old collection still serves.
    """

    state: ReindexState = "idle"
    old_collection: str | None = None
    new_collection: str | None = None
    documents_total: int = 0
    documents_done: int = 0
    chunks: int = 0
    failures: list[ReindexFailure] = field(default_factory=list)
    # Documents deleted because they failed and `allow_losses` was set (the API's field name).
    withdrawn: list[str] = field(default_factory=list)
    allow_losses: bool = False
    actor: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    message: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def update(self, **changes: Any) -> None:
        """Change fields together, so a reader never sees half an update."""
        with self._lock:
            for name, value in changes.items():
                setattr(self, name, value)

    def snapshot(self) -> dict[str, Any]:
        """The fields as plain values."""
        with self._lock:
            values = {f.name: getattr(self, f.name) for f in fields(self) if f.name[0] != "_"}
            values["failures"] = [asdict(failure) for failure in self.failures]
            values["withdrawn"] = list(self.withdrawn)
        return values

    def render(self) -> str:
        """A few lines for the command line."""
        lines = [
            f"re-index {self.state}: {self.documents_done}/{self.documents_total} documents, "
            f"{self.chunks} chunks",
            f"collection: {self.old_collection} → {self.new_collection}",
        ]
        lines += [f"  failed {f.document_id} ({f.title}): {f.reason}" for f in self.failures]
        lines += [f"  deleted {document_id}" for document_id in self.withdrawn]
        if self.message:
            lines.append(self.message)
        return "\n".join(lines)
