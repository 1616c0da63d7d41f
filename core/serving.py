"""Which documents a query may see: every store query leaves out documents that are not servable.

A document is servable once it is completely indexed. While it is written (`pending`), after
a new version has taken its place (`replaced`, its chunks about to go) and while the office has
withdrawn it (`withdrawn`, its chunks kept) its chunks are left out by a `FieldExclude` on
`document_id`. The registry keeps a generation that changes whenever a replacement commits or a
document is withdrawn or restored; a query that saw the generation change while it ran is
repeated, so it never combines the old version's exclusion with a store whose old chunks are
already gone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from core.filters import Condition, FieldExclude

# A query repeated this often without a stable generation keeps its last answer (ingest would
# have to commit a replacement during each of them, which takes longer than a query).
MAX_QUERY_ATTEMPTS = 10


@dataclass(frozen=True)
class HiddenDocuments:
    """The ids of documents that are not servable, as of one generation."""

    generation: int
    document_ids: frozenset[str]

    def conditions(self) -> list[Condition]:
        """The store condition that leaves them out (none when nothing is hidden)."""
        if not self.document_ids:
            return []
        return [FieldExclude("document_id", tuple(sorted(self.document_ids)))]


class ServingState(Protocol):
    """Where queries learn what is hidden (the registry)."""

    def hidden_documents(self) -> HiddenDocuments:
        """The documents not servable now, with the current generation."""

    def serving_generation(self) -> int:
        """The current generation; it changes whenever the set of servable documents does."""
