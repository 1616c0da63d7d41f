"""Dependencies of the route handlers: the service context, the caller (checked), the limiters."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, APIKeyHeader, HTTPBearer

from core.access import UNRESTRICTED_ROLES, Principal
from core.errors import ForbiddenError, UnauthorizedError
from search_service.auth import (
    bearer_token,
    provider_principal,
    resolve_principal,
    session_principal,
)
from search_service.context import ServiceContext
from search_service.oidc import looks_like_jwt
from search_service.rate_limits import RateLimiter
from search_service.sessions import SESSION_COOKIE, check_csrf

# Declared for the OpenAPI documentation; the headers are read and checked in `get_principal`.
bearer_scheme = HTTPBearer(
    auto_error=False,
    description="Token from `POST /v1/auth/token`, or the identity provider's access token.",
)
api_key_scheme = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="API key created by an admin."
)
session_scheme = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    description="Browser session from `POST /v1/auth/session`; changes need `X-CSRF-Token`.",
)


def get_context(request: Request) -> ServiceContext:
    """The service context opened at start-up."""
    context: ServiceContext = request.app.state.context
    return context


ContextDep = Annotated[ServiceContext, Depends(get_context)]


async def get_principal(
    request: Request,
    context: ContextDep,
    _bearer: Annotated[object, Depends(bearer_scheme)] = None,
    _api_key: Annotated[object, Depends(api_key_scheme)] = None,
    _session: Annotated[object, Depends(session_scheme)] = None,
) -> Principal:
    """The caller, read from the registry on every request (anonymous without credentials).

    A header credential wins over the session cookie; a request that changes something on the
    strength of the cookie alone must pass the CSRF check (`search_service.sessions`).
    """
    headers = request.headers
    authorization, api_key = headers.get("authorization"), headers.get("x-api-key")
    session = request.cookies.get(SESSION_COOKIE)
    if authorization is None and api_key is None and session:
        principal = session_principal(context.accounts, session)
        await check_csrf(request, session, context.settings.server.cors_origins)
        return principal
    provider = context.identity_provider
    if provider is not None and authorization is not None and api_key is None:
        token = bearer_token(authorization)
        if looks_like_jwt(token):
            return await provider_principal(
                context.accounts, provider, token, context.settings.oidc
            )
    return resolve_principal(context.accounts, authorization, api_key)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def get_admin(principal: PrincipalDep) -> Principal:
    """The caller, who must be an admin (anonymous: 401, other roles: 403)."""
    if principal.kind == "anonymous":
        raise UnauthorizedError("Sign in first.")
    if not principal.is_admin:
        raise ForbiddenError("Only an admin may do this.")
    return principal


AdminDep = Annotated[Principal, Depends(get_admin)]


def get_office(principal: PrincipalDep) -> Principal:
    """The caller, who must have the office or admin role (anonymous: 401, others: 403)."""
    if principal.kind == "anonymous":
        raise UnauthorizedError("Sign in first.")
    if not principal.roles & UNRESTRICTED_ROLES:
        raise ForbiddenError("Only the office or an admin may do this.")
    return principal


OfficeDep = Annotated[Principal, Depends(get_office)]


def get_signin_limiter(request: Request) -> RateLimiter:
    """The limiter of failed sign-ins, one per app."""
    limiter: RateLimiter = request.app.state.signin_limiter
    return limiter


SignInLimiterDep = Annotated[RateLimiter, Depends(get_signin_limiter)]


def get_feedback_limiter(request: Request) -> RateLimiter:
    """The limiter of feedback per client address, one per app."""
    limiter: RateLimiter = request.app.state.feedback_limiter
    return limiter


FeedbackLimiterDep = Annotated[RateLimiter, Depends(get_feedback_limiter)]
