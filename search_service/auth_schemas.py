"""Request and response bodies of sign-in, the caller's identity and API keys."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from core.access import Principal, Role
from core.accounts import ApiKey


class TokenRequest(BaseModel):
    """Sign-in with account name and password."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64, description="Account name.")
    password: str = Field(min_length=1, max_length=1024, description="Password.")


class TokenResponse(BaseModel):
    """A bearer token: send it as `Authorization: Bearer <access_token>`."""

    access_token: str
    token_type: str = "bearer"
    expires_at: dt.datetime
    expires_in: int = Field(description="Seconds until the token expires.")


class SessionResponse(BaseModel):
    """A browser session: the token is in an HTTP-only cookie, never in this body."""

    name: str
    roles: list[Role]
    rings: list[str]
    expires_at: dt.datetime
    csrf_token: str = Field(
        description="Send as `X-CSRF-Token` with every POST, PATCH or DELETE of this session "
        "(also in the readable `blok_csrf` cookie)."
    )


class PrincipalResponse(BaseModel):
    """Who the server takes the caller to be, and what they may see."""

    name: str
    kind: str = Field(
        description="`anonymous`, `account`, `api_key` or `oidc` (an identity provider's token)."
    )
    roles: list[Role]
    rings: list[str]

    @classmethod
    def from_principal(cls, principal: Principal) -> PrincipalResponse:
        """Describe a principal."""
        return cls(
            name=principal.name,
            kind=principal.kind,
            roles=sorted(principal.roles),
            rings=sorted(principal.rings),
        )


class ApiKeyRequest(BaseModel):
    """A new API key for an integration."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64, description="What the key is for.")
    roles: list[Role] = Field(min_length=1, description="Roles of the key.")
    rings: list[str] = Field(default_factory=list, description="Ring memberships, e.g. `vr3`.")


class ApiKeyResponse(BaseModel):
    """An API key without its secret."""

    key_id: str
    name: str
    roles: list[Role]
    rings: list[str]
    created_at: str
    revoked_at: str | None

    @classmethod
    def from_api_key(cls, key: ApiKey) -> ApiKeyResponse:
        """Describe a key."""
        return cls(
            key_id=key.key_id,
            name=key.name,
            roles=list(key.roles),
            rings=list(key.rings),
            created_at=key.created_at,
            revoked_at=key.revoked_at,
        )


class ApiKeyCreatedResponse(ApiKeyResponse):
    """A new API key with its secret, which is shown only this once."""

    key: str = Field(description="Send as `X-API-Key`; stored only as a hash.")


class ApiKeyListResponse(BaseModel):
    """All API keys, revoked ones included."""

    api_keys: list[ApiKeyResponse]
