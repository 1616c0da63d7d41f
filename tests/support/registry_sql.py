"""Raw SQL on a registry's database, for tests that inspect or rig rows directly.

The service itself never does this (its SQL lives in `core.persistence`); a test runs its SQL
(`?` placeholders) through the registry's own engine, on SQLite or PostgreSQL alike, each
statement in a transaction of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.persistence.registry import Registry


def sql_rows(registry: Registry, sql: str, params: Sequence[object] = ()) -> list[dict[str, Any]]:
    """Run a query on the registry's database; its rows as dictionaries."""
    return registry._database._rows(sql, params)


def sql_execute(registry: Registry, sql: str, params: Sequence[object] = ()) -> int:
    """Run one statement on the registry's database; the number of rows it changed."""
    return registry._database._execute(sql, params)
