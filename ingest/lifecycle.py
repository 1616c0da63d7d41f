"""Deleting documents: on request, when their files are gone, when a file's content changed.

A deleted document is not kept with a status: its chunks leave the store, its rows (document,
pages, paths) leave the registry, and its kept original under `DATA_DIR/sources/` is removed
unless another document still uses it. (The office's withdrawal keeps a document and only hides
it: `ingest.curation`, status `withdrawn`.)

Every deletion is recorded in the audit log (`core.persistence.audit`) with the document as it
was (`core.document_snapshot`): `document.delete` (on request, or its files are gone),
`document.replace` (its file now holds other content); the actor defaults to `cli:<os user>`.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

from core.audit_actions import AuditAction
from core.document_snapshot import DocumentSnapshot
from core.errors import NotFoundError
from core.persistence.audit import cli_actor
from core.persistence.registry import DocumentRecord, Registry
from core.storage import storage_error
from pipelines.stores import ChunkStore


def kept_sources(sources_dir: Path, sha256: str) -> list[Path]:
    """The kept original(s) of one content under `DATA_DIR/sources/`."""
    return sorted(sources_dir.glob(f"{sha256}*")) if sources_dir.is_dir() else []


def keep_source(sources_dir: Path, path: Path, sha256: str) -> None:
    """Keep a copy of the original file under `DATA_DIR/sources/` (once per content and suffix).

    Raises:
        StorageError: the sources folder cannot be written (no half-written copy is left).
    """
    target = sources_dir / f"{sha256}{path.suffix.lower()}"
    if target.exists():
        return
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            target.unlink(missing_ok=True)
        raise storage_error("sources", exc) from exc


def delete_document(
    store: ChunkStore,
    registry: Registry,
    sources_dir: Path,
    document_id: str,
    *,
    actor: str | None = None,
    action: AuditAction | None = None,
) -> DocumentRecord:
    """Delete one document's chunks, registry rows and kept original; returns its old record.

    The deletion is recorded in the audit log as `action` by `actor` (default `cli:<user>`);
    the default action is `document.replace` for a version whose status already says its
    successor replaced it, else `document.delete`.

    Raises:
        NotFoundError: no document has this id.
    """
    record = registry.documents.get(document_id)
    if record is None:
        raise NotFoundError(f"no document with id {document_id}")
    before = DocumentSnapshot.of(record, registry.documents.paths(document_id)).audit_state()
    store.delete_document(document_id)
    registry.documents.delete(document_id)
    if not registry.documents.has_content(record.sha256):
        for kept in kept_sources(sources_dir, record.sha256):
            kept.unlink(missing_ok=True)
    if action is None:
        replaced = record.status == "replaced"
        action = AuditAction.DOCUMENT_REPLACE if replaced else AuditAction.DOCUMENT_DELETE
    registry.audit.record(
        actor=actor or cli_actor(), action=action, target=document_id, before=before
    )
    return record


def source_exists(path: str) -> bool:
    """True when a recorded path still exists; an attachment (`mail.eml#name`) lives in its mail."""
    if Path(path).exists():
        return True
    container, hash_mark, _ = path.rpartition("#")
    return bool(hash_mark) and Path(container).is_file()


def is_under(path: str, folders: list[Path]) -> bool:
    """True when `path` lies inside one of `folders`."""
    candidate = Path(path)
    return any(candidate.is_relative_to(folder) for folder in folders)


def forget_path(
    store: ChunkStore,
    registry: Registry,
    sources_dir: Path,
    document_id: str,
    path: str,
    *,
    actor: str | None = None,
) -> bool:
    """Drop one path of a document; delete the document if none of its other paths exists.

    Returns True when the document was deleted (audited as `document.replace`).
    """
    left = registry.documents.remove_path(document_id, path)
    if any(source_exists(other) for other in left):
        return False
    delete_document(
        store, registry, sources_dir, document_id, actor=actor, action=AuditAction.DOCUMENT_REPLACE
    )
    return True


def replaced_versions(registry: Registry, source_path: str, document_id: str) -> tuple[str, ...]:
    """Indexed documents that new content `document_id` at `source_path` replaces.

    Those are the other documents found under this path none of whose other paths exists; an
    old content still found elsewhere keeps being served and only loses this path.
    """
    return tuple(
        old.document_id
        for old in registry.documents.find_by_path(source_path)
        if old.document_id != document_id
        and old.status == "indexed"
        and not any(
            source_exists(path)
            for path in registry.documents.paths(old.document_id)
            if path != source_path
        )
    )


def prune_missing(
    store: ChunkStore,
    registry: Registry,
    sources_dir: Path,
    folders: list[Path],
    *,
    actor: str | None = None,
) -> list[DocumentRecord]:
    """Delete documents whose files under `folders` are all gone; returns the deleted.

    Only paths inside `folders` are looked at. A document is deleted when every one of its
    paths lies inside them and none exists any more; a document with a path elsewhere keeps it
    and only forgets its gone paths inside `folders`. Deletions are audited as
    `document.delete`. Documents the office withdrew (status `withdrawn`) are left alone:
    the office restores or deletes them.
    """
    folders = [folder.resolve() for folder in folders]
    deleted: list[DocumentRecord] = []
    for record in registry.documents.list_documents(status="indexed"):
        paths = registry.documents.paths(record.document_id)
        gone = [p for p in paths if is_under(p, folders) and not source_exists(p)]
        if not gone:
            continue
        if len(gone) == len(paths):
            deleted.append(
                delete_document(
                    store,
                    registry,
                    sources_dir,
                    record.document_id,
                    actor=actor,
                    action=AuditAction.DOCUMENT_DELETE,
                )
            )
            continue
        for path in gone:
            registry.documents.remove_path(record.document_id, path)
    return deleted
