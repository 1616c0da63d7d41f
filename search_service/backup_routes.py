"""`POST /v1/admin/backup`: a consistent backup of the running installation (admin only).

The embedded store admits one process, so a backup while the service runs is made by the service
itself (`ingest.backup`): into `DATA_DIR/backups/backup-<UTC time>/`, never into a folder the
request names. `blok backup DIR` calls this and moves the finished folder to `DIR`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from core.audit_actions import AuditAction
from core.persistence.audit import principal_actor
from ingest.backup import backup_name, create_backup
from search_service.deps import AdminDep, ContextDep
from search_service.schemas import ErrorResponse

BACKUP_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse} for status in (401, 403, 422, 503)
}
backup_router = APIRouter(responses=BACKUP_ERRORS)
BACKUPS_FOLDER = "backups"


class BackupResponse(BaseModel):
    """A backup the service wrote."""

    name: str = Field(description="Its folder under `DATA_DIR/backups/`.")
    created_at: str
    collection: str = Field(description="The store collection it holds.")
    documents: dict[str, int] = Field(description="Registry documents by status.")
    chunks: int
    files: int
    bytes: int


@backup_router.post("/v1/admin/backup", response_model=BackupResponse, status_code=201)
def back_up(context: ContextDep, admin: AdminDep) -> BackupResponse:
    """Back up registry, store, kept originals, uploads and glossary while searches go on.

    Writes to the store wait until the copy is done; see `ingest.backup` for why the copy is
    consistent.
    """
    name = backup_name()
    target = context.settings.data_dir / BACKUPS_FOLDER / name
    manifest = create_backup(context.settings, context.store, context.registry, target)
    context.audit.record(
        actor=principal_actor(admin),
        action=AuditAction.BACKUP_CREATE,
        target=name,
        after={"documents": manifest.documents, "chunks": manifest.chunks},
    )
    return BackupResponse(
        name=name,
        created_at=manifest.created_at,
        collection=manifest.collection,
        documents=manifest.documents,
        chunks=manifest.chunks,
        files=len(manifest.files),
        bytes=sum(entry.size for entry in manifest.files),
    )
