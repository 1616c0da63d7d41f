"""The original file of a document, with byte ranges checked in the API's own error shape.

Starlette's `FileResponse` answers a malformed or unsatisfiable `Range` header in plain text;
`SourceFileResponse` checks the header first and answers those in the JSON error shape.
"""

from __future__ import annotations

import os

from starlette.datastructures import Headers
from starlette.responses import FileResponse, MalformedRangeHeader, RangeNotSatisfiable
from starlette.types import Receive, Scope, Send

from core.errors import BlokError, InvalidRequestError, RangeNotSatisfiableError
from search_service.errors import error_response


def range_error(range_header: str, size: int) -> BlokError | None:
    """Why `range_header` cannot be served from a file of `size` bytes (None: it can)."""
    try:
        FileResponse._parse_range_header(range_header, size)
    except MalformedRangeHeader as exc:
        return InvalidRequestError(f"invalid Range header: {exc.content}")
    except RangeNotSatisfiable:
        return RangeNotSatisfiableError(f"the file has {size} bytes; the range lies beyond them")
    return None


class SourceFileResponse(FileResponse):
    """A `FileResponse` whose range errors are JSON errors (400 or 416)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the file, or the error of its `Range` header."""
        range_header = Headers(scope=scope).get("range")
        if range_header is not None:
            size = os.stat(self.path).st_size
            error = range_error(range_header, size)
            if error is not None:
                headers = {"Content-Range": f"bytes */{size}"}
                status = int(error.code.http_status)
                response = error_response(status, error.code.value, error.message, headers=headers)
                await response(scope, receive, send)
                return
        await super().__call__(scope, receive, send)
