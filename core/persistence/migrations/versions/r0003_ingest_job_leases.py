"""Ingest jobs are claimed under a lease, so that several processes can run them.

`owner` is the worker holding the job (None: nobody), `lease_until` when its hold ends unless it
renews it (seconds since the epoch), `turn_at` when its last turn ended (the next claim takes the
job whose turn is longest ago, a new job first), `writing` the documents its current file is
writing (JSON), which the recovery of another process leaves alone (`search_service.ingest_jobs`).
The same statements on SQLite and PostgreSQL (`DOUBLE PRECISION` is a REAL on SQLite).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the claim columns to `ingest_jobs` and an index for the claim."""
    op.execute("ALTER TABLE ingest_jobs ADD COLUMN owner TEXT")
    op.execute("ALTER TABLE ingest_jobs ADD COLUMN lease_until DOUBLE PRECISION")
    op.execute("ALTER TABLE ingest_jobs ADD COLUMN turn_at DOUBLE PRECISION")
    op.execute("ALTER TABLE ingest_jobs ADD COLUMN writing TEXT NOT NULL DEFAULT '[]'")
    op.execute("CREATE INDEX ingest_jobs_state ON ingest_jobs (state, turn_at)")
