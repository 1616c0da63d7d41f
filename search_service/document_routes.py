"""Route handlers of documents: list, detail, page text (every caller) and curation (office).

Reads apply the caller's access in the registry and in the store (`pipelines.catalog`); a
document the caller may not see answers exactly like a missing one (404, same body). Curation
(`ingest.curation`) is for the office and admins (anonymous 401, readers 403) and is audited
with the caller as actor.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from core.access import UNRESTRICTED_ROLES, Principal
from core.document_snapshot import DocumentSnapshot
from core.errors import InvalidRequestError
from core.metadata import DocumentKind, normalize_ring
from core.persistence.audit import principal_actor
from core.persistence.registry import DocumentRecord
from pipelines.catalog import DocumentQuery
from search_service.context import ServiceContext
from search_service.deps import ContextDep, OfficeDep, PrincipalDep
from search_service.document_schemas import (
    DETAIL_FIELDS,
    DeleteResponse,
    DocumentDetail,
    DocumentEditRequest,
    DocumentListResponse,
    DocumentSummary,
    PageResponse,
    SupersedeRequest,
)
from search_service.schemas import ErrorResponse

DOCUMENT_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse} for status in (401, 403, 404, 409, 422, 503)
}
document_router = APIRouter(responses=DOCUMENT_ERRORS)
DocumentId = Annotated[str, Path(min_length=1, max_length=64)]


def ring_filter(value: str | None) -> str | None:
    """A ring filter in any accepted spelling, normalised (`VR 3` → `vr3`)."""
    try:
        return normalize_ring(value) if value else None
    except ValueError as exc:
        raise InvalidRequestError(
            str(exc), details=[{"field": "ring", "message": str(exc)}]
        ) from exc


def summary(context: ServiceContext, record: DocumentRecord, caller: Principal) -> DocumentSummary:
    """The list entry of a document; its successor is named only if the caller may see it."""
    snapshot = DocumentSnapshot.of(record, [])
    successor = context.catalog.successor(snapshot.superseded_by, caller)
    return DocumentSummary(**DocumentSummary.fields_of(snapshot, successor))


def detail(context: ServiceContext, record: DocumentRecord, caller: Principal) -> DocumentDetail:
    """The detail of a document; paths only for the office and admins."""
    office = bool(caller.roles & UNRESTRICTED_ROLES)
    paths = context.registry.documents.paths(record.document_id) if office else []
    snapshot = DocumentSnapshot.of(record, paths)
    successor = context.catalog.successor(snapshot.superseded_by, caller)
    return DocumentDetail(
        **DocumentSummary.fields_of(snapshot, successor),
        **snapshot.values(DETAIL_FIELDS),
        file_url=f"/v1/documents/{record.document_id}/file",
        paths=snapshot.paths if office else None,
    )


@document_router.get("/v1/documents", response_model=DocumentListResponse)
def list_documents(
    context: ContextDep,
    caller: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
    kind: Annotated[DocumentKind | None, Query(description="Only this kind.")] = None,
    ring: Annotated[str | None, Query(description="Only this ring (`vr3`, `VR 3`).")] = None,
    year: Annotated[int | None, Query(ge=1990, le=2100, description="Only this year.")] = None,
) -> DocumentListResponse:
    """The documents the caller may see, by title; the office also sees withdrawn ones."""
    query = DocumentQuery(kind=kind.value if kind else None, ring=ring_filter(ring), year=year)
    records = context.catalog.list(caller, query)
    page = records[offset : offset + limit]
    return DocumentListResponse(
        documents=[summary(context, record, caller) for record in page],
        total=len(records),
        limit=limit,
        offset=offset,
    )


@document_router.get("/v1/documents/{document_id}", response_model=DocumentDetail)
def get_document(
    document_id: DocumentId, context: ContextDep, caller: PrincipalDep
) -> DocumentDetail:
    """One document's metadata; 404 when it does not exist or the caller may not see it."""
    return detail(context, context.catalog.get(document_id, caller), caller)


@document_router.get("/v1/documents/{document_id}/pages/{page}", response_model=PageResponse)
def get_document_page(
    document_id: DocumentId,
    page: Annotated[int, Path(ge=1, le=100_000)],
    context: ContextDep,
    caller: PrincipalDep,
) -> PageResponse:
    """The stored text of one page (1-based); 404 beyond the last page."""
    record, text = context.catalog.page_text(document_id, page, caller)
    return PageResponse(document_id=document_id, page=page, page_count=record.page_count, text=text)


@document_router.patch("/v1/documents/{document_id}", response_model=DocumentDetail)
def edit_document(
    document_id: DocumentId, body: DocumentEditRequest, context: ContextDep, office: OfficeDep
) -> DocumentDetail:
    """Change metadata; the chunks' payload changes at once, nothing is re-embedded."""
    record = context.curator.edit(document_id, body.changes(), actor=principal_actor(office))
    return detail(context, record, office)


@document_router.post("/v1/documents/{document_id}/withdraw", response_model=DocumentDetail)
def withdraw_document(
    document_id: DocumentId, context: ContextDep, office: OfficeDep
) -> DocumentDetail:
    """Hide the document from every read path of every caller but the office; nothing deleted."""
    record = context.curator.withdraw(document_id, actor=principal_actor(office))
    return detail(context, record, office)


@document_router.post("/v1/documents/{document_id}/restore", response_model=DocumentDetail)
def restore_document(
    document_id: DocumentId, context: ContextDep, office: OfficeDep
) -> DocumentDetail:
    """Serve a withdrawn document again."""
    record = context.curator.restore(document_id, actor=principal_actor(office))
    return detail(context, record, office)


@document_router.delete("/v1/documents/{document_id}", response_model=DeleteResponse)
def delete_document(
    document_id: DocumentId, context: ContextDep, office: OfficeDep
) -> DeleteResponse:
    """Delete chunks, registry rows and kept file; the answer counts the chunks left (0)."""
    record, left = context.curator.delete(document_id, actor=principal_actor(office))
    return DeleteResponse(
        document_id=record.document_id,
        title=record.title,
        chunks_removed=record.chunk_count,
        chunks_left=left,
    )


@document_router.post("/v1/documents/{document_id}/supersede", response_model=DocumentDetail)
def supersede_document(
    document_id: DocumentId, body: SupersedeRequest, context: ContextDep, office: OfficeDep
) -> DocumentDetail:
    """Mark the document as superseded by `successor_id`: it ranks below it and says so."""
    actor = principal_actor(office)
    record = context.curator.supersede(document_id, body.successor_id, actor=actor)
    return detail(context, record, office)


@document_router.delete("/v1/documents/{document_id}/supersede", response_model=DocumentDetail)
def unsupersede_document(
    document_id: DocumentId, context: ContextDep, office: OfficeDep
) -> DocumentDetail:
    """Undo the mark: the document ranks on its own merits again."""
    record = context.curator.unsupersede(document_id, actor=principal_actor(office))
    return detail(context, record, office)
