"""The FastAPI application: `create_app(settings)`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from core.errors import StorageError
from core.persistence.registry import Registry
from core.settings import Settings
from search_service.admin_routes import admin_router
from search_service.auth_routes import auth_router
from search_service.backup_routes import backup_router
from search_service.body_limit import BodyLimit
from search_service.context import build_service_context
from search_service.docs_routes import docs_router
from search_service.document_routes import document_router
from search_service.errors import install_error_handlers
from search_service.ingest_jobs import IngestJobs, hold_store
from search_service.metrics import ServiceMetrics
from search_service.metrics_routes import metrics_router
from search_service.rate_limits import RateLimiter
from search_service.reindex_routes import reindex_router
from search_service.reindex_worker import ReindexWorker
from search_service.request_log import RequestLog
from search_service.routes import router
from search_service.schemas import ErrorResponse
from search_service.service_file import remove_service_file, write_service_file
from search_service.ui_office import OfficeRefusedError, show_office_refused
from search_service.ui_office_routes import ui_office_router
from search_service.ui_oidc_routes import ui_oidc_router
from search_service.ui_page_view import ui_page_view_router
from search_service.ui_pages import STATIC_DIR
from search_service.ui_rings import ui_ring_router
from search_service.ui_routes import FormRefusedError, show_form_refused, ui_router
from search_service.upload_routes import upload_router

logger = logging.getLogger(__name__)
# How long shutdown waits for the file being ingested before abandoning it.
SHUTDOWN_WAIT_SECONDS = 30.0

# Pages load scripts, styles, fonts and images only from this server; no inline script runs.
# (KERN's icons are data: URIs in its CSS.) A route may set a stricter or its own policy.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "object-src 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


async def add_security_headers(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Headers against sniffing, framing, script injection and referrer leaks.

    API answers and pages (which may show what only the signed-in caller sees) are not cached.
    """
    response = await call_next(request)
    response.headers.update(SECURITY_HEADERS)
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    html = response.headers.get("content-type", "").startswith("text/html")
    if html or request.url.path.startswith("/v1/"):
        response.headers["Cache-Control"] = "no-store"
    return response


# Answers any operation may give: a body that cannot be parsed (400), one over the limit (413),
# invalid fields (422); the routers add their own.
COMMON_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse} for status in (400, 413, 422)
}
ROUTERS = (
    router,
    auth_router,
    admin_router,
    document_router,
    reindex_router,
    backup_router,
    upload_router,
    ui_router,
    ui_oidc_router,
    ui_page_view_router,
    ui_ring_router,
    ui_office_router,
    docs_router,
)


def rate_limiters(settings: Settings, registry: Registry) -> tuple[RateLimiter, RateLimiter]:
    """The failed sign-in and the feedback limiter of one app (`search_service.rate_limits`)."""
    signin = RateLimiter(
        registry.rate_events,
        bucket="signin",
        limit=settings.access.failed_signin_limit,
        window_seconds=settings.access.failed_signin_window_seconds,
        message="Too many failed sign-ins. Try again later.",
    )
    feedback = RateLimiter(
        registry.rate_events,
        bucket="feedback",
        limit=settings.access.feedback_limit_per_hour,
        window_seconds=3600,
        message="Too much feedback from this address. Try again later.",
    )
    return signin, feedback


def create_app(settings: Settings, *, service_url: str | None = None) -> FastAPI:
    """Build the app; the service context and the ingest worker run from start-up to shutdown.

    With `service_url` (`blok serve`), `DATA_DIR/service.json` tells `blok ingest` where the
    running service is, so it hands its files over instead of opening the store.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        context = build_service_context(settings, metrics=app.state.metrics)
        app.state.context = context
        app.state.signin_limiter, app.state.feedback_limiter = rate_limiters(
            settings, context.registry
        )
        try:
            context.check_storage()
        except StorageError as exc:  # served, but `/ready` says why it is not ready
            logger.warning("not ready: %s", exc.message)
        context.retention.prune_if_due()
        hold_store(context)
        jobs = IngestJobs(settings, context.store, context.registry)
        if settings.ingest.job_runner == "service":
            jobs.start()  # else `blok worker` processes run the jobs this service queues
        app.state.ingest_jobs = jobs
        if service_url:
            write_service_file(settings.service_file, service_url)
        try:
            app.state.reindex_worker = ReindexWorker(app.state.context)
            yield
            app.state.reindex_worker.stop()  # aborts a running re-index; the old one serves
        finally:
            if service_url:
                remove_service_file(settings.service_file)
            if not jobs.stop(SHUTDOWN_WAIT_SECONDS):
                logger.warning("abandoned the file being ingested; its job is taken up again")
            context.close()

    app = FastAPI(
        title="Benchlearning-Wissenssuche",
        description="Search the knowledge of the Benchlearning of municipal job centres.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        responses=COMMON_ERRORS,
    )
    app.state.settings = settings
    app.state.metrics = ServiceMetrics()
    install_error_handlers(app)  # first, so its 500s pass through the middleware below
    app.add_exception_handler(FormRefusedError, show_form_refused)
    app.add_exception_handler(OfficeRefusedError, show_office_refused)
    app.add_middleware(BodyLimit, max_bytes=settings.server.max_body_bytes)  # inside the headers
    app.middleware("http")(add_security_headers)
    if settings.server.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.server.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-API-Key"],
            allow_credentials=False,
        )
    app.add_middleware(  # sees every status; logs and counts each request
        RequestLog,
        log_query_strings=settings.logs.log_query_strings,
        metrics=app.state.metrics,
    )
    proxies = settings.server.forwarded_allow_ips
    if proxies:  # outermost: every layer, the request log too, sees the client's address
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=proxies)
    for routes in ROUTERS:
        app.include_router(routes)
    if settings.server.metrics:
        app.include_router(metrics_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
