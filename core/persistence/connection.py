"""The one connection to the registry database and the base class of its repositories.

The registry is SQLite (a file, the embedded default) or PostgreSQL (a URL,
`BLOK_REGISTRY__URL`), both through SQLAlchemy Core. `Database` brings the schema up to date
(`core.persistence.schema`) and then holds one engine:

- SQLite: one connection (WAL, foreign keys), shared by the threads of one process under a lock,
  as the service always had it;
- PostgreSQL: a pool of connections (psycopg 3), no lock in this process; the database's own
  locks order the writers of every process.

Its query methods are private: only `Repository` (and so the repositories of
`core.persistence`) call them; nothing outside this package writes SQL or reaches the
connection. The SQL of the repositories is written once for both databases (`?` placeholders,
`ON CONFLICT`, `RETURNING`, `UPDATE ... FROM`); the few statements that differ ask `dialect`.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Literal, TypeAlias

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.pool import StaticPool

from core.persistence.dumps import dump_registry
from core.persistence.schema import upgrade

Params: TypeAlias = Sequence[object] | Mapping[str, object]
Row: TypeAlias = dict[str, Any]
Dialect: TypeAlias = Literal["sqlite", "postgresql"]
# On PostgreSQL a write transaction that needs the whole registry to itself (SQLite's
# `BEGIN IMMEDIATE`) locks the one row of `serving` first: every such transaction, and every
# change of the serving generation, waits for the one before.
POSTGRES_WRITE_LOCK = "SELECT generation FROM serving WHERE id = 1 FOR UPDATE"


def utc_now_text() -> str:
    """The current time as the registry stores times: UTC, ISO 8601 to the second."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def database_url(location: Path | str) -> sa.URL:
    """The SQLAlchemy URL of a registry: a path is a SQLite file, text a database URL.

    `postgresql://` and `postgres://` URLs are spoken through psycopg 3.

    Raises:
        ValueError: a URL of another database.
    """
    if isinstance(location, Path):
        return sa.URL.create("sqlite", database=str(location))
    url = sa.make_url(location)
    if url.drivername in ("postgresql", "postgres", "postgresql+psycopg"):
        return url.set(drivername="postgresql+psycopg")
    if url.drivername == "sqlite" and url.database:
        return url
    raise ValueError(
        f"the registry URL must be postgresql://... or sqlite:///FILE, got {url.drivername}://"
    )


# How long a SQLite statement waits for another process's write lock before it fails. A busy
# machine of two cores can hold a migration or a large commit for more than Python's 5 s.
SQLITE_BUSY_TIMEOUT_SECONDS = 20.0


