"""Route handlers of the office's views: the audit log, the query log, the knowledge gaps.

All office or admin only (anonymous 401, readers 403). The query log and the gaps hold questions
and figures, never document content or who asked.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from core.errors import MAX_ID
from search_service.admin_schemas import (
    AuditEntryResponse,
    AuditLogResponse,
    GapsResponse,
    KnowledgeGapResponse,
    QueryLogEntryResponse,
    QueryLogResponse,
)
from search_service.deps import ContextDep, OfficeDep
from search_service.schemas import ErrorResponse

ADMIN_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse} for status in (401, 403, 422)
}
admin_router = APIRouter(responses=ADMIN_ERRORS)
Limit = Annotated[int, Query(ge=1, le=500, description="Most entries in the answer.")]
BeforeId = Annotated[
    int | None, Query(ge=1, le=MAX_ID, description="Only entries older than this id.")
]


def next_before_id(ids: list[int], limit: int) -> int | None:
    """The `before_id` of the next page, when this page is full."""
    return ids[-1] if len(ids) == limit else None


@admin_router.get("/v1/admin/audit", response_model=AuditLogResponse)
def list_audit_entries(
    context: ContextDep, office: OfficeDep, limit: Limit = 50, before_id: BeforeId = None
) -> AuditLogResponse:
    """Account, API key and document actions: who, when, what, before and after; newest first."""
    entries = context.audit.entries(limit=limit, before_id=before_id)
    return AuditLogResponse(
        entries=[AuditEntryResponse.from_entry(entry) for entry in entries],
        next_before_id=next_before_id([entry.id for entry in entries], limit),
    )


@admin_router.get("/v1/admin/queries", response_model=QueryLogResponse)
def list_queries(
    context: ContextDep, office: OfficeDep, limit: Limit = 50, before_id: BeforeId = None
) -> QueryLogResponse:
    """Searches and questions asked through the API, newest first (never who asked)."""
    entries = context.query_log.entries(limit=limit, before_id=before_id)
    return QueryLogResponse(
        entries=[QueryLogEntryResponse.from_entry(entry) for entry in entries],
        next_before_id=next_before_id([entry.id for entry in entries], limit),
    )


@admin_router.get("/v1/admin/gaps", response_model=GapsResponse)
def list_knowledge_gaps(context: ContextDep, office: OfficeDep, limit: Limit = 50) -> GapsResponse:
    """Questions that abstained, found nothing or only weak passages; most frequent first."""
    weak_score = context.settings.answer.weak_score
    gaps = context.query_log.gaps(weak_score=weak_score, limit=limit)
    return GapsResponse(
        gaps=[KnowledgeGapResponse.from_gap(gap) for gap in gaps], weak_score=weak_score
    )
