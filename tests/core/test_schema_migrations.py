"""The registry's schema: numbered migrations bring a database of an earlier release up to date.

A database written before the migrations has no `user_version`; opening it applies migration 1
once, keeping every row; opening it again changes nothing. Since the schema versions are Alembic
revisions, migration 1 is the first revision on SQLite, and a database it built before Alembic is
stamped at that revision as it is.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from core.persistence.registry import Registry
from core.persistence.schema import (
    LATEST_VERSION,
    MIGRATIONS,
    apply_numbered_migrations,
    head_revision,
)
from tests.support.old_registry import FIRST_RELEASE_TABLES
from tests.support.registry_sql import sql_rows

OLD_RELEASE = (
    FIRST_RELEASE_TABLES
    + """
INSERT INTO documents VALUES
    ('d1', 'sha-d1', '/korpus/protokoll.txt', 'protokoll.txt', 'Protokoll VR 3', '{"ring": "vr3"}',
     'k1', 'indexed', 2, 5, '2024-01-01T00:00:00+00:00');
INSERT INTO pages VALUES ('d1', 1, 'Seite eins'), ('d1', 2, 'Seite zwei');
"""
)
CURRENT_TABLES = {
    "documents",
    "serving",
    "pages",
    "document_paths",
    "index_state",
    "staged_documents",
    "staged_pages",
    "accounts",
    "sessions",
    "api_keys",
    "audit_log",
    "query_log",
    "feedback",
    "ingest_jobs",
}


def old_release_database(path: Path) -> None:
    with sqlite3.connect(path) as connection:
        connection.executescript(OLD_RELEASE)
    connection.close()


def user_version(path: Path) -> int:
    connection = sqlite3.connect(path)
    try:
        return int(connection.execute("PRAGMA user_version").fetchone()[0])
    finally:
        connection.close()


def test_the_migrations_are_numbered_one_after_another() -> None:
    assert [version for version, _ in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))
    assert len(MIGRATIONS) == LATEST_VERSION


def test_an_old_release_database_is_migrated_with_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "blok.db"
    old_release_database(path)
    assert user_version(path) == 0
    registry = Registry(path)
    try:
        assert user_version(path) == LATEST_VERSION
        tables = sql_rows(registry, "SELECT name FROM sqlite_master WHERE type = 'table'")
        assert {row["name"] for row in tables} >= CURRENT_TABLES
        record = registry.documents.get("d1")
        assert record is not None
        assert (record.title, record.metadata, record.page_count, record.chunk_count) == (
            "Protokoll VR 3",
            {"ring": "vr3"},
            2,
            5,
        )
        assert registry.documents.page_text("d1", 2) == "Seite zwei"
        methods = sql_rows(registry, "SELECT method FROM pages ORDER BY page")
        assert methods == [{"method": "text"}, {"method": "text"}]
        assert registry.documents.find_by_path("/korpus/protokoll.txt") == [record]
        assert registry.documents.change_status("d1", "indexed", "withdrawn")  # the new CHECK
        assert registry.documents.hidden_documents().document_ids == {"d1"}
        registry.documents.delete("d1")
        assert registry.documents.page_text("d1", 1) is None  # the cascade survived the rebuild
    finally:
        registry.close()


def test_opening_a_migrated_database_again_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "blok.db"
    old_release_database(path)
    Registry(path).close()
    schema = sqlite3.connect(path)
    before = schema.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
    schema.close()
    for _ in range(2):
        Registry(path).close()
        assert user_version(path) == LATEST_VERSION
    schema = sqlite3.connect(path)
    after = schema.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
    rows = schema.execute("SELECT document_id, status FROM documents").fetchall()
    schema.close()
    assert after == before
    assert rows == [("d1", "indexed")]


def test_a_new_database_gets_the_latest_version(tmp_path: Path) -> None:
    registry = Registry(tmp_path / "neu" / "blok.db")
    try:
        assert user_version(tmp_path / "neu" / "blok.db") == LATEST_VERSION
        assert registry.documents.serving_generation() == 0
    finally:
        registry.close()


def test_two_openers_at_once_migrate_once(tmp_path: Path) -> None:
    path = tmp_path / "blok.db"
    old_release_database(path)
    failures: list[BaseException] = []
    start = threading.Barrier(4)

    def open_registry() -> None:
        try:
            start.wait()
            Registry(path).close()
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    openers = [threading.Thread(target=open_registry) for _ in range(4)]
    for opener in openers:
        opener.start()
    for opener in openers:
        opener.join(timeout=60)
    assert not failures, failures
    assert user_version(path) == LATEST_VERSION
    connection = sqlite3.connect(path)
    try:
        assert connection.execute("SELECT COUNT(*) FROM pages").fetchone()[0] == 2
        assert connection.execute("SELECT COUNT(*) FROM serving").fetchone()[0] == 1
    finally:
        connection.close()


def test_a_database_of_migration_one_is_stamped_as_it_is(tmp_path: Path) -> None:
    """A registry the numbered migrations built (`user_version` 1, before Alembic) keeps its
    tables as they are: it is stamped at the first revision, then the later ones run."""
    path = tmp_path / "blok.db"
    old_release_database(path)
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    apply_numbered_migrations(connection)
    connection.execute("COMMIT")
    connection.execute("INSERT INTO index_state (key, value) VALUES ('active_collection', 'q2')")
    schema = "SELECT type, name, sql FROM sqlite_master ORDER BY name"
    before = connection.execute(schema).fetchall()
    connection.close()
    assert user_version(path) == 1
    registry = Registry(path)
    try:
        assert sql_rows(registry, "SELECT version_num FROM alembic_version") == [
            {"version_num": head_revision()}
        ]
        assert registry.index_state.active_collection("qdrant") == "q2"
        assert registry.documents.page_text("d1", 1) == "Seite eins"
    finally:
        registry.close()
    connection = sqlite3.connect(path)
    after = connection.execute(schema).fetchall()
    connection.close()
    # The tables of migration 1 are unchanged but for revision 3's columns of `ingest_jobs`;
    # new are Alembic's table, revision 2's and revision 3's index.
    new = {"alembic_version", "sqlite_autoindex_alembic_version_1"}
    new |= {"rate_events", "rate_events_key", "ingest_jobs_state"}
    claim_columns = (
        ", owner TEXT, lease_until DOUBLE PRECISION, turn_at DOUBLE PRECISION, "
        "writing TEXT NOT NULL DEFAULT '[]')"
    )
    unchanged = [
        (kind, name, sql.replace(claim_columns, ")") if name == "ingest_jobs" else sql)
        for kind, name, sql in after
        if name not in new
    ]
    assert unchanged == before
    assert claim_columns in dict((row[1], row[2]) for row in after)["ingest_jobs"]
    assert {row[1] for row in after} - {row[1] for row in before} == new
