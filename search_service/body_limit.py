"""Refuse a request body over the limit (413) before anything parses it.

A declared `Content-Length` over the limit is refused at once; a body without one (chunked) is
read up to the limit and refused as soon as it passes it, otherwise handed on as it came. Uploads
(`POST /v1/documents`) are streamed to disk under their own limits and pass untouched.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.errors import ErrorCode
from search_service.errors import error_response

UPLOAD_ROUTE = ("POST", "/v1/documents")


class BodyLimit:
    """ASGI middleware: bodies of at most `max_bytes`, except the upload route."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, or answer 413."""
        if scope["type"] != "http" or (scope["method"], scope["path"]) == UPLOAD_ROUTE:
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None:
            if declared.isdigit() and int(declared) > self.max_bytes:
                await self.refuse(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        messages = await self.read_within_limit(receive)
        if messages is None:
            await self.refuse(scope, receive, send)
            return
        await self.app(scope, replay(messages, receive), send)

    async def read_within_limit(self, receive: Receive) -> list[Message] | None:
        """The body's messages, or None once they pass the limit."""
        messages, size = [], 0
        while True:
            message = await receive()
            messages.append(message)
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                return None
            if message["type"] != "http.request" or not message.get("more_body", False):
                return messages

    async def refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        """413 in the API's error shape."""
        limit_kb = self.max_bytes // 1024
        message = f"The request body is larger than {limit_kb} KiB (BLOK_SERVER__MAX_BODY_KB)."
        status = int(ErrorCode.TOO_LARGE.http_status)
        await error_response(status, ErrorCode.TOO_LARGE.value, message)(scope, receive, send)


def replay(messages: list[Message], receive: Receive) -> Receive:
    """A `receive` that gives `messages` first, then what the client sends next."""
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed
