"""One JSON error shape for every failure: `{"error": {"code", "message", "details"}}`."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.errors import BlokError, ErrorCode, TooManyRequestsError
from search_service.schemas import ErrorDetail, ErrorInfo, ErrorResponse

logger = logging.getLogger(__name__)

STATUS_BY_CODE = {
    ErrorCode.INVALID_REQUEST: 400,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.TOO_MANY_REQUESTS: 429,
    ErrorCode.CONFLICT: 409,
    ErrorCode.INVALID_METADATA: 422,
    ErrorCode.CONVERSION_FAILED: 422,
    ErrorCode.UNSUPPORTED_FORMAT: 415,
    ErrorCode.EMPTY_DOCUMENT: 422,
    ErrorCode.TOO_LARGE: 413,
    ErrorCode.TIMEOUT: 422,
    ErrorCode.ENCRYPTED: 422,
    ErrorCode.OCR_UNAVAILABLE: 422,
    ErrorCode.MODEL_UNAVAILABLE: 503,
    ErrorCode.STORE_UNAVAILABLE: 503,
    ErrorCode.STORE_LOCKED: 503,
    ErrorCode.INTERNAL: 500,
}
HTTP_STATUS_CODES = {404: ErrorCode.NOT_FOUND, 405: ErrorCode.INVALID_REQUEST}


def error_response(
    status: int,
    code: str,
    message: str,
    details: list[ErrorDetail] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """The error body with its status."""
    body = ErrorResponse(error=ErrorInfo(code=code, message=message, details=details or []))
    return JSONResponse(status_code=status, content=body.model_dump(), headers=headers)


def error_headers(exc: BlokError) -> dict[str, str]:
    """`WWW-Authenticate` on 401, `Retry-After` on 429."""
    if exc.code == ErrorCode.UNAUTHORIZED:
        return {"WWW-Authenticate": "Bearer"}
    if isinstance(exc, TooManyRequestsError):
        return {"Retry-After": str(exc.retry_after_seconds)}
    return {}


async def handle_blok_error(request: Request, exc: Exception) -> JSONResponse:
    """Domain errors keep their code; internal ones are logged, never shown."""
    assert isinstance(exc, BlokError)
    status = STATUS_BY_CODE.get(exc.code, 500)
    details = [ErrorDetail(**detail) for detail in exc.details]
    return error_response(status, exc.code.value, exc.message, details, error_headers(exc))


async def handle_validation_error(request: Request, exc: Exception) -> JSONResponse:
    """Invalid JSON or fields: 422 with one detail per problem."""
    assert isinstance(exc, RequestValidationError)
    details = [
        ErrorDetail(
            field=".".join(str(part) for part in error["loc"] if part != "body") or None,
            message=str(error["msg"]),
        )
        for error in exc.errors()
    ]
    return error_response(422, ErrorCode.INVALID_REQUEST.value, "The request is invalid.", details)


async def handle_http_error(request: Request, exc: Exception) -> JSONResponse:
    """Unknown routes and wrong methods in the same shape."""
    assert isinstance(exc, StarletteHTTPException)
    code = HTTP_STATUS_CODES.get(exc.status_code, ErrorCode.INVALID_REQUEST)
    return error_response(exc.status_code, code.value, str(exc.detail))


async def handle_unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    """A bug: logged with its trace, answered without it."""
    logger.exception("unexpected error on %s %s", request.method, request.url.path)
    return error_response(500, ErrorCode.INTERNAL.value, "An internal error occurred.")


def install_error_handlers(app: FastAPI) -> None:
    """Register every handler on the app."""
    app.add_exception_handler(BlokError, handle_blok_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_error)
    app.add_exception_handler(Exception, handle_unexpected_error)
