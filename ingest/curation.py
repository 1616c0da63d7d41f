"""Curation by the office: edit metadata, withdraw and restore, delete, mark as superseded.

Every action changes the registry and, where the chunks carry the changed value, the payload of
the document's chunks in the store (`ChunkStore.set_payload`): nothing is re-embedded, so the
vectors stay as they were. The title is embedded with every chunk (dense and BM25, see
`pipelines.indexing.EMBEDDED_META_FIELDS`); an edited title changes what results display and
what the list shows, not the vectors: they keep reflecting the title at ingest time.

The store is changed before the registry. Searches filter on the store's payload alone, so a
narrowed visibility holds for the next query as soon as the store has it; reads of one document
check both (`pipelines.catalog`).

Every action is recorded in the audit log with its actor, the document before and after
(`core.document_snapshot`):
`document.edit`, `document.withdraw`, `document.restore`, `document.delete`,
`document.supersede`, `document.unsupersede`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from core.audit_actions import AuditAction
from core.document_snapshot import DocumentSnapshot
from core.errors import (
    ConflictError,
    MetadataError,
    NotFoundError,
    StoreError,
    validation_message,
)
from core.filters import FieldMatch
from core.metadata import DocumentMetadata
from core.persistence.audit import AuditLog
from core.persistence.registry import DocumentRecord, Registry
from ingest.lifecycle import delete_document
from pipelines.catalog import NOT_FOUND_MESSAGE
from pipelines.stores.base import ChunkStore

CURATED_FIELDS = ("title", "kind", "ring", "date", "job_centre", "topics", "visibility")
SUCCESSOR_FIELD = "superseded_by"
CURATABLE_STATUSES = frozenset({"indexed", "withdrawn"})


def validation_details(exc: ValidationError) -> list[dict[str, Any]]:
    """One `{field, message}` per problem, as the API shows them."""
    return [
        {
            "field": ".".join(str(part) for part in error["loc"]) or None,
            "message": validation_message(error),
        }
        for error in exc.errors()
    ]


def curatable(registry: Registry, document_id: str) -> DocumentRecord:
    """The document, if it is indexed or withdrawn (others are being written or replaced).

    Raises:
        NotFoundError: no such document (the same message as every read path).
    """
    record = registry.documents.get(document_id)
    if record is None or record.status not in CURATABLE_STATUSES:
        raise NotFoundError(NOT_FOUND_MESSAGE)
    return record


def record_change(
    registry: Registry, audit: AuditLog, actor: str, action: AuditAction, before: DocumentRecord
) -> DocumentRecord:
    """Audit a change of one document with its state before and after; returns after."""
    after = registry.documents.get(before.document_id)
    assert after is not None
    paths = registry.documents.paths(before.document_id)
    audit.record(
        actor=actor,
        action=action,
        target=before.document_id,
        before=DocumentSnapshot.of(before, paths).audit_state(),
        after=DocumentSnapshot.of(after, paths).audit_state(),
    )
    return after


def set_withdrawn(
    registry: Registry, audit: AuditLog, document_id: str, withdrawn: bool, *, actor: str
) -> DocumentRecord:
    """Withdraw (hide from every read path, keep chunks and file) or restore a document.

    Only the registry changes (status and serving generation), so this works from the command
    line while the service holds the embedded store. Audited as `document.withdraw` or
    `document.restore`.

    Raises:
        NotFoundError: no such document.
        ConflictError: it is withdrawn already (withdraw) or not withdrawn (restore).
    """
    record = curatable(registry, document_id)
    old, new = ("indexed", "withdrawn") if withdrawn else ("withdrawn", "indexed")
    if not registry.documents.change_status(document_id, old, new):
        state = "withdrawn already" if withdrawn else "not withdrawn"
        raise ConflictError(f"document {document_id} is {state}")
    action = AuditAction.DOCUMENT_WITHDRAW if withdrawn else AuditAction.DOCUMENT_RESTORE
    return record_change(registry, audit, actor, action, record)


class DocumentCurator:
    """The office's changes to documents, on one store and registry."""

    def __init__(
        self, store: ChunkStore, registry: Registry, sources_dir: Path, audit: AuditLog
    ) -> None:
        self.store = store
        self.registry = registry
        self.sources_dir = sources_dir
        self.audit = audit

    def _curatable(self, document_id: str) -> DocumentRecord:
        return curatable(self.registry, document_id)

    def _record(self, actor: str, action: AuditAction, before: DocumentRecord) -> DocumentRecord:
        return record_change(self.registry, self.audit, actor, action, before)

    def edit(self, document_id: str, changes: dict[str, Any], *, actor: str) -> DocumentRecord:
        """Change metadata fields (any of `CURATED_FIELDS`); edited fields are no longer inferred.

        Raises:
            NotFoundError: no such document.
            MetadataError: a field is unknown or its value is not allowed (names the field).
        """
        self.registry.index_state.refuse_during_reindex()
        record = self._curatable(document_id)
        unknown = sorted(set(changes) - set(CURATED_FIELDS))
        if unknown:
            raise MetadataError(
                f"fields {unknown} cannot be edited; allowed: {', '.join(CURATED_FIELDS)}"
            )
        if "title" in changes and not str(changes["title"] or "").strip():
            raise MetadataError(
                "title must not be empty",
                details=[{"field": "title", "message": "must not be empty"}],
            )
        current = {**record.typed_metadata.document_fields(), "title": record.title}
        try:
            metadata = DocumentMetadata.model_validate({**current, **changes})
        except ValidationError as exc:
            raise MetadataError(
                "invalid metadata: " + "; ".join(validation_message(e) for e in exc.errors()),
                details=validation_details(exc),
            ) from exc
        title = str(metadata.title).strip()
        self.store.set_payload(document_id, {"title": title, **metadata.payload_fields()})
        inferred = [name for name in record.typed_metadata.inferred if name not in changes]
        updated = {
            **record.metadata,
            **metadata.model_dump(mode="json"),
            "title": title,
            "inferred": inferred,
        }
        self.registry.documents.update_metadata(document_id, title, updated)
        return self._record(actor, AuditAction.DOCUMENT_EDIT, record)

    def withdraw(self, document_id: str, *, actor: str) -> DocumentRecord:
        """Hide an indexed document from every read path (see `set_withdrawn`)."""
        self.registry.index_state.refuse_during_reindex()
        return set_withdrawn(self.registry, self.audit, document_id, True, actor=actor)

    def restore(self, document_id: str, *, actor: str) -> DocumentRecord:
        """Serve a withdrawn document again (see `set_withdrawn`)."""
        self.registry.index_state.refuse_during_reindex()
        return set_withdrawn(self.registry, self.audit, document_id, False, actor=actor)

    def delete(self, document_id: str, *, actor: str) -> tuple[DocumentRecord, int]:
        """Delete the chunks, registry rows and kept file; returns the old record, chunks left.

        Documents it succeeded lose their `superseded_by`. The store is counted afterwards;
        a chunk left behind is a store failure, not a success.

        Raises:
            NotFoundError: no such document.
            StoreError: chunks of the document are still in the store.
        """
        self.registry.index_state.refuse_during_reindex()
        self._curatable(document_id)
        record = delete_document(
            self.store,
            self.registry,
            self.sources_dir,
            document_id,
            actor=actor,
            action=AuditAction.DOCUMENT_DELETE,
        )
        left = self.store.count([FieldMatch("document_id", (document_id,))])
        if left:
            raise StoreError(f"{left} chunks of document {document_id} are still in the store")
        for predecessor in self.registry.documents.list_documents():
            if predecessor.typed_metadata.superseded_by == document_id:
                self._set_successor(predecessor, None, actor=actor)
        return record, left

    def supersede(self, document_id: str, successor_id: str, *, actor: str) -> DocumentRecord:
        """Mark a document as superseded by another one (it then ranks below its successor).

        Raises:
            NotFoundError: no such document.
            MetadataError: no indexed document has the successor's id.
            ConflictError: the document would supersede itself, or the chain would be a cycle.
        """
        self.registry.index_state.refuse_during_reindex()
        record = self._curatable(document_id)
        if successor_id == document_id:
            raise ConflictError("a document cannot supersede itself")
        successor = self.registry.documents.get(successor_id)
        if successor is None or successor.status != "indexed":
            message = f"no indexed document has the id {successor_id!r}"
            raise MetadataError(message, details=[{"field": "successor_id", "message": message}])
        seen = {document_id}
        current: DocumentRecord | None = successor
        while current is not None:
            if current.document_id in seen:
                raise ConflictError(
                    f"{successor_id} is already (indirectly) superseded by {document_id}; "
                    "a chain of successors must not be a cycle"
                )
            seen.add(current.document_id)
            following = current.typed_metadata.superseded_by
            current = self.registry.documents.get(following) if following else None
        return self._set_successor(record, successor_id, actor=actor)

    def unsupersede(self, document_id: str, *, actor: str) -> DocumentRecord:
        """Undo `supersede`.

        Raises:
            NotFoundError: no such document.
            ConflictError: it is not marked as superseded.
        """
        self.registry.index_state.refuse_during_reindex()
        record = self._curatable(document_id)
        if not record.typed_metadata.superseded_by:
            raise ConflictError(f"document {document_id} is not marked as superseded")
        return self._set_successor(record, None, actor=actor)

    def _set_successor(
        self, record: DocumentRecord, successor_id: str | None, *, actor: str
    ) -> DocumentRecord:
        self.store.set_payload(record.document_id, {SUCCESSOR_FIELD: successor_id})
        metadata = {**record.metadata, SUCCESSOR_FIELD: successor_id}
        self.registry.documents.update_metadata(record.document_id, record.title, metadata)
        action = (
            AuditAction.DOCUMENT_SUPERSEDE if successor_id else AuditAction.DOCUMENT_UNSUPERSEDE
        )
        return self._record(actor, action, record)
