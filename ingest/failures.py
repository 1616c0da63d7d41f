"""How a failure while ingesting one file becomes its report entry, or stops the whole run."""

from __future__ import annotations

from core.errors import BlokError, ErrorCode, ModelUnavailableError, StoreError, find_domain_error
from ingest.report import ReportEntry

# Failures that concern the whole run, not one file.
BATCH_ERRORS = (ModelUnavailableError, StoreError)


def failure_entry(name: str, exc: Exception, max_seconds_per_file: float) -> ReportEntry:
    """The `skipped` entry of file `name` that failed with `exc`.

    Raises:
        ModelUnavailableError, StoreError: no file can be indexed; the run stops with the reason.
    """
    domain_error = find_domain_error(exc)
    if isinstance(domain_error, BATCH_ERRORS):
        raise domain_error from exc
    if domain_error is not None:
        code, reason = domain_error.code.value, domain_error.message
    else:
        code, reason = ErrorCode.INTERNAL.value, f"{type(exc).__name__}: {exc}"
    if code == ErrorCode.TIMEOUT.value:
        reason = f"{name} took longer than {max_seconds_per_file:g} s, the limit set by "
        reason += f"BLOK_INGEST__MAX_SECONDS_PER_FILE ({reason_tail(domain_error)})"
    return ReportEntry(name, "skipped", code=code, reason=reason)


def reason_tail(error: BlokError | None) -> str:
    """The message of a domain error, for a reason that adds its own beginning."""
    return error.message if error is not None else "stopped"