def create_engine(url: sa.URL) -> sa.Engine:
    """An engine for the registry at `url` (SQLite: one shared connection; PostgreSQL: a pool).

    SQLite transactions are begun by this engine (`BEGIN`, or `BEGIN IMMEDIATE` when the
    connection's execution option `immediate` is set), not by Python's sqlite3 module.
    """
    if url.get_backend_name() != "sqlite":
        return sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    engine = sa.create_engine(
        url,
        poolclass=StaticPool,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
    )

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA journal_mode=WAL")
        dbapi_connection.execute("PRAGMA foreign_keys=ON")

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: sa.Connection) -> None:
        immediate = connection.get_execution_options().get("immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _bind(sql: str, params: Params) -> tuple[sa.TextClause, dict[str, object]]:
    """`sql` with its `?` placeholders numbered (`:p0`, `:p1`, ...) and their values by name."""
    if isinstance(params, Mapping):
        return sa.text(sql), dict(params)
    parts = sql.split("?")
    if len(parts) - 1 != len(params):
        raise ValueError(f"{len(parts) - 1} placeholders for {len(params)} values: {sql}")
    numbered = parts[0] + "".join(f":p{n}{part}" for n, part in enumerate(parts[1:]))
    return sa.text(numbered), {f"p{n}": value for n, value in enumerate(params)}


class Statements:
    """The statements of one transaction (`Repository._transaction`, `Repository._locked`)."""

    def __init__(self, connection: sa.Connection) -> None:
        self._connection = connection

    def execute(self, sql: str, params: Params = ()) -> CursorResult[Any]:
        """Run one statement; its result (`fetchone`, `fetchall`, `rowcount`)."""
        statement, values = _bind(sql, params)
        return self._connection.execute(statement, values)

    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        """Run one statement once per row of values (nothing when there are none)."""
        batch = [_bind(sql, row) for row in rows]
        if batch:
            self._connection.execute(batch[0][0], [values for _, values in batch])


class Database:
    """The registry's engine: safe to share between the threads of one process."""

    def __init__(self, location: Path | str) -> None:
        """Open (or create) the registry at `location` and migrate it to the current schema.

        A path (or a `sqlite:///` URL) is a SQLite file; a `postgresql://` URL a database
        that exists (the schema is created in it).
        """
        self.url = database_url(location)
        sqlite = self.url.get_backend_name() == "sqlite"
        self.dialect: Dialect = "sqlite" if sqlite else "postgresql"
        if self.dialect == "sqlite":
            Path(str(self.url.database)).parent.mkdir(parents=True, exist_ok=True)
        self.engine = create_engine(self.url)
        try:
            upgrade(self.engine)
        except BaseException:
            self.engine.dispose()
            raise
        # SQLite: one connection, one transaction at a time under the lock (as before);
        # PostgreSQL: a connection of the pool per transaction, no lock in this process.
        self._lock = threading.Lock()
        self._sqlite_connection = self.engine.connect() if self.dialect == "sqlite" else None

    def close(self) -> None:
        """Close the connections."""
        if self._sqlite_connection is not None:
            self._sqlite_connection.close()
        self.engine.dispose()

    def copy_to(self, target: Path) -> None:
        """Write a consistent copy of the whole database to the file `target`.

        SQLite: a database file, by SQLite's backup API between this process's statements;
        PostgreSQL: a `pg_dump` of one snapshot (`core.persistence.dumps`). Other processes may
        go on writing meanwhile.

        Raises:
            BackupError: pg_dump is missing or failed.
        """
        if self._sqlite_connection is None:
            dump_registry(self.engine, target)
            return
        with self._lock:
            source = self._sqlite_connection.connection.driver_connection
            assert isinstance(source, sqlite3.Connection)
            copy = sqlite3.connect(target)
            try:
                source.backup(copy)
            finally:
                copy.close()

    def _rows(self, sql: str, params: Params = ()) -> list[Row]:
        with self._transaction(immediate=False) as statements:
            return [dict(row._mapping) for row in statements.execute(sql, params)]

    def _execute(self, sql: str, params: Params = ()) -> int:
        with self._transaction(immediate=False) as statements:
            return statements.execute(sql, params).rowcount

    @contextmanager
    def _transaction(self, *, immediate: bool) -> Iterator[Statements]:
        if self._sqlite_connection is not None:  # the one connection, under the lock
            with self._lock:
                connection = self._sqlite_connection.execution_options(immediate=immediate)
                with connection.begin():
                    yield Statements(connection)
            return
        with self.engine.connect() as connection, connection.begin():
            if immediate:
                connection.exec_driver_sql(POSTGRES_WRITE_LOCK)
            yield Statements(connection)


class Repository:
    """Base of the repositories: the SQL of one table group, run on the shared `Database`."""

    def __init__(self, database: Database) -> None:
        self._database = database

    @property
    def _dialect(self) -> Dialect:
        """`sqlite` or `postgresql`, for the few statements the two write differently."""
        return self._database.dialect

    def _rows(self, sql: str, params: Params = ()) -> list[Row]:
        """Run a query; its rows as dictionaries."""
        return self._database._rows(sql, params)

    def _execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement in its own transaction; the number of rows it changed."""
        return self._database._execute(sql, params)

    def _locked(self) -> AbstractContextManager[Statements]:
        """Several statements in one transaction (begun deferred: waits for no other writer)."""
        return self._database._transaction(immediate=False)

    def _transaction(self, *, immediate: bool = True) -> AbstractContextManager[Statements]:
        """One transaction, committed at the end or rolled back.

        `immediate` takes the write lock at once (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: the
        row of `serving`, `POSTGRES_WRITE_LOCK`); without it the transaction starts deferred
        (reads, or writes that may wait for the lock).
        """
        return self._database._transaction(immediate=immediate)
