"""Rate limit events in the registry, so that several service processes count together.

One row per counted event (a failed sign-in, a feedback) and key (account and address, address):
the limiter of `bucket` counts a key's rows of its window (`core.persistence.rate_events`).
The same statements on SQLite and PostgreSQL (`DOUBLE PRECISION` is a REAL on SQLite).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create `rate_events` and its index."""
    op.execute(
        "CREATE TABLE rate_events ("
        " bucket TEXT NOT NULL,"
        " key    TEXT NOT NULL,"
        " at     DOUBLE PRECISION NOT NULL)"
    )
    op.execute("CREATE INDEX rate_events_key ON rate_events (bucket, key, at)")
