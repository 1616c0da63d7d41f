"""Every table of the registry database and the migrations that build them.

The schema's versions are Alembic revisions (`core/persistence/migrations/versions`, configured
here in code: no alembic.ini). `upgrade` runs when the registry opens: once the database is at
the newest revision it costs one read; otherwise it takes a lock (SQLite: `BEGIN IMMEDIATE`;
PostgreSQL: an advisory lock), reads the revision again (another process may have migrated
meanwhile) and applies the missing revisions.

The first revision (`0001`) is the schema below. On SQLite it is migration 1 of the releases
before Alembic, whose number the database keeps in `PRAGMA user_version`: it brings any earlier
database to the schema without losing rows (it rebuilds a `documents` table whose status CHECK
predates a status, creates the tables and indexes that are missing, adds columns added since
(`pages.method`), and moves the former `knowledge_gaps` table into the query log). A database
that migration 1 already brought up to date (`user_version` 1, no Alembic revision) is stamped
at `0001` as it is. On PostgreSQL the revision creates the same tables (`POSTGRES_SCHEMA`). A
later change of the schema is a new revision, never an edit of an old one.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeAlias

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

Migration: TypeAlias = str | Callable[[sqlite3.Connection], None]

# Statuses of a document: SQLite cannot alter a CHECK, so migration 1 rebuilds an older table.
STATUSES = ("pending", "indexed", "replaced", "withdrawn")
DOCUMENTS_TABLE = """
CREATE TABLE IF NOT EXISTS documents (
    document_id   TEXT PRIMARY KEY,
    sha256        TEXT NOT NULL UNIQUE,
    source_path   TEXT NOT NULL,
    source_name   TEXT NOT NULL,
    title         TEXT NOT NULL,
    metadata      TEXT NOT NULL,
    index_key     TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('pending', 'indexed', 'replaced', 'withdrawn')),
    page_count    INTEGER NOT NULL DEFAULT 0,
    chunk_count   INTEGER NOT NULL DEFAULT 0,
    ingested_at   TEXT NOT NULL
)"""
DOCUMENT_TABLES = """
CREATE INDEX IF NOT EXISTS documents_source_path ON documents (source_path);
CREATE TABLE IF NOT EXISTS serving (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    generation  INTEGER NOT NULL
);
INSERT OR IGNORE INTO serving (id, generation) VALUES (1, 0);
CREATE TABLE IF NOT EXISTS pages (
    document_id TEXT NOT NULL REFERENCES documents (document_id) ON DELETE CASCADE,
    page        INTEGER NOT NULL,
    text        TEXT NOT NULL,
    method      TEXT NOT NULL DEFAULT 'text',
    PRIMARY KEY (document_id, page)
);
CREATE TABLE IF NOT EXISTS document_paths (
    document_id TEXT NOT NULL,
    path        TEXT NOT NULL,
    PRIMARY KEY (document_id, path)
);
CREATE INDEX IF NOT EXISTS document_paths_path ON document_paths (path);
"""
INDEX_STATE_TABLES = """
CREATE TABLE IF NOT EXISTS index_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS staged_documents (
    document_id TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    title       TEXT NOT NULL,
    metadata    TEXT NOT NULL,
    index_key   TEXT NOT NULL,
    page_count  INTEGER NOT NULL,
    chunk_count INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS staged_pages (
    document_id TEXT NOT NULL,
    page        INTEGER NOT NULL,
    text        TEXT NOT NULL,
    method      TEXT NOT NULL,
    PRIMARY KEY (document_id, page)
);
"""
ACCOUNT_TABLES = """
CREATE TABLE IF NOT EXISTS accounts (
    name          TEXT PRIMARY KEY COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    roles         TEXT NOT NULL,
    rings         TEXT NOT NULL,
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash   TEXT PRIMARY KEY,
    account_name TEXT NOT NULL REFERENCES accounts (name) ON DELETE CASCADE,
    created_at   TEXT NOT NULL,
    expires_at   REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS api_keys (
    key_id     TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    key_hash   TEXT NOT NULL UNIQUE,
    roles      TEXT NOT NULL,
    rings      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
"""
LOG_TABLES = """
CREATE TABLE IF NOT EXISTS audit_log (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    at     TEXT NOT NULL,
    actor  TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    before TEXT,
    after  TEXT
);
CREATE TABLE IF NOT EXISTS query_log (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    at               TEXT NOT NULL,
    endpoint         TEXT NOT NULL CHECK (endpoint IN ('search', 'ask')),
    query            TEXT NOT NULL,
    normalized_query TEXT NOT NULL,
    filters          TEXT NOT NULL,
    result_count     INTEGER,
    top_score        REAL,
    abstained        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS query_log_normalized ON query_log (normalized_query);
CREATE TABLE IF NOT EXISTS feedback (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    answer_id INTEGER NOT NULL REFERENCES query_log (id) ON DELETE CASCADE,
    at        TEXT NOT NULL,
    helpful   INTEGER NOT NULL,
    comment   TEXT
);
CREATE INDEX IF NOT EXISTS feedback_answer ON feedback (answer_id);
"""
INGEST_JOB_TABLES = """
CREATE TABLE IF NOT EXISTS ingest_jobs (
    job_id      TEXT PRIMARY KEY,
    state       TEXT NOT NULL
                CHECK (state IN ('queued', 'running', 'done', 'failed', 'interrupted')),
    actor       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    started_at  TEXT,
    finished_at TEXT,
    metadata    TEXT NOT NULL,
    files       TEXT NOT NULL,
    error       TEXT
);
"""
SCHEMA = ";\n".join(
    part.strip().rstrip(";")
    for part in (
        DOCUMENTS_TABLE,
        DOCUMENT_TABLES,
        INDEX_STATE_TABLES,
        ACCOUNT_TABLES,
        LOG_TABLES,
        INGEST_JOB_TABLES,
    )
)
# Columns added after the first release: (table, column, definition).
ADDED_COLUMNS = (("pages", "method", "TEXT NOT NULL DEFAULT 'text'"),)


def normalize_question(query: str) -> str:
    """The wording questions are grouped by (`query_log.normalized_query`): casefolded, spaced."""
    return " ".join(query.split()).casefold()


def statements(script: str) -> list[str]:
    """The statements of a script (no `;` inside a statement), to run inside a transaction."""
    return [statement.strip() for statement in script.split(";") if statement.strip()]


def _table_sql(connection: sqlite3.Connection, table: str) -> str | None:
    row = connection.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).fetchone()
    return str(row[0]) if row else None


def _rebuild_documents_with_every_status(connection: sqlite3.Connection) -> None:
    """Rebuild a `documents` table whose CHECK predates a status, keeping its rows.

    Runs with foreign keys off, so dropping the old table does not cascade to `pages`; the new
    table is renamed, not the old one, so `pages` keeps referring to `documents`.
    """
    old = _table_sql(connection, "documents")
    if old is None or all(f"'{status}'" in old for status in STATUSES):
        return
    columns = ", ".join(str(row[1]) for row in connection.execute("PRAGMA table_info(documents)"))
    connection.execute(DOCUMENTS_TABLE.replace(" documents (", " documents_rebuilt (", 1))
    connection.execute(f"INSERT INTO documents_rebuilt ({columns}) SELECT {columns} FROM documents")
    connection.execute("DROP TABLE documents")  # drops its index too; the schema creates it
    connection.execute("ALTER TABLE documents_rebuilt RENAME TO documents")


def _add_missing_columns(connection: sqlite3.Connection) -> None:
    for table, name, definition in ADDED_COLUMNS:
        present = {str(row[1]) for row in connection.execute(f"PRAGMA table_info({table})")}
        if name not in present:
            connection.execute(f"ALTER TABLE {table} ADD COLUMN {name} {definition}")


def _move_knowledge_gaps(connection: sqlite3.Connection) -> None:
    """Abstentions recorded before the query log existed become query log rows.

    Their score was another measure (dropped), their passages were not counted.
    """
    if _table_sql(connection, "knowledge_gaps") is not None:
        connection.execute(
            "INSERT INTO query_log (at, endpoint, query, normalized_query, filters, abstained) "
            "SELECT asked_at, 'ask', query, '', filters, 1 FROM knowledge_gaps ORDER BY id"
        )
        connection.execute("DROP TABLE knowledge_gaps")
    rows = connection.execute("SELECT id, query FROM query_log WHERE normalized_query = ''")
    connection.executemany(
        "UPDATE query_log SET normalized_query = ? WHERE id = ?",
        [(normalize_question(str(query)), row_id) for row_id, query in rows.fetchall()],
    )


def _bring_earlier_releases_up_to_date(connection: sqlite3.Connection) -> None:
    """Migration 1: any database of an earlier release (or none) to the schema above."""
    _rebuild_documents_with_every_status(connection)
    for statement in statements(SCHEMA):
        connection.execute(statement)
    _add_missing_columns(connection)
    _move_knowledge_gaps(connection)


MIGRATIONS: list[tuple[int, Migration]] = [
    (1, _bring_earlier_releases_up_to_date),
]
LATEST_VERSION = MIGRATIONS[-1][0]


def schema_version(connection: sqlite3.Connection) -> int:
    """The number of the last migration applied to the database."""
    return int(connection.execute("PRAGMA user_version").fetchone()[0])


def _apply(connection: sqlite3.Connection, migration: Migration) -> None:
    if isinstance(migration, str):
        for statement in statements(migration):
            connection.execute(statement)
    else:
        migration(connection)


def apply_numbered_migrations(connection: sqlite3.Connection) -> None:
    """Apply the numbered migrations a SQLite database lacks (`user_version`), in the caller's
    transaction, with foreign keys off (a table rebuild must not cascade)."""
    current = schema_version(connection)
    for version, migration in MIGRATIONS:
        if version > current:
            _apply(connection, migration)
            connection.execute(f"PRAGMA user_version = {int(version)}")


# The same tables on PostgreSQL: identity columns for AUTOINCREMENT, DOUBLE PRECISION for REAL,
# an ICU collation that ignores case for account names (SQLite: NOCASE), and `ingest_jobs.seq`
# for the order of insertion (SQLite: `rowid`). Times stay ISO text, flags 0/1 integers.
POSTGRES_SCHEMA = """
CREATE COLLATION IF NOT EXISTS blok_nocase
    (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE TABLE documents (
    document_id   TEXT PRIMARY KEY,
    sha256        TEXT NOT NULL UNIQUE,
    source_path   TEXT NOT NULL,
    source_name   TEXT NOT NULL,
    title         TEXT NOT NULL,
    metadata      TEXT NOT NULL,
    index_key     TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('pending', 'indexed', 'replaced', 'withdrawn')),
    page_count    INTEGER NOT NULL DEFAULT 0,
    chunk_count   INTEGER NOT NULL DEFAULT 0,
    ingested_at   TEXT NOT NULL
);
CREATE INDEX documents_source_path ON documents (source_path);
CREATE TABLE serving (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    generation  BIGINT NOT NULL
);
INSERT INTO serving (id, generation) VALUES (1, 0);
CREATE TABLE pages (
    document_id TEXT NOT NULL REFERENCES documents (document_id) ON DELETE CASCADE,
    page        INTEGER NOT NULL,
    text        TEXT NOT NULL,
    method      TEXT NOT NULL DEFAULT 'text',
    PRIMARY KEY (document_id, page)
);
CREATE TABLE document_paths (
    document_id TEXT NOT NULL,
    path        TEXT NOT NULL,
    PRIMARY KEY (document_id, path)
);
CREATE INDEX document_paths_path ON document_paths (path);
CREATE TABLE index_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE staged_documents (
    document_id TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    title       TEXT NOT NULL,
    metadata    TEXT NOT NULL,
    index_key   TEXT NOT NULL,
    page_count  INTEGER NOT NULL,
    chunk_count INTEGER NOT NULL
);
CREATE TABLE staged_pages (
    document_id TEXT NOT NULL,
    page        INTEGER NOT NULL,
    text        TEXT NOT NULL,
    method      TEXT NOT NULL,
    PRIMARY KEY (document_id, page)
);
CREATE TABLE accounts (
    name          TEXT COLLATE blok_nocase PRIMARY KEY,
    password_hash TEXT NOT NULL,
    roles         TEXT NOT NULL,
    rings         TEXT NOT NULL,
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL
);
CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    account_name TEXT COLLATE blok_nocase NOT NULL
                 REFERENCES accounts (name) ON DELETE CASCADE,
    created_at   TEXT NOT NULL,
    expires_at   DOUBLE PRECISION NOT NULL
);
CREATE TABLE api_keys (
    key_id     TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    key_hash   TEXT NOT NULL UNIQUE,
    roles      TEXT NOT NULL,
    rings      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE TABLE audit_log (
    id     BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    at     TEXT NOT NULL,
    actor  TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    before TEXT,
    after  TEXT
);
CREATE TABLE query_log (
    id               BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    at               TEXT NOT NULL,
    endpoint         TEXT NOT NULL CHECK (endpoint IN ('search', 'ask')),
    query            TEXT NOT NULL,
    normalized_query TEXT NOT NULL,
    filters          TEXT NOT NULL,
    result_count     INTEGER,
    top_score        DOUBLE PRECISION,
    abstained        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX query_log_normalized ON query_log (normalized_query);
CREATE TABLE feedback (
    id        BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    answer_id BIGINT NOT NULL REFERENCES query_log (id) ON DELETE CASCADE,
    at        TEXT NOT NULL,
    helpful   INTEGER NOT NULL,
    comment   TEXT
);
CREATE INDEX feedback_answer ON feedback (answer_id);
CREATE TABLE ingest_jobs (
    job_id      TEXT PRIMARY KEY,
    seq         BIGINT GENERATED ALWAYS AS IDENTITY,
    state       TEXT NOT NULL
                CHECK (state IN ('queued', 'running', 'done', 'failed', 'interrupted')),
    actor       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    started_at  TEXT,
    finished_at TEXT,
    metadata    TEXT NOT NULL,
    files       TEXT NOT NULL,
    error       TEXT
)
"""
MIGRATIONS_DIR = Path(__file__).with_name("migrations")
FIRST_REVISION = "0001"
# The advisory lock (any 64-bit number) PostgreSQL processes take while they migrate.
POSTGRES_MIGRATION_LOCK = 7_406_201_515
# The threads of one process open SQLite registries one at a time: a new file's first connections
# would otherwise race to switch it to WAL and to create its tables. Between processes SQLite's
# busy timeout orders them.
_SQLITE_OPENING = threading.Lock()


def _alembic_config(connection: sa.Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision of the schema."""
    head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    assert head is not None
    return head


def _current_revisions(connection: sa.Connection) -> set[str]:
    return set(MigrationContext.configure(connection).get_current_heads())


def _stamp_numbered_database(connection: sa.Connection, script: ScriptDirectory) -> None:
    """A SQLite database that migration 1 brought up to date gets Alembic's first revision."""
    if connection.dialect.name != "sqlite" or _current_revisions(connection):
        return
    version = connection.exec_driver_sql("PRAGMA user_version").scalar_one()
    if int(version) >= LATEST_VERSION:
        MigrationContext.configure(connection).stamp(script, FIRST_REVISION)


def upgrade(engine: sa.Engine) -> None:
    """Bring the registry to the newest revision; safe when several processes open it at once.

    The one who migrates holds a lock (SQLite: the write lock of `BEGIN IMMEDIATE`, with foreign
    keys off for the revision's table rebuilds; PostgreSQL: an advisory lock); the others wait
    for it, then find the revision current.
    """
    if engine.dialect.name == "sqlite":
        with _SQLITE_OPENING:
            _upgrade(engine)
    else:
        _upgrade(engine)


def _upgrade(engine: sa.Engine) -> None:
    with engine.connect() as connection:
        script = ScriptDirectory.from_config(_alembic_config(connection))
        heads = set(script.get_heads())
        current = _current_revisions(connection)
        connection.commit()
        if current == heads:
            return
        if connection.dialect.name == "sqlite":
            raw = connection.connection.driver_connection
            assert isinstance(raw, sqlite3.Connection)
            raw.execute("PRAGMA foreign_keys=OFF")
            connection.execution_options(immediate=True)
            try:
                with connection.begin():
                    _stamp_numbered_database(connection, script)
                    command.upgrade(_alembic_config(connection), "head")
            finally:
                connection.execution_options(immediate=False)
                raw.execute("PRAGMA foreign_keys=ON")
            return
        connection.exec_driver_sql(f"SELECT pg_advisory_lock({POSTGRES_MIGRATION_LOCK})")
        connection.commit()
        try:
            with connection.begin():
                command.upgrade(_alembic_config(connection), "head")
        finally:
            connection.exec_driver_sql(f"SELECT pg_advisory_unlock({POSTGRES_MIGRATION_LOCK})")
            connection.commit()
