"""Raw SQL on a registry's database file, for tests that inspect or rig rows directly.

The service itself never does this (its SQL lives in `core.persistence`); a test opens its own
short-lived connection to the same file (WAL: the registry sees the change at its next read).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from core.persistence.registry import Registry


def _connect(registry: Registry) -> sqlite3.Connection:
    connection = sqlite3.connect(registry.path, isolation_level=None, timeout=30)
    connection.row_factory = sqlite3.Row
    connection.execute("PRAGMA foreign_keys=ON")
    return connection


def sql_rows(registry: Registry, sql: str, params: Sequence[object] = ()) -> list[dict[str, Any]]:
    """Run a query on the registry's database; its rows as dictionaries."""
    connection = _connect(registry)
    try:
        return [dict(row) for row in connection.execute(sql, params).fetchall()]
    finally:
        connection.close()


def sql_execute(registry: Registry, sql: str, params: Sequence[object] = ()) -> int:
    """Run one statement on the registry's database; the number of rows it changed."""
    connection = _connect(registry)
    try:
        return connection.execute(sql, params).rowcount
    finally:
        connection.close()
