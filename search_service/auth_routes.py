"""Route handlers of sign-in, the caller's identity and (admin only) API keys."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request, Response

from pipelines.audit import principal_actor
from search_service.auth import bearer_token, sign_in
from search_service.auth_schemas import (
    ApiKeyCreatedResponse,
    ApiKeyListResponse,
    ApiKeyRequest,
    ApiKeyResponse,
    PrincipalResponse,
    TokenRequest,
    TokenResponse,
)
from search_service.deps import AdminDep, EngineDep, PrincipalDep, SignInLimiterDep
from search_service.schemas import ErrorResponse

AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse} for status in (401, 403, 404, 422, 429)
}
auth_router = APIRouter(responses=AUTH_ERRORS)


@auth_router.post("/v1/auth/token", response_model=TokenResponse)
def create_token(
    body: TokenRequest, request: Request, engine: EngineDep, limiter: SignInLimiterDep
) -> TokenResponse:
    """Sign in with name and password; returns a bearer token. Failures are rate limited."""
    lifetime = dt.timedelta(minutes=engine.settings.access.token_ttl_minutes)
    client_address = request.client.host if request.client else "unknown"
    _, issued = sign_in(
        engine.accounts,
        limiter,
        name=body.name,
        password=body.password,
        client_address=client_address,
        lifetime=lifetime,
    )
    return TokenResponse(
        access_token=issued.token,
        expires_at=issued.expires_at,
        expires_in=int(lifetime.total_seconds()),
    )


@auth_router.delete("/v1/auth/token", status_code=204)
def delete_token(request: Request, engine: EngineDep, caller: PrincipalDep) -> Response:
    """Sign out: the bearer token of this request stops working."""
    authorization = request.headers.get("authorization")
    if caller.kind == "account" and authorization is not None:
        engine.accounts.revoke_token(bearer_token(authorization))
    return Response(status_code=204)


@auth_router.get("/v1/auth/me", response_model=PrincipalResponse)
def get_current_principal(caller: PrincipalDep) -> PrincipalResponse:
    """Who the server takes the caller to be: name, roles, rings (anonymous without a token)."""
    return PrincipalResponse.from_principal(caller)


@auth_router.post("/v1/api-keys", response_model=ApiKeyCreatedResponse, status_code=201)
def create_api_key(
    body: ApiKeyRequest, engine: EngineDep, admin: AdminDep
) -> ApiKeyCreatedResponse:
    """Admin only: a new API key; its secret is in this response and nowhere else."""
    key, secret = engine.accounts.create_api_key(
        body.name, roles=body.roles, rings=body.rings, actor=principal_actor(admin)
    )
    return ApiKeyCreatedResponse(**ApiKeyResponse.from_api_key(key).model_dump(), key=secret)


@auth_router.get("/v1/api-keys", response_model=ApiKeyListResponse)
def list_api_keys(engine: EngineDep, admin: AdminDep) -> ApiKeyListResponse:
    """Admin only: every API key (without secrets)."""
    keys = [ApiKeyResponse.from_api_key(key) for key in engine.accounts.api_keys()]
    return ApiKeyListResponse(api_keys=keys)


@auth_router.delete("/v1/api-keys/{key_id}", response_model=ApiKeyResponse)
def revoke_api_key(key_id: str, engine: EngineDep, admin: AdminDep) -> ApiKeyResponse:
    """Admin only: revoke a key; it stops working at once."""
    revoked = engine.accounts.revoke_api_key(key_id, actor=principal_actor(admin))
    return ApiKeyResponse.from_api_key(revoked)
