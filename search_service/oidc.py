"""The identity provider (OpenID Connect): discovery, its keys, the code flow, checking tokens.

Web sign-in is the authorization code flow with PKCE (S256): `/anmelden/dienstkonto` sends the
browser to the provider with a fresh `state`, `nonce` and code challenge, kept until the return
in the HTTP-only `blok_oidc` cookie (`PendingSignIn`); the return checks `state`, redeems the
code with the verifier and checks the ID token (signature by a key of the provider's JWKS,
`iss`, `aud`, `exp`, `nonce`). The API accepts the provider's access tokens (JWT) as bearer
tokens, checked the same way against `BLOK_OIDC__AUDIENCE`.

The discovery document and the key set are fetched on first use and kept; a token signed with
an unknown key id (the provider rotated its keys) makes the key set be fetched again, at most
once per `MISS_REFRESH_SECONDS` while such ids stay unknown. An unreachable provider is a
`ServiceError` (502); a token that fails a check is an `UnauthorizedError` (401).
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from core.errors import ServiceError, UnauthorizedError
from core.settings import OidcSettings

PENDING_COOKIE = "blok_oidc"
PENDING_MAX_AGE = 600
SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384")
LEEWAY_SECONDS = 30
MISS_REFRESH_SECONDS = 30.0
TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class PendingSignIn:
    """What the browser carries from the redirect to the provider back to the return."""

    state: str
    nonce: str
    code_verifier: str
    weiter: str

    @classmethod
    def start(cls, weiter: str) -> PendingSignIn:
        """Fresh random secrets for one sign-in."""
        return cls(generate_token(32), generate_token(32), generate_token(64), weiter)

    def cookie_value(self) -> str:
        """The cookie text (base64 of JSON; the cookie is HTTP-only)."""
        return base64.urlsafe_b64encode(json.dumps(asdict(self)).encode()).decode()

    @classmethod
    def from_cookie(cls, value: str | None) -> PendingSignIn | None:
        """The pending sign-in of a cookie; None when there is none or it is not one of ours."""
        if not value:
            return None
        try:
            fields = json.loads(base64.urlsafe_b64decode(value.encode()))
            return cls(**{name: str(fields[name]) for name in cls.__dataclass_fields__})
        except (ValueError, binascii.Error, KeyError, TypeError):
            return None


class OidcProvider:
    """One identity provider, as `OidcSettings` names it."""

    def __init__(
        self, settings: OidcSettings, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        if settings.issuer is None or settings.client_id is None:
            raise ValueError("OidcProvider needs oidc.issuer and oidc.client_id")
        self.settings = settings
        self.issuer: str = settings.issuer
        self.client_id: str = settings.client_id
        self.transport = transport
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None
        self._last_miss_refresh = float("-inf")

    async def _request(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        """A JSON object from the provider.

        Raises:
            ServiceError: the provider cannot be reached, answered no JSON object, or failed
                (5xx, or a 4xx of its discovery document or key set).
            UnauthorizedError: the token endpoint refused the code (4xx).
        """
        try:
            async with httpx.AsyncClient(
                transport=self.transport, timeout=TIMEOUT_SECONDS
            ) as client:
                response = await client.request(method, url, **kwargs)
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise ServiceError(f"The identity provider cannot be reached ({exc}).") from exc
        if not isinstance(body, dict):
            raise ServiceError("The identity provider answered no JSON object.")
        if response.status_code >= 400:
            error = body.get("error_description") or body.get("error") or response.status_code
            if method == "POST" and response.status_code < 500:
                raise UnauthorizedError(f"The identity provider refused: {error}.")
            raise ServiceError(f"The identity provider answered {response.status_code}: {error}.")
        return body

    async def metadata(self) -> dict[str, Any]:
        """The provider's discovery document (fetched once).

        Raises:
            ServiceError: unreachable, or the document names another issuer or lacks endpoints.
        """
        if self._metadata is None:
            metadata = await self._request("GET", f"{self.issuer}/.well-known/openid-configuration")
            if metadata.get("issuer") != self.issuer:
                raise ServiceError(
                    f"The identity provider's discovery document names the issuer "
                    f"{metadata.get('issuer')!r}, not {self.issuer!r}."
                )
            needed = ("authorization_endpoint", "token_endpoint", "jwks_uri")
            if missing := [name for name in needed if not isinstance(metadata.get(name), str)]:
                raise ServiceError(f"The discovery document lacks {', '.join(missing)}.")
            self._metadata = metadata
        return self._metadata

    async def key_set(self, *, refresh: bool = False) -> KeySet:
        """The provider's signing keys (JWKS), fetched on first use or when `refresh`."""
        if self._keys is None or refresh:
            jwks_uri = (await self.metadata())["jwks_uri"]
            try:
                self._keys = KeySet.import_key_set(await self._request("GET", jwks_uri))  # type: ignore[arg-type]
            except (JoseError, ValueError, TypeError) as exc:
                raise ServiceError(f"The identity provider's key set is unusable ({exc}).") from exc
        return self._keys

    async def verify(
        self, token: str, *, audience: str, nonce: str | None = None
    ) -> dict[str, Any]:
        """The claims of a token the provider signed for `audience` and that has not expired.

        Raises:
            UnauthorizedError: bad signature or unknown key, other issuer or audience, expired,
                or (ID tokens) another nonce.
        """
        try:
            decoded = jwt.decode(token, await self.key_set(), algorithms=SIGNING_ALGORITHMS)
        except InvalidKeyIdError:
            if time.monotonic() - self._last_miss_refresh < MISS_REFRESH_SECONDS:
                raise UnauthorizedError("The token is signed with an unknown key.") from None
            try:
                keys = await self.key_set(refresh=True)
                decoded = jwt.decode(token, keys, algorithms=SIGNING_ALGORITHMS)
            except InvalidKeyIdError:
                self._last_miss_refresh = time.monotonic()
                raise UnauthorizedError("The token is signed with an unknown key.") from None
            except JoseError as exc:
                raise UnauthorizedError(f"The token is not valid ({exc.error}).") from exc
        except JoseError as exc:
            raise UnauthorizedError(f"The token is not valid ({exc.error}).") from exc
        claims = decoded.claims
        options: dict[str, Any] = {
            "iss": {"essential": True, "value": self.issuer},
            "aud": {"essential": True, "value": audience},
            "exp": {"essential": True},
        }
        if nonce is not None:
            options["nonce"] = {"essential": True, "value": nonce}
        try:
            jwt.JWTClaimsRegistry(leeway=LEEWAY_SECONDS, **options).validate(claims)
        except JoseError as exc:
            raise UnauthorizedError(f"The token is not valid ({exc}).") from exc
        return claims

    async def authorization_url(self, pending: PendingSignIn, redirect_uri: str) -> str:
        """Where to send the browser to sign in (code flow, PKCE S256)."""
        scopes = dict.fromkeys(["openid", *self.settings.scopes])
        url: str = prepare_grant_uri(
            (await self.metadata())["authorization_endpoint"],
            self.client_id,
            "code",
            redirect_uri=redirect_uri,
            scope=" ".join(scopes),
            state=pending.state,
            nonce=pending.nonce,
            code_challenge=create_s256_code_challenge(pending.code_verifier),
            code_challenge_method="S256",
        )
        return url

    async def redeem_code(
        self, code: str, pending: PendingSignIn, redirect_uri: str
    ) -> dict[str, Any]:
        """Exchange the code for tokens; the checked claims of the ID token.

        Raises:
            UnauthorizedError: the provider refused the code, or the ID token fails a check.
            ServiceError: the provider cannot be reached.
        """
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": pending.code_verifier,
            "client_id": self.client_id,
        }
        secret = self.settings.client_secret
        auth = (self.client_id, secret.get_secret_value()) if secret is not None else None
        endpoint = (await self.metadata())["token_endpoint"]
        tokens = await self._request("POST", endpoint, data=form, auth=auth)
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise UnauthorizedError("The identity provider sent no ID token.")
        claims = await self.verify(id_token, audience=self.client_id, nonce=pending.nonce)
        check_authorized_party(claims, self.client_id)
        return claims

    async def access_token_claims(self, token: str) -> dict[str, Any]:
        """The checked claims of an access token (JWT) sent to the API."""
        return await self.verify(token, audience=self.settings.expected_audience or self.client_id)


def check_authorized_party(claims: Mapping[str, Any], client_id: str) -> None:
    """An ID token for several audiences must name this client as `azp` (OpenID Connect 3.1.3.7).

    Raises:
        UnauthorizedError: it names another one.
    """
    audience = claims.get("aud")
    if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != client_id:
        raise UnauthorizedError("The ID token was issued to another client.")


def looks_like_jwt(token: str) -> bool:
    """Whether a bearer token is a JWT (three dot-separated parts), not one of our own tokens."""
    return token.count(".") == 2
