"""Alembic's scripts of the registry schema (`core.persistence.schema.upgrade` runs them)."""
