"""Accounts, sign-in tokens and API keys, kept in the registry database.

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
import json
import re
import secrets
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from core.access import Principal, Role
from core.audit_actions import AuditAction
from core.errors import ConflictError, InvalidRequestError, NotFoundError
from core.metadata import normalize_ring
from core.persistence.audit import SYSTEM_ACTOR, AuditLog
from core.persistence.registry import Registry, utc_now_text

ACCOUNTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    name          TEXT PRIMARY KEY COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    roles         TEXT NOT NULL,
    rings         TEXT NOT NULL,
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash   TEXT PRIMARY KEY,
    account_name TEXT NOT NULL REFERENCES accounts (name) ON DELETE CASCADE,
    created_at   TEXT NOT NULL,
    expires_at   REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS api_keys (
    key_id     TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    key_hash   TEXT NOT NULL UNIQUE,
    roles      TEXT NOT NULL,
    rings      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
"""
NAME_PATTERN = re.compile(r"^[\w.@-]{1,64}$")
MIN_PASSWORD_LENGTH = 12
API_KEY_PREFIX = "blok_"


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
class Account:
    """A person's account (never carries the password hash)."""

    name: str
    roles: tuple[Role, ...]
    rings: tuple[str, ...]
    active: bool
    created_at: str

    def principal(self) -> Principal:
        """The caller this account makes."""
        return Principal(self.name, "account", frozenset(self.roles), frozenset(self.rings))


@dataclass(frozen=True)
class ApiKey:
    """An integration's key (the secret itself is shown once, at creation)."""

    key_id: str
    name: str
    roles: tuple[Role, ...]
    rings: tuple[str, ...]
    created_at: str
    revoked_at: str | None

    def principal(self) -> Principal:
        """The caller this key makes."""
        return Principal(self.name, "api_key", frozenset(self.roles), frozenset(self.rings))


@dataclass(frozen=True)
class IssuedToken:
    """A bearer token as handed out once at sign-in."""

    token: str
    expires_at: dt.datetime


def _account(row: dict[str, Any]) -> Account:
    return Account(
        name=row["name"],
        roles=parse_roles(json.loads(row["roles"])),
        rings=tuple(json.loads(row["rings"])),
        active=bool(row["active"]),
        created_at=row["created_at"],
    )


