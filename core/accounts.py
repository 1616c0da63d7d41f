"""Accounts, sign-in tokens and API keys: the rules; their rows are `core.persistence.accounts`.

Passwords are hashed with argon2id. Bearer tokens and API keys are random secrets of which only
the SHA-256 is stored. The account behind a token is read on every request, so disabling an
account or changing its rings takes effect on the next request.

Every change of an account or API key is recorded in the audit log (`core.persistence.audit`)
under the `actor` the caller names, with the state before and after (never a password, key or
hash).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from core.access import Principal, Role
from core.audit_actions import AuditAction
from core.errors import ConflictError, ForbiddenError, InvalidRequestError, NotFoundError
from core.metadata import normalize_ring
from core.persistence.accounts import Account, ApiKey
from core.persistence.audit import SYSTEM_ACTOR
from core.persistence.registry import Registry, utc_now_text

__all__ = [
    "API_KEY_PREFIX",
    "EXTERNAL_PASSWORD_PREFIX",
    "MIN_PASSWORD_LENGTH",
    "Account",
    "AccountStore",
    "ApiKey",
    "IssuedToken",
    "generate_password",
    "parse_rings",
    "parse_roles",
    "secret_hash",
]
NAME_PATTERN = re.compile(r"^[\w.@-]{1,64}$")
MIN_PASSWORD_LENGTH = 12
API_KEY_PREFIX = "blok_"
# The stored "hash" of an account the identity provider signs in: not argon2, so no password fits.
EXTERNAL_PASSWORD_PREFIX = "!oidc:"


def generate_password() -> str:
    """A random password of 24 URL-safe characters."""
    return secrets.token_urlsafe(18)


def secret_hash(secret: str) -> str:
    """SHA-256 of a high-entropy secret (token or API key); only this is stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


def check_name(name: str) -> None:
    """Account and API key names: 1–64 letters, digits or `. _ @ -`."""
    if not NAME_PATTERN.match(name):
        raise InvalidRequestError(f"names are 1–64 letters, digits or . _ @ -, got {name!r}")


def parse_roles(roles: Iterable[str]) -> tuple[Role, ...]:
    """Check role names; at least one is needed."""
    try:
        parsed = tuple(dict.fromkeys(Role(str(role).strip().lower()) for role in roles))
    except ValueError as exc:
        allowed = ", ".join(role.value for role in Role)
        raise InvalidRequestError(f"unknown role ({exc}); roles are {allowed}") from exc
    if not parsed:
        raise InvalidRequestError("at least one role is needed")
    return parsed


def parse_rings(rings: Iterable[str]) -> tuple[str, ...]:
    """Normalise ring ids (`VR 3` → `vr3`)."""
    try:
        return tuple(sorted(dict.fromkeys(normalize_ring(ring) for ring in rings)))
    except ValueError as exc:
        raise InvalidRequestError(str(exc)) from exc


@dataclass(frozen=True)
class IssuedToken:
    """A bearer token as handed out once at sign-in."""

    token: str
    expires_at: dt.datetime


def account_state(account: Account) -> dict[str, Any]:
    """What the audit log records of an account."""
    return {"roles": list(account.roles), "rings": list(account.rings), "active": account.active}


def api_key_state(key: ApiKey) -> dict[str, Any]:
    """What the audit log records of an API key (never the key or its hash)."""
    return {
        "name": key.name,
        "roles": list(key.roles),
        "rings": list(key.rings),
        "revoked_at": key.revoked_at,
    }


