"""Failures of a back end, wrapped at the store's boundary as `StoreError`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from core.errors import BlokError, StoreError


@contextmanager
def as_store_error(action: str) -> Iterator[None]:
    """Turn any failure of the back end inside the block into `StoreError`, from the original.

    Qdrant Edge raises plain `Exception`; qdrant-client raises its own errors, httpx and gRPC
    errors (timeouts among them) and, in local mode, `ValueError` or `RuntimeError`. Keep the
    block to the call into the back end, so that a bug of ours is not reported as the store's.

    Args:
        action: what the store was asked to do, for the message ("search", "count").

    Raises:
        StoreError: the back end failed; its error is the cause.
    """
    try:
        yield
    except BlokError:
        raise
    except Exception as exc:
        raise StoreError(f"The store failed to answer a {action}: {exc}") from exc