def _api_key(row: dict[str, Any]) -> ApiKey:
    return ApiKey(
        key_id=row["key_id"],
        name=row["name"],
        roles=parse_roles(json.loads(row["roles"])),
        rings=tuple(json.loads(row["rings"])),
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
    )


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
        self.hasher = hasher or PasswordHasher()
        self._dummy_hash: str | None = None
        registry.execute_script(ACCOUNTS_SCHEMA)
        self.audit = AuditLog(registry)

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
        row = (
            name,
            self._hash_password(password),
            json.dumps([role.value for role in parse_roles(roles)]),
            json.dumps(list(parse_rings(rings))),
            utc_now_text(),
        )
        try:
            self.registry.execute(
                "INSERT INTO accounts (name, password_hash, roles, rings, active, created_at) "
                "VALUES (?, ?, ?, ?, 1, ?)",
                row,
            )
        except sqlite3.IntegrityError as exc:
            raise ConflictError(f"an account named {name!r} exists already") from exc
        account = self.account(name)
        self.audit.record(
            actor=actor,
            action=AuditAction.ACCOUNT_CREATE,
            target=name,
            after=account_state(account),
        )
        return account

    def find_account(self, name: str) -> Account | None:
        """The account of this name, if any."""
        rows = self.registry.rows("SELECT * FROM accounts WHERE name = ?", (name,))
        return _account(rows[0]) if rows else None

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
        return [_account(row) for row in self.registry.rows("SELECT * FROM accounts ORDER BY name")]

    def has_active_admin(self) -> bool:
        """Whether some active account has the admin role."""
        return any(Role.ADMIN in account.roles and account.active for account in self.accounts())

    def set_rings(self, name: str, rings: Iterable[str], *, actor: str = SYSTEM_ACTOR) -> Account:
        """Replace the ring memberships of an account."""
        before = self.account(name)
        rings_json = json.dumps(list(parse_rings(rings)))
        self.registry.execute("UPDATE accounts SET rings = ? WHERE name = ?", (rings_json, name))
        return self._audited(actor, AuditAction.ACCOUNT_SET_RINGS, before)

    def set_active(self, name: str, active: bool, *, actor: str = SYSTEM_ACTOR) -> Account:
        """Enable or disable an account; disabling also ends its sessions."""
        before = self.account(name)
        self.registry.execute("UPDATE accounts SET active = ? WHERE name = ?", (int(active), name))
        if not active:
            self.registry.execute("DELETE FROM sessions WHERE account_name = ?", (name,))
        return self._audited(
            actor, AuditAction.ACCOUNT_ENABLE if active else AuditAction.ACCOUNT_DISABLE, before
        )

    def set_password(self, name: str, password: str, *, actor: str = SYSTEM_ACTOR) -> Account:
        """Replace the password of an account; ends its sessions."""
        before = self.account(name)
        password_hash = self._hash_password(password)
        self.registry.execute(
            "UPDATE accounts SET password_hash = ? WHERE name = ?", (password_hash, name)
        )
        self.registry.execute("DELETE FROM sessions WHERE account_name = ?", (name,))
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
        rows = self.registry.rows(
            "SELECT password_hash FROM accounts WHERE name = ? AND active = 1", (name,)
        )
        if not rows:
            self._dummy_hash = self._dummy_hash or self.hasher.hash(generate_password())
            self._verify(self._dummy_hash, password)
            return None
        stored = str(rows[0]["password_hash"])
        if not self._verify(stored, password):
            return None
        if self.hasher.check_needs_rehash(stored):
            self.registry.execute(
                "UPDATE accounts SET password_hash = ? WHERE name = ?",
                (self.hasher.hash(password), name),
            )
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
        self.registry.execute("DELETE FROM sessions WHERE expires_at < ?", (time.time(),))
        self.registry.execute(
            "INSERT INTO sessions (token_hash, account_name, created_at, expires_at) "
            "VALUES (?, ?, ?, ?)",
            (secret_hash(token), account.name, utc_now_text(), expires_at.timestamp()),
        )
        return IssuedToken(token, expires_at)

    def principal_for_token(self, token: str) -> Principal | None:
        """The caller behind an unexpired token of an active account; None otherwise."""
        rows = self.registry.rows(
            "SELECT accounts.* FROM sessions "
            "JOIN accounts ON accounts.name = sessions.account_name "
            "WHERE sessions.token_hash = ? AND sessions.expires_at > ? AND accounts.active = 1",
            (secret_hash(token), time.time()),
        )
        return _account(rows[0]).principal() if rows else None

    def revoke_token(self, token: str) -> None:
        """End one session (sign-out)."""
        self.registry.execute("DELETE FROM sessions WHERE token_hash = ?", (secret_hash(token),))

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
        key_id = secrets.token_hex(4)
        secret = API_KEY_PREFIX + secrets.token_urlsafe(32)
        self.registry.execute(
            "INSERT INTO api_keys (key_id, name, key_hash, roles, rings, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                key_id,
                name,
                secret_hash(secret),
                json.dumps([role.value for role in parse_roles(roles)]),
                json.dumps(list(parse_rings(rings))),
                utc_now_text(),
            ),
        )
        key = self._api_key(key_id)
        self.audit.record(
            actor=actor, action=AuditAction.API_KEY_CREATE, target=key_id, after=api_key_state(key)
        )
        return key, secret

    def _api_key(self, key_id: str) -> ApiKey:
        rows = self.registry.rows("SELECT * FROM api_keys WHERE key_id = ?", (key_id,))
        if not rows:
            raise NotFoundError(f"no API key with id {key_id!r}")
        return _api_key(rows[0])

    def api_keys(self) -> list[ApiKey]:
        """All API keys, revoked ones included, oldest first."""
        rows = self.registry.rows("SELECT * FROM api_keys ORDER BY created_at, key_id")
        return [_api_key(row) for row in rows]

    def revoke_api_key(self, key_id: str, *, actor: str = SYSTEM_ACTOR) -> ApiKey:
        """Revoke a key; it stops working at once."""
        before = self._api_key(key_id)
        self.registry.execute(
            "UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL",
            (utc_now_text(), key_id),
        )
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
        rows = self.registry.rows(
            "SELECT * FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL",
            (secret_hash(secret),),
        )
        return _api_key(rows[0]).principal() if rows else None
