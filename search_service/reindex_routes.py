"""Route handlers of the re-index: start one in the background, see how it goes.

Office or admin only (anonymous 401, readers 403). Searches keep working during a re-index;
writes to documents get 409 until it is done (`core.persistence.index_state`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from core.persistence.audit import principal_actor
from search_service.deps import OfficeDep
from search_service.reindex_worker import ReindexWorker
from search_service.schemas import ErrorResponse

REINDEX_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse} for status in (401, 403, 409, 422)
}
reindex_router = APIRouter(responses=REINDEX_ERRORS)


def get_reindex_worker(request: Request) -> ReindexWorker:
    """The app's re-index worker."""
    worker: ReindexWorker = request.app.state.reindex_worker
    return worker


ReindexWorkerDep = Annotated[ReindexWorker, Depends(get_reindex_worker)]


class ReindexRequest(BaseModel):
    """How to start a re-index."""

    allow_losses: bool = Field(
        default=False,
        description="Switch even when documents cannot be indexed again; they are deleted. "
        "Default: any failure aborts the switch and the old collection keeps serving.",
    )


class ReindexFailureResponse(BaseModel):
    """A document that could not be indexed again."""

    document_id: str
    title: str
    code: str
    reason: str


class ReindexResponse(BaseModel):
    """The last re-index of this service (or one another process runs) and what serves now."""

    state: Literal["idle", "running", "switched", "aborted", "failed"] = Field(
        description="`switched`: the new collection serves, the old one is gone; `aborted` or "
        "`failed`: the old collection still serves, nothing was lost."
    )
    active_collection: str = Field(description="The collection searches read now.")
    old_collection: str | None
    new_collection: str | None
    documents_total: int
    documents_done: int
    chunks: int = Field(description="Chunks written into the new collection so far.")
    failures: list[ReindexFailureResponse]
    withdrawn: list[str] = Field(description="Documents deleted because `allow_losses` was set.")
    allow_losses: bool
    actor: str | None
    started_at: str | None
    finished_at: str | None
    message: str | None


@reindex_router.post("/v1/admin/reindex", status_code=202, response_model=ReindexResponse)
def start_reindex(
    worker: ReindexWorkerDep, office: OfficeDep, body: ReindexRequest | None = None
) -> ReindexResponse:
    """Index every document again into a fresh collection; switch to it when all succeeded."""
    request = body or ReindexRequest()
    worker.start(actor=principal_actor(office), allow_losses=request.allow_losses)
    return ReindexResponse(**worker.status())


@reindex_router.get("/v1/admin/reindex", response_model=ReindexResponse)
def get_reindex(worker: ReindexWorkerDep, office: OfficeDep) -> ReindexResponse:
    """Progress of the running or the last re-index: documents done of total, failures."""
    return ReindexResponse(**worker.status())
