"""Browser sessions: an HTTP-only cookie, and CSRF protection for requests that change things.

`POST /v1/auth/session` signs in like `POST /v1/auth/token` but puts the token into the
`blok_session` cookie (HTTP-only, `SameSite=Lax`, `Secure` over HTTPS), so page scripts never
see it. A browser sends that cookie with every request, also with requests another site makes
it send; so a request authenticated by the cookie that changes something (POST, PUT, PATCH,
DELETE) must also carry the session's CSRF token, in the `X-CSRF-Token` header or, for a plain
HTML form, in the `csrf_token` field. The token is derived from the session secret, which only
the server and the browser's cookie jar hold, and is handed to the page in the sign-in response
and in the readable `blok_csrf` cookie. An `Origin` header naming another site is refused too.

API clients keep using `Authorization: Bearer` or `X-API-Key`; those are never sent by a
browser on its own, so they need no CSRF token, and when one is present the cookie is ignored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from urllib.parse import urlsplit

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from core.errors import ForbiddenError

SESSION_COOKIE = "blok_session"
CSRF_COOKIE = "blok_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORM_TYPE = "application/x-www-form-urlencoded"
CSRF_REFUSED = "This request needs the session's CSRF token (header X-CSRF-Token)."


def csrf_token_for(session_token: str) -> str:
    """The CSRF token of one session: a keyed hash of its secret, useless without the cookie."""
    return hmac.new(session_token.encode(), b"blok-csrf", hashlib.sha256).hexdigest()


def cookie_is_secure(request: Request, mode: str) -> bool:
    """Whether cookies get `Secure`: `always`, `never`, or `auto` (when the request is HTTPS)."""
    if mode == "auto":
        return request.url.scheme == "https"
    return mode == "always"


def signed_in_redirect(
    request: Request, target: str, token: str, *, lifetime: dt.timedelta, secure_mode: str
) -> RedirectResponse:
    """A 303 to `target` (a local path) that opens the browser session of `token`."""
    response = RedirectResponse(target, 303)
    set_session_cookies(
        response, request, token, max_age=int(lifetime.total_seconds()), secure_mode=secure_mode
    )
    return response


def set_session_cookies(
    response: Response, request: Request, token: str, *, max_age: int, secure_mode: str
) -> str:
    """Put the session and its CSRF token into cookies; returns the CSRF token."""
    csrf = csrf_token_for(token)
    secure = cookie_is_secure(request, secure_mode)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        path="/",
        secure=secure,
        httponly=True,
        samesite="lax",
    )
    response.set_cookie(
        CSRF_COOKIE, csrf, max_age=max_age, path="/", secure=secure, httponly=False, samesite="lax"
    )
    return csrf


def clear_session_cookies(response: Response) -> None:
    """Tell the browser to drop both cookies."""
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")


def check_origin(request: Request, allowed_origins: list[str]) -> None:
    """Refuse a request whose `Origin` is another site (absent or `null` is left to the token).

    Raises:
        ForbiddenError: the origin is neither this server nor a configured CORS origin.
    """
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return
    if origin in allowed_origins:
        return
    if urlsplit(origin).netloc.lower() != request.headers.get("host", "").lower():
        raise ForbiddenError("Requests from another site are refused.")


async def submitted_csrf_token(request: Request) -> str | None:
    """The CSRF token the request carries: its header, or the field of a URL-encoded form.

    Multipart forms (uploads) must use the header: their body is left for the route to read.
    """
    header = request.headers.get(CSRF_HEADER)
    if header is not None:
        return header
    if request.headers.get("content-type", "").split(";")[0].strip() == FORM_TYPE:
        # The parsed form is kept on the request, so a route's own form fields still read it.
        value = (await request.form()).get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


async def check_csrf(request: Request, session_token: str, allowed_origins: list[str]) -> None:
    """For a state-changing request authenticated by the session cookie: origin and token match.

    Raises:
        ForbiddenError: another site's origin, or a missing or wrong CSRF token.
    """
    if request.method in SAFE_METHODS:
        return
    check_origin(request, allowed_origins)
    submitted = await submitted_csrf_token(request)
    if submitted is None or not hmac.compare_digest(submitted, csrf_token_for(session_token)):
        raise ForbiddenError(CSRF_REFUSED)
