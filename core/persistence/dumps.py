"""A registry on PostgreSQL in a backup: `pg_dump` into one file, `pg_restore` from it.

The dump is PostgreSQL's custom format of the registry's schema (`public`, or the schema the URL's
search path names), taken in one snapshot: what the database held at the moment `pg_dump`
started. It is restored only into a database that holds none of the registry's tables yet. The
programs come from PostgreSQL's client package (Debian: postgresql-client); their major version
must not be older than the server's.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import sqlalchemy as sa

from core.errors import BackupError

DUMP_NAME = "registry.pgdump"


def libpq_url(url: sa.URL) -> str:
    """The URL as PostgreSQL's own programs read it (no SQLAlchemy driver name)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _program(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed: a registry on PostgreSQL is backed up and restored with "
            "PostgreSQL's client programs (Debian: postgresql-client)."
        )
    return found


def _run(command: list[str], what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise BackupError(f"{what} failed: {detail[-1] if detail else done.returncode}")


def dump_registry(engine: sa.Engine, target: Path) -> None:
    """Write the registry's schema and rows to `target` with `pg_dump`.

    Raises:
        BackupError: pg_dump is missing or failed.
    """
    with engine.connect() as connection:
        schema = str(connection.execute(sa.text("SELECT current_schema()")).scalar_one())
    command = [_program("pg_dump"), "--format=custom", "--no-owner", f"--file={target}"]
    if schema != "public":  # a schema of its own: only that one
        command.append(f"--schema={schema}")
    _run([*command, f"--dbname={libpq_url(engine.url)}"], "pg_dump of the registry")


def restore_registry(engine: sa.Engine, source: Path) -> None:
    """Restore a dump of `dump_registry` into the database of `engine`, which must be empty.

    Raises:
        BackupError: the database already holds registry tables, or pg_restore failed.
    """
    with engine.connect() as connection:
        tables = sa.inspect(connection).get_table_names()
    if tables:
        raise BackupError(
            f"The database to restore into already holds tables ({', '.join(sorted(tables)[:3])}"
            "…): restore into a new, empty database."
        )
    command = [_program("pg_restore"), "--no-owner", "--exit-on-error", "--single-transaction"]
    _run([*command, f"--dbname={libpq_url(engine.url)}", str(source)], "pg_restore")