class AccountStore:
    """Accounts, tokens and API keys in one registry."""

    def __init__(self, registry: Registry, hasher: PasswordHasher | None = None) -> None:
        self.registry = registry
        self.repository = registry.accounts
        self.hasher = hasher or PasswordHasher()
        self._dummy_hash: str | None = None
        self.audit = registry.audit

    # Accounts

    def create_account(
        self,
        name: str,
        *,
        roles: Iterable[str],
        rings: Iterable[str],
        password: str,
        actor: str = SYSTEM_ACTOR,
    ) -> Account:
        """Add an account.

        Raises:
            InvalidRequestError: the name, a role, a ring or the password is not acceptable.
            ConflictError: an account of this name exists (names ignore case).
        """
        check_name(name)
        password_hash = self._hash_password(password)
        new = Account(name, parse_roles(roles), parse_rings(rings), True, utc_now_text())
        if not self.repository.insert_account(new, password_hash):
            raise ConflictError(f"an account named {name!r} exists already")
        account = self.account(name)
        self.audit.record(
            actor=actor,
            action=AuditAction.ACCOUNT_CREATE,
            target=name,
            after=account_state(account),
        )
        return account

    def sign_in_external(
        self, name: str, *, roles: Iterable[str], rings: Iterable[str], issuer: str
    ) -> Account:
        """The account of a person the identity provider signed in, created or brought up to date.

        The account is named after the provider's name claim and holds no usable password: its
        stored hash is `EXTERNAL_PASSWORD_PREFIX` + the issuer, which no password matches. Its
        roles and rings are the provider's on every sign-in (changes are audited).

        Raises:
            ForbiddenError: the account is disabled, or a local account (with a password) or
                one of another provider has this name.
        """
        marker = EXTERNAL_PASSWORD_PREFIX + issuer
        actor = f"oidc:{name}"
        known = self.find_account(name)
        if known is None:
            check_name(name)
            new = Account(name, parse_roles(roles), parse_rings(rings), True, utc_now_text())
            if self.repository.insert_account(new, marker):
                account = self.account(name)
                after = account_state(account) | {"note": "from the identity provider"}
                self.audit.record(
                    actor=actor, action=AuditAction.ACCOUNT_CREATE, target=name, after=after
                )
                return account
            known = self.account(name)  # created at the same moment by a parallel sign-in
        if not known.active:
            raise ForbiddenError("This account is disabled.")
        if self.repository.active_password_hash(known.name) != marker:
            raise ForbiddenError(
                f"A local account named {known.name!r} exists; it cannot be taken over by a "
                "sign-in through the identity provider."
            )
        account = known
        if set(parse_roles(roles)) != set(account.roles):
            account = self.set_roles(account.name, roles, actor=actor)
        if parse_rings(rings) != account.rings:
            account = self.set_rings(account.name, rings, actor=actor)
        return account

    def find_account(self, name: str) -> Account | None:
        """The account of this name, if any."""
        return self.repository.find_account(name)

    def account(self, name: str) -> Account:
        """The account of this name.

        Raises:
            NotFoundError: there is none.
        """
        account = self.find_account(name)
        if account is None:
            raise NotFoundError(f"no account named {name!r}")
        return account

    def accounts(self) -> list[Account]:
        """All accounts by name."""
        return self.repository.accounts()

    def has_active_admin(self) -> bool:
        """Whether some active account has the admin role."""
        return any(Role.ADMIN in account.roles and account.active for account in self.accounts())

    def set_rings(self, name: str, rings: Iterable[str], *, actor: str = SYSTEM_ACTOR) -> Account:
        """Replace the ring memberships of an account."""
        before = self.account(name)
        self.repository.set_rings(name, parse_rings(rings))
        return self._audited(actor, AuditAction.ACCOUNT_SET_RINGS, before)

    def set_roles(self, name: str, roles: Iterable[str], *, actor: str = SYSTEM_ACTOR) -> Account:
        """Replace the roles of an account (at least one); takes effect on its next request."""
        before = self.account(name)
        self.repository.set_roles(name, parse_roles(roles))
        return self._audited(actor, AuditAction.ACCOUNT_SET_ROLES, before)

    def set_active(self, name: str, active: bool, *, actor: str = SYSTEM_ACTOR) -> Account:
        """Enable or disable an account; disabling also ends its sessions."""
        before = self.account(name)
        self.repository.set_active(name, active)
        if not active:
            self.repository.end_sessions(name)
        return self._audited(
            actor, AuditAction.ACCOUNT_ENABLE if active else AuditAction.ACCOUNT_DISABLE, before
        )

    def set_password(self, name: str, password: str, *, actor: str = SYSTEM_ACTOR) -> Account:
        """Replace the password of an account; ends its sessions."""
        before = self.account(name)
        self.repository.set_password_hash(name, self._hash_password(password))
        self.repository.end_sessions(name)
        return self._audited(
            actor,
            AuditAction.ACCOUNT_RESET_PASSWORD,
            before,
            note="password changed, sessions ended",
        )

    def _audited(
        self, actor: str, action: AuditAction, before: Account, note: str | None = None
    ) -> Account:
        """Record a change of an account; returns the account as it is now."""
        after = self.account(before.name)
        after_state = account_state(after) | ({"note": note} if note else {})
        self.audit.record(
            actor=actor,
            action=action,
            target=before.name,
            before=account_state(before),
            after=after_state,
        )
        return after

    def _hash_password(self, password: str) -> str:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise InvalidRequestError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
        return self.hasher.hash(password)

    def verify_password(self, name: str, password: str) -> Account | None:
        """The active account if the password is right; None otherwise (same work either way)."""
        stored = self.repository.active_password_hash(name)
        if stored is None:
            self._dummy_hash = self._dummy_hash or self.hasher.hash(generate_password())
            self._verify(self._dummy_hash, password)
            return None
        if not self._verify(stored, password):
            return None
        if self.hasher.check_needs_rehash(stored):
            self.repository.set_password_hash(name, self.hasher.hash(password))
        return self.account(name)

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    # Bearer tokens

    def issue_token(self, account: Account, lifetime: dt.timedelta) -> IssuedToken:
        """A new bearer token for the account, valid for `lifetime`."""
        token = secrets.token_urlsafe(32)
        expires_at = dt.datetime.now(dt.UTC) + lifetime
        self.repository.add_session(
            secret_hash(token), account.name, utc_now_text(), expires_at.timestamp(), time.time()
        )
        return IssuedToken(token, expires_at)

    def principal_for_token(self, token: str) -> Principal | None:
        """The caller behind an unexpired token of an active account; None otherwise."""
        account = self.repository.account_for_session(secret_hash(token), time.time())
        return account.principal() if account is not None else None

    def revoke_token(self, token: str) -> None:
        """End one session (sign-out)."""
        self.repository.delete_session(secret_hash(token))

    # API keys

    def create_api_key(
        self,
        name: str,
        *,
        roles: Iterable[str],
        rings: Iterable[str],
        actor: str = SYSTEM_ACTOR,
    ) -> tuple[ApiKey, str]:
        """A new API key; returns its record and the secret key, which is shown only once."""
        if not NAME_PATTERN.match(name):
            raise InvalidRequestError(
                f"API key names are 1–64 letters, digits or . _ @ -: {name!r}"
            )
        secret = API_KEY_PREFIX + secrets.token_urlsafe(32)
        new = ApiKey(
            secrets.token_hex(4), name, parse_roles(roles), parse_rings(rings), utc_now_text(), None
        )
        self.repository.insert_api_key(new, secret_hash(secret))
        key = self._api_key(new.key_id)
        self.audit.record(
            actor=actor,
            action=AuditAction.API_KEY_CREATE,
            target=key.key_id,
            after=api_key_state(key),
        )
        return key, secret

    def _api_key(self, key_id: str) -> ApiKey:
        key = self.repository.find_api_key(key_id)
        if key is None:
            raise NotFoundError(f"no API key with id {key_id!r}")
        return key

    def api_keys(self) -> list[ApiKey]:
        """All API keys, revoked ones included, oldest first."""
        return self.repository.api_keys()

    def revoke_api_key(self, key_id: str, *, actor: str = SYSTEM_ACTOR) -> ApiKey:
        """Revoke a key; it stops working at once."""
        before = self._api_key(key_id)
        self.repository.revoke_api_key(key_id, utc_now_text())
        after = self._api_key(key_id)
        self.audit.record(
            actor=actor,
            action=AuditAction.API_KEY_REVOKE,
            target=key_id,
            before=api_key_state(before),
            after=api_key_state(after),
        )
        return after

    def principal_for_api_key(self, secret: str) -> Principal | None:
        """The caller behind an unrevoked key; None otherwise."""
        key = self.repository.api_key_for_hash(secret_hash(secret))
        return key.principal() if key is not None else None
