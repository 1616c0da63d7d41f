"""A small OpenID Connect provider for the tests, served by uvicorn on a loopback port.

It serves discovery, `authorize` (signs in `provider.person` at once and redirects back with a
code), `token` (checks the client, the redirect URI and the PKCE verifier, then issues an ID
token and an access token) and `jwks`. The signing key is an RSA key generated per provider;
`tamper` changes the claims or the key of the next ID token, so the tests can send the service
tokens with a wrong nonce, issuer, audience, expiry or signature.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import uvicorn
from fastapi import FastAPI, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from tests.support.ui_world import free_port

CLIENT_ID = "blok-test"
CLIENT_SECRET = "test-client-secret"


def new_key(kid: str) -> RSAKey:
    """A fresh RSA signing key."""
    return RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"})


@dataclass
class Grant:
    """One issued code, until it is redeemed."""

    redirect_uri: str
    nonce: str
    code_challenge: str
    person: dict[str, Any]


@dataclass
class LoopbackProvider:
    """The provider's state: its keys, the signed-in person, issued codes, the next tampering."""

    issuer: str
    key: RSAKey = field(default_factory=lambda: new_key("key-1"))
    person: dict[str, Any] = field(default_factory=dict)
    grants: dict[str, Grant] = field(default_factory=dict)
    tamper: dict[str, Any] = field(default_factory=dict)
    sign_with: RSAKey | None = None
    token_requests: list[dict[str, str]] = field(default_factory=list)

    def token(
        self, claims: dict[str, Any], *, key: RSAKey | None = None, lifetime: int = 300
    ) -> str:
        """A JWT signed by this provider's key (or `key`), with `iss`, `iat`, `exp` filled in."""
        now = int(time.time())
        body = {"iss": self.issuer, "iat": now, "exp": now + lifetime} | claims
        signer = key or self.key
        return jwt.encode({"alg": "RS256", "kid": signer.kid}, body, signer)

    def access_token(self, claims: dict[str, Any], **options: Any) -> str:
        """An access token for the service's API (audience: the client)."""
        return self.token({"aud": CLIENT_ID} | claims, **options)

    def rotate_key(self, kid: str) -> None:
        """Sign with a new key from now on (the JWKS then holds only that one)."""
        self.key = new_key(kid)


def pkce_challenge(verifier: str) -> str:
    """The S256 code challenge of a verifier (RFC 7636)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def build_provider_app(provider: LoopbackProvider) -> FastAPI:
    """The provider's four endpoints."""
    app = FastAPI()

    @app.get("/.well-known/openid-configuration")
    def discovery() -> dict[str, Any]:
        return {
            "issuer": provider.issuer,
            "authorization_endpoint": f"{provider.issuer}/authorize",
            "token_endpoint": f"{provider.issuer}/token",
            "jwks_uri": f"{provider.issuer}/jwks",
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    @app.get("/jwks")
    def jwks() -> dict[str, Any]:
        return dict(KeySet([provider.key]).as_dict(private=False))

    @app.get("/authorize")
    def authorize(request: Request) -> RedirectResponse:
        query = request.query_params
        if query.get("client_id") != CLIENT_ID or query.get("code_challenge_method") != "S256":
            return RedirectResponse(f"{query['redirect_uri']}?error=invalid_request", 302)
        code = secrets.token_urlsafe(16)
        provider.grants[code] = Grant(
            query["redirect_uri"], query["nonce"], query["code_challenge"], dict(provider.person)
        )
        back = urlencode({"code": code, "state": query["state"]})
        return RedirectResponse(f"{query['redirect_uri']}?{back}", 302)

    @app.post("/token")
    def token(
        request: Request,
        grant_type: str = Form(),
        code: str = Form(),
        redirect_uri: str = Form(),
        code_verifier: str = Form(),
    ) -> JSONResponse:
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        provider.token_requests.append({"code": code, "code_verifier": code_verifier})
        grant = provider.grants.pop(code, None)
        if request.headers.get("authorization") != expected:
            return JSONResponse({"error": "invalid_client"}, 401)
        if grant is None or grant_type != "authorization_code":
            return JSONResponse({"error": "invalid_grant"}, 400)
        if (
            grant.redirect_uri != redirect_uri
            or pkce_challenge(code_verifier) != grant.code_challenge
        ):
            return JSONResponse({"error": "invalid_grant", "error_description": "PKCE"}, 400)
        lifetime = int(provider.tamper.pop("lifetime", 300))
        claims = {"aud": CLIENT_ID, "nonce": grant.nonce} | grant.person | provider.tamper
        provider.tamper = {}
        id_token = provider.token(claims, key=provider.sign_with, lifetime=lifetime)
        access = provider.access_token(grant.person)
        return JSONResponse(
            {
                "token_type": "Bearer",
                "id_token": id_token,
                "access_token": access,
                "expires_in": 300,
            }
        )

    return app


@contextmanager
def run_provider() -> Iterator[LoopbackProvider]:
    """The provider on a free loopback port until the block ends."""
    port = free_port()
    provider = LoopbackProvider(issuer=f"http://127.0.0.1:{port}")
    config = uvicorn.Config(
        build_provider_app(provider), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test identity provider did not start")
        time.sleep(0.05)
    try:
        yield provider
    finally:
        server.should_exit = True
        thread.join(timeout=30)
