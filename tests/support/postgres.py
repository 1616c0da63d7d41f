"""The PostgreSQL of the tests: `scripts/test.sh` starts one and exports its URL.

Every registry test runs on SQLite and on PostgreSQL (`registry_location` in `tests/conftest.py`).
On PostgreSQL each test gets a schema of its own in the one test database, dropped afterwards.
Without `BLOK_TEST_POSTGRES_URL` the PostgreSQL runs are skipped, except under `CI=true`, where
a missing PostgreSQL fails them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

URL_VARIABLE = "BLOK_TEST_POSTGRES_URL"
BACKENDS = ("sqlite", pytest.param("postgresql", marks=pytest.mark.postgres))


def postgres_url() -> str:
    """The test PostgreSQL's URL; skips the test (fails it under `CI=true`) when there is none."""
    url = os.environ.get(URL_VARIABLE, "").strip()
    if url:
        return url
    reason = (
        f"{URL_VARIABLE} is not set: no PostgreSQL to run this registry test on "
        "(scripts/test.sh starts one with scripts/postgres.sh)"
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true needs the PostgreSQL tests to run: {reason}")
    pytest.skip(reason)


@contextmanager
def fresh_schema(url: str) -> Iterator[str]:
    """A URL of the test database whose search path is a new, empty schema (dropped after)."""
    schema = f"test_{uuid.uuid4().hex[:16]}"
    base = sa.make_url(url).set(drivername="postgresql+psycopg")
    admin = sa.create_engine(base, poolclass=sa.pool.NullPool)
    try:
        with admin.begin() as connection:
            connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
        scoped = base.update_query_dict({"options": f"-csearch_path={schema}"})
        yield scoped.render_as_string(hide_password=False)
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    finally:
        admin.dispose()
