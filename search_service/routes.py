"""Route handlers: thin, they call the engine and return schemas."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse

from pipelines.errors import StoreError
from search_service.engine import SearchEngine
from search_service.schemas import (
    AskRequest,
    AskResponse,
    ErrorResponse,
    HealthResponse,
    ReadyResponse,
    SearchRequest,
    SearchResponse,
)

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse},
    422: {"model": ErrorResponse},
    503: {"model": ErrorResponse},
}


def get_engine(request: Request) -> SearchEngine:
    """The engine opened at start-up."""
    engine: SearchEngine = request.app.state.engine
    return engine


EngineDep = Annotated[SearchEngine, Depends(get_engine)]
router = APIRouter()


@router.post("/v1/search", response_model=SearchResponse, responses=ERROR_RESPONSES)
def search_chunks(body: SearchRequest, engine: EngineDep) -> SearchResponse:
    """Hybrid search over the passages, best first, with document, page and section."""
    return engine.search(body)


@router.post("/v1/ask", response_model=AskResponse, responses=ERROR_RESPONSES)
def ask_question(body: AskRequest, engine: EngineDep) -> AskResponse:
    """A short answer of verbatim quotes with `[n]` citations, or an honest abstention."""
    return engine.ask(body)


@router.get(
    "/v1/documents/{document_id}/file",
    response_class=FileResponse,
    responses={404: {"model": ErrorResponse}},
)
def get_document_file(document_id: str, engine: EngineDep) -> FileResponse:
    """The original file; citation URLs add `#page=N`, which PDF viewers open at that page."""
    source = engine.source_file(document_id)
    return FileResponse(
        source.path,
        media_type=source.media_type,
        filename=source.name,
        content_disposition_type="inline",
    )


@router.get("/health", response_model=HealthResponse)
def get_health() -> HealthResponse:
    """Liveness: the process answers."""
    return HealthResponse(status="ok")


@router.get("/ready", response_model=ReadyResponse, responses={503: {"model": ErrorResponse}})
def get_ready(engine: EngineDep) -> ReadyResponse:
    """Readiness: model loaded, store and registry open."""
    try:
        chunks = engine.store.count()
    except Exception as exc:
        raise StoreError(f"The store does not answer: {exc}") from exc
    documents = engine.registry.totals()["documents"]
    return ReadyResponse(status="ready", documents=documents, chunks=chunks)
