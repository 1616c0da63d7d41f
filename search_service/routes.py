"""Route handlers: thin, they call the engine and return schemas."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from core.errors import StoreError
from search_service.deps import EngineDep, FeedbackLimiterDep, PrincipalDep
from search_service.schemas import (
    AskRequest,
    AskResponse,
    ErrorResponse,
    FeedbackRequest,
    FeedbackResponse,
    HealthResponse,
    ReadyResponse,
    SearchRequest,
    SearchResponse,
)

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse},
    401: {"model": ErrorResponse},
    422: {"model": ErrorResponse},
    503: {"model": ErrorResponse},
}
router = APIRouter()


@router.post("/v1/search", response_model=SearchResponse, responses=ERROR_RESPONSES)
def search_chunks(body: SearchRequest, engine: EngineDep, caller: PrincipalDep) -> SearchResponse:
    """Hybrid search over the passages the caller may see, best first, with page and section.

    The search is written to the query log, without the caller.
    """
    return engine.search(body, principal=caller, log=True)


@router.post("/v1/ask", response_model=AskResponse, responses=ERROR_RESPONSES)
def ask_question(body: AskRequest, engine: EngineDep, caller: PrincipalDep) -> AskResponse:
    """A short answer of verbatim quotes with `[n]` citations, or an honest abstention.

    Only documents the caller may see are retrieved, quoted or cited. The question is written
    to the query log, without the caller; its id is the answer's `answer_id`.
    """
    return engine.ask(body, principal=caller, log=True)


@router.post(
    "/v1/feedback",
    response_model=FeedbackResponse,
    status_code=201,
    responses={**ERROR_RESPONSES, 404: {"model": ErrorResponse}, 429: {"model": ErrorResponse}},
)
def create_feedback(
    body: FeedbackRequest,
    request: Request,
    engine: EngineDep,
    caller: PrincipalDep,
    limiter: FeedbackLimiterDep,
) -> FeedbackResponse:
    """Whether an answer helped (and why not); stored without who sent it.

    Anyone who may ask may give feedback, so it is limited per client address (and per account)
    to `BLOK_ACCESS__FEEDBACK_LIMIT_PER_HOUR` an hour; more gets 429 with `Retry-After`.
    """
    keys = [f"address:{request.client.host if request.client else 'unknown'}"]
    if caller.kind != "anonymous":
        keys.append(f"{caller.kind}:{caller.name}")
    limiter.check(keys)
    limiter.record(keys)
    feedback_id = engine.query_log.add_feedback(
        body.answer_id, helpful=body.helpful, comment=body.comment
    )
    return FeedbackResponse(feedback_id=feedback_id, answer_id=body.answer_id, helpful=body.helpful)


@router.get(
    "/v1/documents/{document_id}/file",
    response_class=FileResponse,
    responses={401: {"model": ErrorResponse}, 404: {"model": ErrorResponse}},
)
def get_document_file(document_id: str, engine: EngineDep, caller: PrincipalDep) -> FileResponse:
    """The original file; citation URLs add `#page=N`, which PDF viewers open at that page.

    A document the caller may not see answers exactly like one that does not exist (404).
    """
    source = engine.source_file(document_id, principal=caller)
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


@router.get("/ready", response_model=ReadyResponse, responses=ERROR_RESPONSES)
def get_ready(engine: EngineDep, caller: PrincipalDep) -> ReadyResponse:
    """Readiness: model loaded, store and registry open; counts of what the caller may see."""
    try:
        documents, chunks = engine.totals(principal=caller)
    except StoreError:
        raise
    except Exception as exc:
        raise StoreError(f"The store does not answer: {exc}") from exc
    return ReadyResponse(status="ready", documents=documents, chunks=chunks)
