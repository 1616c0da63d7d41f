"""Route handlers of sign-in, the caller's identity and (admin only) API keys."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request, Response

from core.accounts import Account, IssuedToken
from core.errors import ForbiddenError, UnauthorizedError
from core.persistence.audit import principal_actor
from search_service.auth import (
    LOCAL_PASSWORDS_OFF,
    bearer_token,
    session_principal,
    sign_in,
    sign_out,
)
from search_service.auth_schemas import (
    ApiKeyCreatedResponse,
    ApiKeyListResponse,
    ApiKeyRequest,
    ApiKeyResponse,
    PrincipalResponse,
    SessionResponse,
    TokenRequest,
    TokenResponse,
)
from search_service.context import ServiceContext
from search_service.deps import AdminDep, ContextDep, PrincipalDep, SignInLimiterDep
from search_service.rate_limits import RateLimiter
from search_service.schemas import ErrorResponse
from search_service.sessions import (
    SESSION_COOKIE,
    check_csrf,
    check_origin,
    clear_session_cookies,
    set_session_cookies,
)

AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse} for status in (401, 403, 404, 422, 429)
}
auth_router = APIRouter(responses=AUTH_ERRORS)


@auth_router.post("/v1/auth/token", response_model=TokenResponse)
def create_token(
    body: TokenRequest, request: Request, context: ContextDep, limiter: SignInLimiterDep
) -> TokenResponse:
    """Sign in with name and password; returns a bearer token. Failures are rate limited."""
    _, issued, lifetime = sign_in_request(body, request, context, limiter, "token")
    return TokenResponse(
        access_token=issued.token,
        expires_at=issued.expires_at,
        expires_in=int(lifetime.total_seconds()),
    )


def sign_in_request(
    body: TokenRequest,
    request: Request,
    context: ServiceContext,
    limiter: RateLimiter,
    method: str,
) -> tuple[Account, IssuedToken, dt.timedelta]:
    """Sign the request's account in (`search_service.auth.sign_in`); with the token lifetime.

    Raises:
        ForbiddenError: local passwords are switched off (`BLOK_OIDC__LOCAL_PASSWORDS`).
    """
    if not context.settings.oidc.local_passwords:
        raise ForbiddenError(LOCAL_PASSWORDS_OFF)
    lifetime = dt.timedelta(minutes=context.settings.access.token_ttl_minutes)
    account, issued = sign_in(
        context.accounts,
        limiter,
        name=body.name,
        password=body.password,
        client_address=request.client.host if request.client else "unknown",
        lifetime=lifetime,
        method=method,
    )
    return account, issued, lifetime


@auth_router.delete("/v1/auth/token", status_code=204)
def delete_token(request: Request, context: ContextDep, caller: PrincipalDep) -> Response:
    """Sign out: the bearer token of this request stops working."""
    authorization = request.headers.get("authorization")
    if caller.kind == "account" and authorization is not None:
        sign_out(context.accounts, caller, bearer_token(authorization), "token")
    return Response(status_code=204)


@auth_router.post("/v1/auth/session", response_model=SessionResponse)
def create_session(
    body: TokenRequest,
    request: Request,
    response: Response,
    context: ContextDep,
    limiter: SignInLimiterDep,
) -> SessionResponse:
    """Sign in from the browser: the session goes into an HTTP-only cookie.

    The response carries the CSRF token that every state-changing request of this session must
    send as `X-CSRF-Token`. Sign-ins from another site's page are refused (`Origin` check).
    """
    settings = context.settings
    check_origin(request, settings.server.cors_origins)
    account, issued, lifetime = sign_in_request(body, request, context, limiter, "session")
    csrf = set_session_cookies(
        response,
        request,
        issued.token,
        max_age=int(lifetime.total_seconds()),
        secure_mode=settings.access.session_cookie_secure,
    )
    return SessionResponse(
        name=account.name,
        roles=list(account.roles),
        rings=list(account.rings),
        expires_at=issued.expires_at,
        csrf_token=csrf,
    )


@auth_router.delete("/v1/auth/session", status_code=204)
async def delete_session(request: Request, context: ContextDep) -> Response:
    """Sign out in the browser: the session ends and both cookies are cleared.

    A live session needs its CSRF token here too, so another site cannot sign the user out.
    """
    response = Response(status_code=204)
    session = request.cookies.get(SESSION_COOKIE)
    if session:
        try:
            caller = session_principal(context.accounts, session)
        except UnauthorizedError:
            clear_session_cookies(response)  # already over: only the cookies are left to drop
            return response
        await check_csrf(request, session, context.settings.server.cors_origins)
        sign_out(context.accounts, caller, session, "session")
    clear_session_cookies(response)
    return response


@auth_router.get("/v1/auth/me", response_model=PrincipalResponse)
def get_current_principal(caller: PrincipalDep) -> PrincipalResponse:
    """Who the server takes the caller to be: name, roles, rings (anonymous without a token)."""
    return PrincipalResponse.from_principal(caller)


@auth_router.post("/v1/api-keys", response_model=ApiKeyCreatedResponse, status_code=201)
def create_api_key(
    body: ApiKeyRequest, context: ContextDep, admin: AdminDep
) -> ApiKeyCreatedResponse:
    """Admin only: a new API key; its secret is in this response and nowhere else."""
    key, secret = context.accounts.create_api_key(
        body.name, roles=body.roles, rings=body.rings, actor=principal_actor(admin)
    )
    return ApiKeyCreatedResponse(**ApiKeyResponse.from_api_key(key).model_dump(), key=secret)


@auth_router.get("/v1/api-keys", response_model=ApiKeyListResponse)
def list_api_keys(context: ContextDep, admin: AdminDep) -> ApiKeyListResponse:
    """Admin only: every API key (without secrets)."""
    keys = [ApiKeyResponse.from_api_key(key) for key in context.accounts.api_keys()]
    return ApiKeyListResponse(api_keys=keys)


@auth_router.delete("/v1/api-keys/{key_id}", response_model=ApiKeyResponse)
def revoke_api_key(key_id: str, context: ContextDep, admin: AdminDep) -> ApiKeyResponse:
    """Admin only: revoke a key; it stops working at once."""
    revoked = context.accounts.revoke_api_key(key_id, actor=principal_actor(admin))
    return ApiKeyResponse.from_api_key(revoked)
