"""The one connection to the registry database (SQLite) and the base class of its repositories.

`Database` opens the file (WAL, foreign keys), brings its schema up to date
(`core.persistence.schema`) and serialises every statement of the threads of one process with a
lock. Its query methods are private: only `Repository` (and so the repositories of
`core.persistence`) call them; nothing outside this package writes SQL or reaches the
connection.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, TypeAlias

from core.persistence.schema import migrate

Params: TypeAlias = Sequence[object] | Mapping[str, object]
Row: TypeAlias = dict[str, Any]


def utc_now_text() -> str:
    """The current time as the registry stores times: UTC, ISO 8601 to the second."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class Database:
    """One SQLite connection, safe to share between the threads of one process."""

    def __init__(self, path: Path) -> None:
        """Open (or create) the database at `path` and migrate it to the current schema."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._connection.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        try:
            self._connection.execute("PRAGMA journal_mode=WAL")
            migrate(self._connection)  # with foreign keys off: a table rebuild must not cascade
            self._connection.execute("PRAGMA foreign_keys=ON")
        except BaseException:
            self._connection.close()
            raise

    def close(self) -> None:
        """Close the connection."""
        self._connection.close()

    def copy_to(self, target: Path) -> None:
        """Write a consistent copy of the whole database to `target` (SQLite's backup API).

        Runs between this process's statements; other processes may go on writing meanwhile.
        """
        with self._lock:
            copy = sqlite3.connect(target)
            try:
                self._connection.backup(copy)
            finally:
                copy.close()

    def _rows(self, sql: str, params: Params = ()) -> list[Row]:
        with self._lock:
            return [dict(row) for row in self._connection.execute(sql, params).fetchall()]

    def _execute(self, sql: str, params: Params = ()) -> int:
        with self._lock:
            return self._connection.execute(sql, params).rowcount

    @contextmanager
    def _locked(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self._connection

    @contextmanager
    def _transaction(self, *, immediate: bool) -> Iterator[sqlite3.Connection]:
        with self._lock, self._connection:
            self._connection.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
            yield self._connection


class Repository:
    """Base of the repositories: the SQL of one table group, run on the shared `Database`."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def _rows(self, sql: str, params: Params = ()) -> list[Row]:
        """Run a query; its rows as dictionaries."""
        return self._database._rows(sql, params)

    def _execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement on its own (autocommit); the number of rows it changed."""
        return self._database._execute(sql, params)

    def _locked(self) -> AbstractContextManager[sqlite3.Connection]:
        """The connection under the lock, for several autocommit statements in a row."""
        return self._database._locked()

    def _transaction(self, *, immediate: bool = True) -> AbstractContextManager[sqlite3.Connection]:
        """One transaction under the lock, committed at the end or rolled back.

        `immediate` takes the write lock at once; without it the transaction starts deferred
        (a consistent snapshot for reads, or writes that may wait for the lock).
        """
        return self._database._transaction(immediate=immediate)
