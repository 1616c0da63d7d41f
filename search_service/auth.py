"""Who is calling: credentials resolved to a `Principal`, sign-in, and the failed sign-in limiter.

A request carries at most one credential: `Authorization: Bearer <token>` (from
`POST /v1/auth/token`, or an access token of the identity provider when one is configured,
`search_service.oidc`) or `X-API-Key: <key>` (created by an admin); a browser carries the
session cookie from `POST /v1/auth/session` instead (`search_service.sessions`). None:
anonymous. A credential that is malformed, unknown, expired, revoked or belongs to a disabled
account is refused with 401, never downgraded to anonymous.

Sign-ins and sign-outs are audited (`auth.sign_in`, `auth.sign_out`); so is a failed sign-in
to an existing account (`auth.sign_in_failed`). Failures with unknown names are only counted by
the limiter: a mistyped password in the name field must not end up in the log.
"""

from __future__ import annotations

import datetime as dt

from core.access import ANONYMOUS, Principal
from core.accounts import Account, AccountStore, IssuedToken
from core.audit_actions import AuditAction
from core.errors import UnauthorizedError
from core.identity import ExternalIdentity, identity_from_claims
from core.persistence.audit import principal_actor
from core.settings import OidcSettings
from search_service.oidc import OidcProvider
from search_service.rate_limits import RateLimiter

WRONG_CREDENTIALS = "Wrong account name or password."
LOCAL_PASSWORDS_OFF = (
    "Sign-in with a password is switched off here; sign in through the identity provider."
)


def signin_key(account: Account | None, client_address: str) -> str:
    """The limiter's key of a sign-in: the account with the address, or unknown names from it.

    Failures against a named account count for that account from that address only, so wrong
    passwords sent from elsewhere never lock its owner out; failures with unknown names count
    for the address, and limit only its further unknown names.
    """
    if account is None:
        return f"unknown-names@{client_address}"
    return f"account:{account.name}@{client_address}"


def sign_in(
    accounts: AccountStore,
    limiter: RateLimiter,
    *,
    name: str,
    password: str,
    client_address: str,
    lifetime: dt.timedelta,
    method: str = "token",
) -> tuple[Account, IssuedToken]:
    """Check name and password under the limiter and issue a token (`method`: token, session).

    Raises:
        TooManyRequestsError: too many recent failures for this account (or for unknown names)
            from this address.
        UnauthorizedError: wrong name or password, or a disabled account (one message for all).
    """
    known = accounts.find_account(name)
    key = signin_key(known, client_address)
    limiter.check([key])
    account = accounts.verify_password(name, password)
    if account is None:
        limiter.record([key])
        if known is not None:
            accounts.audit.record(
                actor="anonymous",
                action=AuditAction.SIGN_IN_FAILED,
                target=known.name,
                after={"method": method, "active": known.active},
            )
        raise UnauthorizedError(WRONG_CREDENTIALS)
    limiter.reset(key)
    issued = accounts.issue_token(account, lifetime)
    accounts.audit.record(
        actor=principal_actor(account.principal()),
        action=AuditAction.SIGN_IN,
        target=account.name,
        after={"method": method, "expires_at": issued.expires_at.isoformat(timespec="seconds")},
    )
    return account, issued


def sign_in_identity(
    accounts: AccountStore, identity: ExternalIdentity, *, issuer: str, lifetime: dt.timedelta
) -> tuple[Account, IssuedToken]:
    """Sign in a person the identity provider vouched for: their account, a new session token.

    Raises:
        ForbiddenError: the account is disabled or is a local one (`AccountStore.sign_in_external`).
    """
    account = accounts.sign_in_external(
        identity.name, roles=identity.roles, rings=identity.rings, issuer=issuer
    )
    issued = accounts.issue_token(account, lifetime)
    accounts.audit.record(
        actor=principal_actor(account.principal()),
        action=AuditAction.SIGN_IN,
        target=account.name,
        after={"method": "oidc", "expires_at": issued.expires_at.isoformat(timespec="seconds")},
    )
    return account, issued


async def provider_principal(
    accounts: AccountStore, provider: OidcProvider, token: str, settings: OidcSettings
) -> Principal:
    """The caller behind an access token of the identity provider (roles and rings from claims).

    An account of the same name that an admin disabled refuses the token too.

    Raises:
        UnauthorizedError: the token fails a check, or names a disabled account.
        ForbiddenError: its claims give no role here.
    """
    identity = identity_from_claims(await provider.access_token_claims(token), settings)
    account = accounts.find_account(identity.name)
    if account is not None and not account.active:
        raise UnauthorizedError("The token's account is disabled.")
    return identity.principal()


def sign_out(accounts: AccountStore, principal: Principal, token: str, method: str) -> None:
    """End one session or token and audit it."""
    accounts.revoke_token(token)
    accounts.audit.record(
        actor=principal_actor(principal),
        action=AuditAction.SIGN_OUT,
        target=principal.name,
        after={"method": method},
    )


def bearer_token(authorization: str) -> str:
    """The token of an `Authorization: Bearer <token>` header.

    Raises:
        UnauthorizedError: the header is not a bearer token.
    """
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise UnauthorizedError("The Authorization header must be 'Bearer <token>'.")
    return token.strip()


def session_principal(accounts: AccountStore, session_token: str) -> Principal:
    """The caller behind a browser session cookie.

    Raises:
        UnauthorizedError: the session has expired, was ended, or its account is disabled.
    """
    principal = accounts.principal_for_token(session_token)
    if principal is None:
        raise UnauthorizedError("The session has expired or has ended; sign in again.")
    return principal


def resolve_principal(
    accounts: AccountStore, authorization: str | None, api_key: str | None
) -> Principal:
    """The caller behind the request's credential; anonymous without one.

    Raises:
        UnauthorizedError: both credentials given, or the one given is not valid now.
    """
    if authorization is not None and api_key is not None:
        raise UnauthorizedError("Send either a bearer token or an API key, not both.")
    if authorization is not None:
        principal = accounts.principal_for_token(bearer_token(authorization))
        if principal is None:
            raise UnauthorizedError("The token is invalid or has expired; sign in again.")
        return principal
    if api_key is not None:
        principal = accounts.principal_for_api_key(api_key.strip())
        if principal is None:
            raise UnauthorizedError("The API key is invalid or has been revoked.")
        return principal
    return ANONYMOUS
