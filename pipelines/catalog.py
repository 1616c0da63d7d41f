"""The documents a caller may see: the list, one document, one page, a document's successor.

A document is readable by a principal when three things hold: its status is one the principal's
role may read (`indexed`; the office also `withdrawn`), the registry's visibility admits the
principal (`core.access.may_see`), and the store holds at least one of its chunks under
the principal's access conditions. The last check is the same filter the search applies inside
the Qdrant query, so a document is never readable here while the store would hide it.

Everything that is not readable answers exactly like a document that does not exist: one
`NotFoundError` with one message, whatever the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.access import UNRESTRICTED_ROLES, Principal, access_conditions, may_see
from core.errors import NotFoundError
from core.filters import FieldMatch
from core.persistence.registry import DocumentRecord, Registry
from pipelines.stores.base import ChunkStore

NOT_FOUND_MESSAGE = "No such document."
READER_STATUSES = frozenset({"indexed"})
OFFICE_STATUSES = frozenset({"indexed", "withdrawn"})


def readable_statuses(principal: Principal) -> frozenset[str]:
    """Statuses the principal may read: the office and admins also see withdrawn documents."""
    return OFFICE_STATUSES if principal.roles & UNRESTRICTED_ROLES else READER_STATUSES


@dataclass(frozen=True)
class DocumentQuery:
    """Optional filters of the document list; each must hold."""

    kind: str | None = None
    ring: str | None = None
    year: int | None = None

    def admits(self, record: DocumentRecord) -> bool:
        """Whether the record matches every filter that is set."""
        metadata = record.typed_metadata
        return (
            (self.kind is None or metadata.kind == self.kind)
            and (self.ring is None or metadata.ring == self.ring)
            and (self.year is None or metadata.year == self.year)
        )


class DocumentCatalog:
    """Reads documents of the registry under a principal's access, checked in the store too."""

    def __init__(self, store: ChunkStore, registry: Registry) -> None:
        self.store = store
        self.registry = registry

    def readable(self, record: DocumentRecord, principal: Principal) -> bool:
        """Status, registry visibility and the store must all let the principal see it."""
        if record.status not in readable_statuses(principal):
            return False
        if not may_see(principal, record.typed_metadata.visibility):
            return False
        document = FieldMatch("document_id", (record.document_id,))
        return self.store.count([document, *access_conditions(principal)]) > 0

    def get(self, document_id: str, principal: Principal) -> DocumentRecord:
        """The document, if the principal may read it.

        Raises:
            NotFoundError: no such document, or the principal may not read it (same message).
        """
        record = self.registry.documents.get(document_id)
        if record is None or not self.readable(record, principal):
            raise NotFoundError(NOT_FOUND_MESSAGE)
        return record

    def list(
        self, principal: Principal, query: DocumentQuery | None = None
    ) -> list[DocumentRecord]:
        """Every document the principal may read that matches `query`, by title."""
        query = query or DocumentQuery()
        statuses = readable_statuses(principal)
        return [
            record
            for record in self.registry.documents.list_documents()
            if record.status in statuses
            and query.admits(record)
            and self.readable(record, principal)
        ]

    def page_text(
        self, document_id: str, page: int, principal: Principal
    ) -> tuple[DocumentRecord, str]:
        """A readable document and the stored text of one of its pages.

        Raises:
            NotFoundError: the document is not readable, or it has no such page.
        """
        record = self.get(document_id, principal)
        text = self.registry.documents.page_text(record.document_id, page) if page >= 1 else None
        if text is None:
            raise NotFoundError(f"The document has no page {page}; it has {record.page_count}.")
        return record, text

    def successor(self, document_id: str | None, principal: Principal) -> DocumentRecord | None:
        """The successor document, only if the principal may read it (else None: no leak)."""
        return self.readable_document(document_id, principal)

    def readable_document(
        self, document_id: str | None, principal: Principal
    ) -> DocumentRecord | None:
        """A document another one names (its successor, its mail), if the principal may read it.

        None otherwise, so a name of a document the principal may not read never reaches it.
        """
        if not document_id:
            return None
        record = self.registry.documents.get(document_id)
        return record if record is not None and self.readable(record, principal) else None
