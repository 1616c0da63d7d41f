"""`GET /metrics`: the figures of `search_service.metrics` for Prometheus.

Office and admin only (an API key, a bearer token or a session; others 403, anonymous 401), and
gone when `BLOK_SERVER__METRICS` is false: the figures describe the whole collection, which
other callers do not see in full.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from search_service.deps import OfficeDep
from search_service.metrics import ServiceMetrics

metrics_router = APIRouter(include_in_schema=False)


@metrics_router.get("/metrics")
def show_metrics(request: Request, office: OfficeDep) -> Response:
    """Every figure in Prometheus' text format."""
    metrics: ServiceMetrics = request.app.state.metrics
    return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)
