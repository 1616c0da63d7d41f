"""The audit log: who did what to which account, API key or document, when, before and after.

Every account and API key change (`core.accounts`), every sign-in, and every change to a
document (`ingest.lifecycle`, `ingest.curation`) records one entry in the registry's `audit_log`
table; the actions are `core.audit_actions.AuditAction`. Entries never hold
secrets: a password change is noted as such, API keys and hashes never appear; `record` refuses
a state that names a secret field, so a mistake fails loudly instead of leaking.

Actors: `cli:<os user>` for the command line on the server, `account:<name>` or
`api_key:<name>` for the API, `system` for other in-process callers (tests, scripts).
"""

from __future__ import annotations

import getpass
import json
from dataclasses import dataclass
from typing import Any

from core.access import Principal
from core.audit_actions import AuditAction, stored_action
from core.persistence.connection import Repository, Row, utc_now_text

SYSTEM_ACTOR = "system"
# Field names a before/after state must never carry.
SECRET_FIELDS = frozenset(
    {"password", "password_hash", "key", "key_hash", "secret", "token", "token_hash"}
)
MAX_PAGE = 500


def cli_actor() -> str:
    """The actor of a command run on the server: `cli:` and the operating system user."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no user name in the environment or the password database
        user = "unknown"
    return f"cli:{user}"


def principal_actor(principal: Principal) -> str:
    """The actor of an API request: the principal's kind and name (`account:anna`)."""
    return f"{principal.kind}:{principal.name}"


@dataclass(frozen=True)
class AuditEntry:
    """One recorded action; `action` is text only for actions no release of this code knows."""

    id: int
    at: str
    actor: str
    action: AuditAction | str
    target: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def _state_json(state: dict[str, Any] | None) -> str | None:
    if state is None:
        return None
    secret = SECRET_FIELDS.intersection(state)
    if secret:
        raise ValueError(f"an audit entry must not hold secrets: {sorted(secret)}")
    return json.dumps(state, ensure_ascii=False, sort_keys=True)


def _entry(row: Row) -> AuditEntry:
    before = json.loads(row["before"]) if row["before"] is not None else None
    after = json.loads(row["after"]) if row["after"] is not None else None
    return AuditEntry(
        id=int(row["id"]),
        at=str(row["at"]),
        actor=str(row["actor"]),
        action=stored_action(str(row["action"]), after),
        target=str(row["target"]),
        before=before,
        after=after,
    )


class AuditLog(Repository):
    """Append-only audit entries (the `audit_log` table)."""

    def record(
        self,
        *,
        actor: str,
        action: AuditAction,
        target: str,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> None:
        """Append one entry (`before` None: the thing was created; `after` None: removed).

        Raises:
            ValueError: `before` or `after` names a secret field.
        """
        row = (
            utc_now_text(),
            actor,
            str(action),  # a StrEnum's text; plain text from scripts and tests is kept as is
            target,
            _state_json(before),
            _state_json(after),
        )
        self._execute(
            "INSERT INTO audit_log (at, actor, action, target, before, after) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            row,
        )

    def entries(self, *, limit: int = 50, before_id: int | None = None) -> list[AuditEntry]:
        """Entries newest first; `before_id` pages on to the entries older than that id."""
        limit = max(1, min(limit, MAX_PAGE))
        if before_id is None:
            rows = self._rows("SELECT * FROM audit_log ORDER BY id DESC LIMIT ?", (limit,))
        else:
            rows = self._rows(
                "SELECT * FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT ?", (before_id, limit)
            )
        return [_entry(row) for row in rows]

    def delete_before(self, cutoff: str) -> int:
        """Delete the entries recorded before `cutoff` (retention); returns how many."""
        return self._execute("DELETE FROM audit_log WHERE at < ?", (cutoff,))
