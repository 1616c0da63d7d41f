"""Web sign-in through the identity provider: the redirect there and the return from it.

`GET /anmelden/dienstkonto` starts the code flow (`search_service.oidc`); the provider sends the
browser back to `GET /anmelden/dienstkonto/antwort` with `code` and `state`. After the checks,
the person gets their account (`core.accounts.AccountStore.sign_in_external`) and an ordinary
browser session: the same cookie and CSRF token as a password sign-in (`search_service.sessions`).
Without a configured provider both pages are the not-found page.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from core.errors import ForbiddenError, NotFoundError, ServiceError, UnauthorizedError
from core.identity import NO_ROLE as ROLELESS
from core.identity import identity_from_claims
from search_service.auth import sign_in_identity
from search_service.deps import ContextDep
from search_service.oidc import PENDING_COOKIE, PENDING_MAX_AGE, OidcProvider, PendingSignIn
from search_service.sessions import cookie_is_secure, signed_in_redirect
from search_service.ui_pages import Visitor, VisitorDep, render_page
from search_service.ui_routes import local_path, sign_in_options

ui_oidc_router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
CALLBACK_PATH = "/anmelden/dienstkonto/antwort"
PROVIDER_DOWN = "Der Identitätsanbieter ist nicht erreichbar. Bitte versuchen Sie es später erneut."
SIGN_IN_REFUSED = "Die Anmeldung mit dem Dienstkonto ist fehlgeschlagen. Bitte erneut versuchen."
ASK_OFFICE = "Bitte wenden Sie sich an die Geschäftsstelle."
NO_ROLE = f"Ihr Dienstkonto hat keine Rolle in diesem Dienst. {ASK_OFFICE}"
TAKEN = f"Dieses Konto ist gesperrt oder ein lokales Konto. {ASK_OFFICE}"


def provider_of(context_provider: OidcProvider | None) -> OidcProvider:
    """The configured provider.

    Raises:
        NotFoundError: none is configured (the pages do not exist then).
    """
    if context_provider is None:
        raise NotFoundError("No identity provider is configured.")
    return context_provider


def callback_url(request: Request) -> str:
    """The return address the provider must know (from the request's own scheme and host)."""
    return str(request.base_url).rstrip("/") + CALLBACK_PATH


@ui_oidc_router.get("/anmelden/dienstkonto")
async def start_provider_sign_in(
    request: Request, context: ContextDep, visitor: VisitorDep, weiter: str = "/"
) -> Response:
    """Send the browser to the identity provider (state, nonce and PKCE verifier in a cookie)."""
    provider = provider_of(context.identity_provider)
    pending = PendingSignIn.start(local_path(weiter))
    try:
        target = await provider.authorization_url(pending, callback_url(request))
    except ServiceError:
        return refused(request, visitor, PROVIDER_DOWN, 502)
    response = RedirectResponse(target, 303)
    response.set_cookie(
        PENDING_COOKIE,
        pending.cookie_value(),
        max_age=PENDING_MAX_AGE,
        path="/anmelden/dienstkonto",
        secure=cookie_is_secure(request, context.settings.access.session_cookie_secure),
        httponly=True,
        samesite="lax",
    )
    return response


@ui_oidc_router.get(CALLBACK_PATH)
async def finish_provider_sign_in(
    request: Request,
    context: ContextDep,
    visitor: VisitorDep,
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
) -> Response:
    """Check the provider's answer and open a browser session for the person it names."""
    provider = provider_of(context.identity_provider)
    # No origin check: the provider's redirect is a cross-site navigation; `state` binds it.
    pending = PendingSignIn.from_cookie(request.cookies.get(PENDING_COOKIE))
    if error or not code or pending is None or state != pending.state:
        return refused(request, visitor, SIGN_IN_REFUSED, 401)
    lifetime = dt.timedelta(minutes=context.settings.access.token_ttl_minutes)
    try:
        claims = await provider.redeem_code(code, pending, callback_url(request))
        identity = identity_from_claims(claims, context.settings.oidc)
        _, issued = sign_in_identity(
            context.accounts, identity, issuer=provider.issuer, lifetime=lifetime
        )
    except ServiceError:
        return refused(request, visitor, PROVIDER_DOWN, 502)
    except UnauthorizedError:
        return refused(request, visitor, SIGN_IN_REFUSED, 401)
    except ForbiddenError as exc:
        message = NO_ROLE if exc.message == ROLELESS else TAKEN
        return refused(request, visitor, message, 403)
    response = signed_in_redirect(
        request,
        local_path(pending.weiter),
        issued.token,
        lifetime=lifetime,
        secure_mode=context.settings.access.session_cookie_secure,
    )
    response.delete_cookie(PENDING_COOKIE, path="/anmelden/dienstkonto")
    return response


def refused(request: Request, visitor: Visitor, message: str, status: int) -> HTMLResponse:
    """The sign-in page with the reason the provider's sign-in did not work; the cookie goes."""
    response = render_page(
        request,
        "signin.html",
        visitor,
        status_code=status,
        weiter="/",
        provider_error=message,
        **sign_in_options(request),
    )
    response.delete_cookie(PENDING_COOKIE, path="/anmelden/dienstkonto")
    return response
