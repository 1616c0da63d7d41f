"""One JSON error shape for every failure: `{"error": {"code", "message", "details"}}`.

A domain error (`core.errors.BlokError`) is answered with the status of its code, also when
Haystack wrapped it; any other exception is a bug, answered 500. Every answer, the 500 too,
passes through the app's middleware and so carries its headers.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.errors import (
    BlokError,
    ErrorCode,
    TooManyRequestsError,
    find_domain_error,
    validation_message,
)
from search_service.request_log import current_request_id
from search_service.schemas import ErrorDetail, ErrorInfo, ErrorResponse

logger = logging.getLogger(__name__)

HTTP_STATUS_CODES = {404: ErrorCode.NOT_FOUND, 405: ErrorCode.INVALID_REQUEST}


def error_response(
    status: int,
    code: str,
    message: str,
    details: list[ErrorDetail] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """The error body with its status."""
    info = ErrorInfo(
        code=code, message=message, details=details or [], request_id=current_request_id()
    )
    body = ErrorResponse(error=info)
    return JSONResponse(status_code=status, content=body.model_dump(), headers=headers)


def error_headers(exc: BlokError) -> dict[str, str]:
    """`WWW-Authenticate` on 401, `Retry-After` on 429."""
    if exc.code == ErrorCode.UNAUTHORIZED:
        return {"WWW-Authenticate": "Bearer"}
    if isinstance(exc, TooManyRequestsError):
        return {"Retry-After": str(exc.retry_after_seconds)}
    return {}


def blok_error_response(request: Request, exc: BlokError) -> JSONResponse:
    """A domain error with the status of its code (`ErrorCode.http_status`).

    One of the service's own (5xx: store or model unavailable) is logged with its message.
    """
    details = [ErrorDetail(**detail) for detail in exc.details]
    status = exc.code.http_status
    if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        path = request.url.path
        logger.warning("%s on %s %s: %s", exc.code.value, request.method, path, exc.message)
    return error_response(status, exc.code.value, exc.message, details, error_headers(exc))


async def handle_blok_error(request: Request, exc: Exception) -> JSONResponse:
    """Domain errors keep their code and status."""
    assert isinstance(exc, BlokError)
    return blok_error_response(request, exc)


async def handle_validation_error(request: Request, exc: Exception) -> JSONResponse:
    """Invalid JSON or fields: 422 with one detail per problem."""
    assert isinstance(exc, RequestValidationError)
    details = [
        ErrorDetail(
            field=".".join(str(part) for part in error["loc"] if part != "body") or None,
            message=validation_message(error),
        )
        for error in exc.errors()
    ]
    return error_response(422, ErrorCode.INVALID_REQUEST.value, "The request is invalid.", details)


async def handle_http_error(request: Request, exc: Exception) -> JSONResponse:
    """Unknown routes and wrong methods in the same shape."""
    assert isinstance(exc, StarletteHTTPException)
    code = HTTP_STATUS_CODES.get(exc.status_code, ErrorCode.INVALID_REQUEST)
    return error_response(exc.status_code, code.value, str(exc.detail))


def unexpected_error_response(request: Request, exc: Exception) -> JSONResponse:
    """A domain error a framework wrapped keeps its answer; anything else is a bug.

    A bug is logged with its trace and answered 500 without it.
    """
    domain_error = find_domain_error(exc, causes_only=True)
    if domain_error is not None:
        return blok_error_response(request, domain_error)
    logger.exception("unexpected error on %s %s", request.method, request.url.path)
    return error_response(500, ErrorCode.INTERNAL.value, "An internal error occurred.")


async def handle_unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    """The last resort, for an error raised outside `UnexpectedErrorMiddleware`."""
    return unexpected_error_response(request, exc)


class UnexpectedErrorMiddleware:
    """Answers an exception no handler took, inside the other middleware.

    Starlette answers with the handler for `Exception` from its outermost layer, past every
    middleware of the app, so that 500 would lack their headers (security, CORS). This one is
    added first, so it runs inside them and its answer passes through them.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; answer an exception raised before the response started."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_and_track(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_and_track)
        except Exception as exc:
            if started:  # too late for another answer; the outermost layer logs it
                raise
            response = unexpected_error_response(Request(scope), exc)
            await response(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    """Register every handler on the app; call it before any middleware is added."""
    app.add_exception_handler(BlokError, handle_blok_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_error)
    app.add_exception_handler(Exception, handle_unexpected_error)
    app.add_middleware(UnexpectedErrorMiddleware)
