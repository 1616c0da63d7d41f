"""The schema of migration 1: every table of the registry (`core.persistence.schema`).

On SQLite it is the numbered migration 1 (a new database, or one of a release before the
migrations, keeping its rows), recorded in `PRAGMA user_version` as before; on PostgreSQL the
same tables from `POSTGRES_SCHEMA`. There is no downgrade: restore a backup instead.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlite3

from alembic import op

from core.persistence.schema import POSTGRES_SCHEMA, apply_numbered_migrations, statements

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create (or, on SQLite, bring up to date) every table."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        raw = bind.connection.driver_connection
        assert isinstance(raw, sqlite3.Connection)
        apply_numbered_migrations(raw)
        return
    for statement in statements(POSTGRES_SCHEMA):
        bind.exec_driver_sql(statement)
