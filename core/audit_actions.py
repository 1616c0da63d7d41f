"""The actions the audit log records, one word each.

Documents are **deleted** (chunks, registry rows and kept original removed: on request, by
`ingest --prune`, by a re-index that accepted losses) or **withdrawn** by the office (hidden,
kept, restorable). Releases before this one recorded the deletions of `ingest --prune` and of a
re-index as `document.withdraw` with no state after; `stored_action` reads those as
`document.delete`, so old entries list with the word they meant.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class AuditAction(StrEnum):
    """Every action recorded in the audit log; the value is the stored text."""

    ACCOUNT_CREATE = "account.create"
    ACCOUNT_SET_RINGS = "account.set_rings"
    ACCOUNT_SET_ROLES = "account.set_roles"
    ACCOUNT_ENABLE = "account.enable"
    ACCOUNT_DISABLE = "account.disable"
    ACCOUNT_RESET_PASSWORD = "account.reset_password"
    API_KEY_CREATE = "api_key.create"
    API_KEY_REVOKE = "api_key.revoke"
    SIGN_IN = "auth.sign_in"
    SIGN_IN_FAILED = "auth.sign_in_failed"
    SIGN_OUT = "auth.sign_out"
    DOCUMENT_UPLOAD = "document.upload"
    DOCUMENT_EDIT = "document.edit"
    DOCUMENT_WITHDRAW = "document.withdraw"
    DOCUMENT_RESTORE = "document.restore"
    DOCUMENT_DELETE = "document.delete"
    DOCUMENT_REPLACE = "document.replace"
    DOCUMENT_SUPERSEDE = "document.supersede"
    DOCUMENT_UNSUPERSEDE = "document.unsupersede"
    REINDEX_START = "index.reindex.start"
    REINDEX_FINISH = "index.reindex.finish"
    BACKUP_CREATE = "index.backup"


def stored_action(action: str, after: dict[str, Any] | None) -> AuditAction | str:
    """The action of a stored entry, in today's words; text no release knows stays as it is.

    A `document.withdraw` without a state after is a deletion recorded by an earlier release
    (the office's withdrawal always records the withdrawn state after).
    """
    try:
        known = AuditAction(action)
    except ValueError:
        return action
    if known is AuditAction.DOCUMENT_WITHDRAW and after is None:
        return AuditAction.DOCUMENT_DELETE
    return known
