"""The accounts repository: accounts, sign-in sessions and API keys (SQL only).

Roles and rings are stored as JSON lists; sessions and API keys only as the SHA-256 of their
secret. Hashing, checking and auditing are `core.accounts`, which calls this repository.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from core.access import Principal, Role
from core.persistence.connection import Repository, Row


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


def _roles(text: str) -> tuple[Role, ...]:
    return tuple(dict.fromkeys(Role(str(role)) for role in json.loads(text)))


def _roles_json(roles: tuple[Role, ...]) -> str:
    return json.dumps([role.value for role in roles])


def _account(row: Row) -> Account:
    return Account(
        name=row["name"],
        roles=_roles(row["roles"]),
        rings=tuple(json.loads(row["rings"])),
        active=bool(row["active"]),
        created_at=row["created_at"],
    )


def _api_key(row: Row) -> ApiKey:
    return ApiKey(
        key_id=row["key_id"],
        name=row["name"],
        roles=_roles(row["roles"]),
        rings=tuple(json.loads(row["rings"])),
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
    )


class AccountRepository(Repository):
    """The `accounts`, `sessions` and `api_keys` tables."""

    # Accounts

    def insert_account(self, account: Account, password_hash: str) -> bool:
        """Add an account; False (nothing added) when one of this name exists (ignoring case)."""
        row = (
            account.name,
            password_hash,
            _roles_json(account.roles),
            json.dumps(list(account.rings)),
            int(account.active),
            account.created_at,
        )
        try:
            self._execute(
                "INSERT INTO accounts (name, password_hash, roles, rings, active, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                row,
            )
        except IntegrityError:
            return False
        return True

    def find_account(self, name: str) -> Account | None:
        """The account of this name (ignoring case), if any."""
        rows = self._rows("SELECT * FROM accounts WHERE name = ?", (name,))
        return _account(rows[0]) if rows else None

    def accounts(self) -> list[Account]:
        """All accounts by name."""
        return [_account(row) for row in self._rows("SELECT * FROM accounts ORDER BY name")]

    def set_rings(self, name: str, rings: tuple[str, ...]) -> None:
        """Replace the ring memberships of an account."""
        self._execute(
            "UPDATE accounts SET rings = ? WHERE name = ?", (json.dumps(list(rings)), name)
        )

    def set_roles(self, name: str, roles: tuple[Role, ...]) -> None:
        """Replace the roles of an account."""
        self._execute("UPDATE accounts SET roles = ? WHERE name = ?", (_roles_json(roles), name))

    def set_active(self, name: str, active: bool) -> None:
        """Enable or disable an account."""
        self._execute("UPDATE accounts SET active = ? WHERE name = ?", (int(active), name))

    def set_password_hash(self, name: str, password_hash: str) -> None:
        """Replace the stored password hash of an account."""
        self._execute("UPDATE accounts SET password_hash = ? WHERE name = ?", (password_hash, name))

    def active_password_hash(self, name: str) -> str | None:
        """The password hash of the active account of this name; None if there is none."""
        rows = self._rows(
            "SELECT password_hash FROM accounts WHERE name = ? AND active = 1", (name,)
        )
        return str(rows[0]["password_hash"]) if rows else None

    # Sessions (bearer tokens)

    def add_session(
        self, token_hash: str, account_name: str, created_at: str, expires_at: float, now: float
    ) -> None:
        """Store a new session, after removing the sessions expired before `now`."""
        with self._locked() as db:
            db.execute("DELETE FROM sessions WHERE expires_at < ?", (now,))
            db.execute(
                "INSERT INTO sessions (token_hash, account_name, created_at, expires_at) "
                "VALUES (?, ?, ?, ?)",
                (token_hash, account_name, created_at, expires_at),
            )

    def account_for_session(self, token_hash: str, now: float) -> Account | None:
        """The active account of an unexpired session; None otherwise."""
        rows = self._rows(
            "SELECT accounts.* FROM sessions "
            "JOIN accounts ON accounts.name = sessions.account_name "
            "WHERE sessions.token_hash = ? AND sessions.expires_at > ? AND accounts.active = 1",
            (token_hash, now),
        )
        return _account(rows[0]) if rows else None

    def delete_session(self, token_hash: str) -> None:
        """End one session."""
        self._execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))

    def end_sessions(self, account_name: str) -> None:
        """End every session of an account."""
        self._execute("DELETE FROM sessions WHERE account_name = ?", (account_name,))

    # API keys

    def insert_api_key(self, key: ApiKey, key_hash: str) -> None:
        """Store a new API key under the hash of its secret."""
        self._execute(
            "INSERT INTO api_keys (key_id, name, key_hash, roles, rings, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                key.key_id,
                key.name,
                key_hash,
                _roles_json(key.roles),
                json.dumps(list(key.rings)),
                key.created_at,
            ),
        )

    def find_api_key(self, key_id: str) -> ApiKey | None:
        """The API key with this id, revoked or not."""
        rows = self._rows("SELECT * FROM api_keys WHERE key_id = ?", (key_id,))
        return _api_key(rows[0]) if rows else None

    def api_keys(self) -> list[ApiKey]:
        """All API keys, revoked ones included, oldest first."""
        rows = self._rows("SELECT * FROM api_keys ORDER BY created_at, key_id")
        return [_api_key(row) for row in rows]

    def revoke_api_key(self, key_id: str, revoked_at: str) -> None:
        """Mark a key revoked (a key revoked before keeps its first time)."""
        self._execute(
            "UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL",
            (revoked_at, key_id),
        )

    def api_key_for_hash(self, key_hash: str) -> ApiKey | None:
        """The unrevoked key whose secret has this hash; None otherwise."""
        rows = self._rows(
            "SELECT * FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL", (key_hash,)
        )
        return _api_key(rows[0]) if rows else None
