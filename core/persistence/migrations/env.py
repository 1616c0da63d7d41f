"""Alembic's environment: runs the revisions on the connection `schema.upgrade` hands over.

No alembic.ini, no URL here: `core.persistence.schema.upgrade` opens the connection, takes the
lock and begins the transaction, then calls `alembic.command.upgrade` with the connection in the
configuration's attributes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

connection = context.config.attributes["connection"]
assert isinstance(connection, sa.Connection)
context.configure(connection=connection, target_metadata=None)
with context.begin_transaction():
    context.run_migrations()
