"""Domain errors of the service.

Every error the service raises on purpose derives from `BlokError` and carries an `ErrorCode`;
each code has its HTTP status (`ErrorCode.http_status`), which the one handler of the API
answers with, and the CLI prints the message. Third-party errors are wrapped at the boundary
(``raise StoreError(...) from exc``); `find_domain_error` finds one that a framework (Haystack)
wrapped in turn::

    BlokError
    ├── InvalidRequestError      wrong input from a caller (HTTP 400/422)
    │   └── GlossaryError        the glossary file is not valid (HTTP 422)
    ├── BackupError              a backup folder that is taken, incomplete or damaged (HTTP 422)
    ├── NotFoundError            no such thing, or not visible to the caller (HTTP 404)
    ├── RangeNotSatisfiableError a byte range beyond the end of a file (HTTP 416)
    ├── UnauthorizedError        missing, wrong, expired or revoked credentials (HTTP 401)
    ├── ForbiddenError           signed in, but the role does not allow the action (HTTP 403)
    ├── TooManyRequestsError     too many failed sign-ins; try again later (HTTP 429)
    ├── ConflictError            the thing exists already (HTTP 409)
    │   └── ReindexRunningError  a re-index is running; writes wait until it is done (HTTP 409)
    ├── MetadataError            a sidecar or manifest with an invalid field (rejects one file)
    ├── ConversionError          a file that cannot be turned into text (rejects one file)
    ├── FileTooLargeError        a file over the size limit (rejects one file, HTTP 413)
    ├── ProcessingTimeoutError   a file that took longer than the time limit (rejects one file)
    ├── ModelUnavailableError    the embedding model cannot be provisioned or loaded (HTTP 503)
    ├── StoreError               the vector store cannot be opened, fails or times out (HTTP 503)
    │   └── StoreLockedError     the embedded store is held by another process
    ├── StorageError             a folder of the data directory cannot be written (HTTP 503)
    └── ServiceError             `blok ingest` cannot reach the running service, or it failed (CLI)
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from http import HTTPStatus
from typing import Any

# The largest id the registry can hold (SQLite's INTEGER); a larger one names nothing.
MAX_ID = 2**63 - 1


class ErrorCode(StrEnum):
    """Stable machine-readable error codes, shared by the API and the ingest report."""

    INVALID_REQUEST = "invalid_request"
    NOT_FOUND = "not_found"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    TOO_MANY_REQUESTS = "too_many_requests"
    CONFLICT = "conflict"
    INVALID_METADATA = "invalid_metadata"
    CONVERSION_FAILED = "conversion_failed"
    UNSUPPORTED_FORMAT = "unsupported_format"
    EMPTY_DOCUMENT = "empty_document"
    TOO_LARGE = "too_large"
    TIMEOUT = "timeout"
    ENCRYPTED = "encrypted"
    OCR_UNAVAILABLE = "ocr_unavailable"
    MODEL_UNAVAILABLE = "model_unavailable"
    STORE_UNAVAILABLE = "store_unavailable"
    STORE_LOCKED = "store_locked"
    STORAGE_UNAVAILABLE = "storage_unavailable"
    INVALID_GLOSSARY = "invalid_glossary"
    INVALID_BACKUP = "invalid_backup"
    RANGE_NOT_SATISFIABLE = "range_not_satisfiable"
    SERVICE_UNAVAILABLE = "service_unavailable"
    INTERNAL = "internal_error"

    @property
    def http_status(self) -> HTTPStatus:
        """The status the API answers an error with this code with."""
        return HTTP_STATUS_BY_CODE[self]


HTTP_STATUS_BY_CODE: dict[ErrorCode, HTTPStatus] = {
    ErrorCode.INVALID_REQUEST: HTTPStatus.BAD_REQUEST,
    ErrorCode.NOT_FOUND: HTTPStatus.NOT_FOUND,
    ErrorCode.UNAUTHORIZED: HTTPStatus.UNAUTHORIZED,
    ErrorCode.FORBIDDEN: HTTPStatus.FORBIDDEN,
    ErrorCode.TOO_MANY_REQUESTS: HTTPStatus.TOO_MANY_REQUESTS,
    ErrorCode.CONFLICT: HTTPStatus.CONFLICT,
    ErrorCode.INVALID_METADATA: HTTPStatus.UNPROCESSABLE_ENTITY,
    ErrorCode.CONVERSION_FAILED: HTTPStatus.UNPROCESSABLE_ENTITY,
    ErrorCode.UNSUPPORTED_FORMAT: HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
    ErrorCode.EMPTY_DOCUMENT: HTTPStatus.UNPROCESSABLE_ENTITY,
    ErrorCode.TOO_LARGE: HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    ErrorCode.TIMEOUT: HTTPStatus.UNPROCESSABLE_ENTITY,
    ErrorCode.ENCRYPTED: HTTPStatus.UNPROCESSABLE_ENTITY,
    ErrorCode.OCR_UNAVAILABLE: HTTPStatus.UNPROCESSABLE_ENTITY,
    ErrorCode.MODEL_UNAVAILABLE: HTTPStatus.SERVICE_UNAVAILABLE,
    ErrorCode.STORE_UNAVAILABLE: HTTPStatus.SERVICE_UNAVAILABLE,
    ErrorCode.STORE_LOCKED: HTTPStatus.SERVICE_UNAVAILABLE,
    ErrorCode.STORAGE_UNAVAILABLE: HTTPStatus.SERVICE_UNAVAILABLE,
    ErrorCode.INVALID_GLOSSARY: HTTPStatus.UNPROCESSABLE_ENTITY,
    ErrorCode.INVALID_BACKUP: HTTPStatus.UNPROCESSABLE_ENTITY,
    ErrorCode.RANGE_NOT_SATISFIABLE: HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE,
    ErrorCode.SERVICE_UNAVAILABLE: HTTPStatus.BAD_GATEWAY,
    ErrorCode.INTERNAL: HTTPStatus.INTERNAL_SERVER_ERROR,
}


class BlokError(Exception):
    """Base of every error the service raises on purpose."""

    code: ErrorCode = ErrorCode.INTERNAL

    def __init__(self, message: str, *, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class InvalidRequestError(BlokError):
    """A caller sent something the service cannot work with."""

    code = ErrorCode.INVALID_REQUEST


class GlossaryError(InvalidRequestError):
    """The glossary file is not valid; the message names the file and the line."""

    code = ErrorCode.INVALID_GLOSSARY


class BackupError(BlokError):
    """A backup cannot be written there, or a backup is incomplete, damaged or of another format."""

    code = ErrorCode.INVALID_BACKUP


class NotFoundError(BlokError):
    """The thing asked for does not exist (or the caller may not see it)."""

    code = ErrorCode.NOT_FOUND


class RangeNotSatisfiableError(BlokError):
    """A `Range` header asks for bytes beyond the end of the file."""

    code = ErrorCode.RANGE_NOT_SATISFIABLE


class UnauthorizedError(BlokError):
    """Credentials are missing where needed, wrong, expired, revoked or of a disabled account."""

    code = ErrorCode.UNAUTHORIZED


class ForbiddenError(BlokError):
    """The caller is known but their role does not allow the action."""

    code = ErrorCode.FORBIDDEN


class TooManyRequestsError(BlokError):
    """Too many failed attempts in a short time; `retry_after_seconds` says when to try again."""

    code = ErrorCode.TOO_MANY_REQUESTS

    def __init__(self, message: str, *, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class ConflictError(BlokError):
    """The thing to be created exists already."""

    code = ErrorCode.CONFLICT


class ReindexRunningError(ConflictError):
    """A re-index is building a new collection; a write now would be lost, so it is refused."""


class MetadataError(BlokError):
    """Metadata of one file is invalid; the message names the field and the allowed values."""

    code = ErrorCode.INVALID_METADATA


class ConversionError(BlokError):
    """A file could not be turned into text."""

    code = ErrorCode.CONVERSION_FAILED

    def __init__(self, message: str, *, code: ErrorCode | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class FileTooLargeError(BlokError):
    """A file is larger than `BLOK_INGEST__MAX_FILE_MB`; it is rejected before it is read."""

    code = ErrorCode.TOO_LARGE


class ProcessingTimeoutError(BlokError):
    """Processing one file took longer than `BLOK_INGEST__MAX_SECONDS_PER_FILE`."""

    code = ErrorCode.TIMEOUT


class ModelUnavailableError(BlokError):
    """The embedding model cannot be provisioned or loaded."""

    code = ErrorCode.MODEL_UNAVAILABLE


class StoreError(BlokError):
    """The vector store failed."""

    code = ErrorCode.STORE_UNAVAILABLE


class StoreLockedError(StoreError):
    """The embedded store is open in another process (one process at a time)."""

    code = ErrorCode.STORE_LOCKED


class StorageError(BlokError):
    """A folder of the data directory (uploads, sources) cannot be written: unwritable or full.

    The message names the folder by its role, never by its path.
    """

    code = ErrorCode.STORAGE_UNAVAILABLE


class ServiceError(BlokError):
    """The running service cannot be reached, or answered with an error for the whole run."""

    code = ErrorCode.SERVICE_UNAVAILABLE


# Pydantic's prefix of the message of a `ValueError` raised in a validator.
VALUE_ERROR_PREFIX = "Value error, "


def validation_message(error: Mapping[str, Any], *, with_input: bool = False) -> str:
    """One problem of a pydantic `ValidationError` as a sentence, saying the input once.

    Pydantic's "Value error, " prefix is dropped. With `with_input`, ", got <input>" is added
    unless the message names the input already (the project's validators say "got ...").
    """
    message = str(error.get("msg", ""))
    message = message.removeprefix(VALUE_ERROR_PREFIX)
    if with_input and "input" in error and "got " not in message:
        message += f", got {error['input']!r}"
    return message


def find_domain_error(exc: BaseException, *, causes_only: bool = False) -> BlokError | None:
    """The `BlokError` in an exception's chain (Haystack wraps component errors), or None.

    Args:
        exc: the exception caught.
        causes_only: follow only ``raise ... from`` links (a wrapper's), not to an error during
            whose handling `exc` was raised (a bug in an ``except`` block stays a bug).
    """
    current: BaseException | None = exc
    while current is not None:
        if isinstance(current, BlokError):
            return current
        current = current.__cause__ if causes_only else current.__cause__ or current.__context__
    return None
