"""Route handlers: thin, they call the searcher or the service context and return schemas."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request

from core.access import Principal
from core.errors import StoreError
from pipelines.search import FilterInference
from search_service.context import ServiceContext
from search_service.deps import ContextDep, FeedbackLimiterDep, PrincipalDep
from search_service.file_responses import SourceFileResponse
from search_service.rate_limits import RateLimiter
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
def search_chunks(body: SearchRequest, context: ContextDep, caller: PrincipalDep) -> SearchResponse:
    """Hybrid search over the passages the caller may see, best first, with page and section.

    The search is written to the query log, without the caller.
    """
    outcome = context.searcher.search(
        body.query,
        principal=caller,
        top_k=body.top_k,
        filters=body.filters,
        facets=body.facets,
        inference=filter_inference(body.infer_filters),
    )
    context.log_search(body.query, body.filters, outcome)
    return SearchResponse.from_outcome(outcome)


@router.post("/v1/ask", response_model=AskResponse, responses=ERROR_RESPONSES)
def ask_question(body: AskRequest, context: ContextDep, caller: PrincipalDep) -> AskResponse:
    """A short answer of verbatim quotes with `[n]` citations, or an honest abstention.

    Only documents the caller may see are retrieved, quoted or cited. The question is written
    to the query log, without the caller; its id is the answer's `answer_id`.
    """
    outcome = context.searcher.ask(
        body.query,
        principal=caller,
        top_k=body.top_k,
        filters=body.filters,
        inference=filter_inference(body.infer_filters),
    )
    answer_id = context.log_ask(body.query, body.filters, outcome)
    return AskResponse.from_outcome(outcome, answer_id)


def filter_inference(enabled: bool) -> FilterInference:
    """Filter inference as a request asks for it, with today's date for "letztes Jahr"."""
    return FilterInference(enabled=enabled, today=dt.date.today())


@router.post(
    "/v1/feedback",
    response_model=FeedbackResponse,
    status_code=201,
    responses={**ERROR_RESPONSES, 404: {"model": ErrorResponse}, 429: {"model": ErrorResponse}},
)
def create_feedback(
    body: FeedbackRequest,
    request: Request,
    context: ContextDep,
    caller: PrincipalDep,
    limiter: FeedbackLimiterDep,
) -> FeedbackResponse:
    """Whether an answer helped (and why not); stored without who sent it.

    Anyone who may ask may give feedback, so it is limited per client address (and per account)
    to `BLOK_ACCESS__FEEDBACK_LIMIT_PER_HOUR` an hour; more gets 429 with `Retry-After`.
    """
    return record_feedback(body, request, context, caller, limiter)


def record_feedback(
    body: FeedbackRequest,
    request: Request,
    context: ServiceContext,
    caller: Principal,
    limiter: RateLimiter,
) -> FeedbackResponse:
    """Store feedback under the limiter (per client address and account); for API and web UI.

    Raises:
        TooManyRequestsError: more feedback than the limit allows from this address or account.
        NotFoundError: no answer has this id.
    """
    keys = [f"address:{request.client.host if request.client else 'unknown'}"]
    if caller.kind != "anonymous":
        keys.append(f"{caller.kind}:{caller.name}")
    limiter.check(keys)
    limiter.record(keys)
    feedback_id = context.query_log.add_feedback(
        body.answer_id, helpful=body.helpful, comment=body.comment
    )
    return FeedbackResponse(feedback_id=feedback_id, answer_id=body.answer_id, helpful=body.helpful)


@router.get(
    "/v1/documents/{document_id}/file",
    response_class=SourceFileResponse,
    responses={401: {"model": ErrorResponse}, 404: {"model": ErrorResponse}},
)
def get_document_file(
    document_id: str, context: ContextDep, caller: PrincipalDep
) -> SourceFileResponse:
    """The original file; citation URLs add `#page=N`, which PDF viewers open at that page.

    A document the caller may not see answers exactly like one that does not exist (404).
    """
    source = context.source_file(document_id, principal=caller)
    return SourceFileResponse(
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
def get_ready(context: ContextDep, caller: PrincipalDep) -> ReadyResponse:
    """Readiness: model loaded, store and registry open, the data directory writable.

    Answers with the counts of what the caller may see; 503 with the reason when not ready.
    """
    try:
        documents, chunks = context.totals(principal=caller)
    except StoreError:
        raise
    except Exception as exc:
        raise StoreError(f"The store does not answer: {exc}") from exc
    context.check_storage()
    return ReadyResponse(status="ready", documents=documents, chunks=chunks)
