"""The registry (SQLite): documents, their paths, their page texts and their indexing status.

One document is one content (SHA-256); every path it was found under is kept in
`document_paths` (the first one also in `documents.source_path`). A document is `pending` while
it is written, `indexed` when complete and `replaced` between the commit of its successor and the
removal of its chunks; the office may set an indexed document `withdrawn` (kept, not served) and
back. Only `indexed` documents are served (`core.serving`).

Accounts, sign-in tokens and API keys (`core.persistence.accounts`), the audit log
(`core.persistence.audit`), the query log and feedback (`core.persistence.query_log`) live in the
same database, through `execute` and `rows`.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.metadata import RecordedMetadata
from core.serving import HiddenDocuments

SCHEMA = """
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
);
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
# Columns added after the first release, created in databases that predate them.
ADDED_COLUMNS = {"pages": {"method": "TEXT NOT NULL DEFAULT 'text'"}}
# Statuses added after the first release; SQLite cannot alter a CHECK, so the table is rebuilt.
STATUSES = ("pending", "indexed", "replaced", "withdrawn")


@dataclass
class DocumentRecord:
    """One row of the documents table.

    `metadata` is the stored JSON object as written (it is hashed into the index key and
    written back unchanged); read its values through `typed_metadata`, typed and with their
    defaults.
    """

    document_id: str
    sha256: str
    source_path: str
    source_name: str
    title: str
    metadata: dict[str, Any]
    index_key: str
    status: str
    page_count: int
    chunk_count: int
    ingested_at: str

    @property
    def typed_metadata(self) -> RecordedMetadata:
        """The metadata, typed (`core.metadata.RecordedMetadata`)."""
        return RecordedMetadata.from_stored(self.metadata)


def utc_now_text() -> str:
    """The current time as the registry stores times: UTC, ISO 8601 to the second."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class Registry:
    """Access to the registry database; safe to share between threads of one process."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._connection.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        with self._lock:
            self._connection.execute("PRAGMA journal_mode=WAL")
            self._allow_every_status()
            self._connection.execute("PRAGMA foreign_keys=ON")
            self._connection.executescript(SCHEMA)
            self._add_missing_columns()

    def _allow_every_status(self) -> None:
        """Rebuild a `documents` table whose CHECK predates a status, keeping its rows.

        Runs with foreign keys off, so dropping the old table does not cascade to `pages`; the
        new table is renamed, not the old one, so `pages` keeps referring to `documents`.
        """
        if not self._documents_check_is_old():
            return
        connection = self._connection
        connection.execute("BEGIN IMMEDIATE")
        try:
            if self._documents_check_is_old():  # another process may have rebuilt it meanwhile
                columns = ", ".join(
                    r[1] for r in connection.execute("PRAGMA table_info(documents)")
                )
                table = SCHEMA[: SCHEMA.index(");") + 2]
                connection.execute(table.replace(" documents (", " documents_rebuilt (", 1))
                connection.execute(
                    f"INSERT INTO documents_rebuilt ({columns}) SELECT {columns} FROM documents"
                )
                connection.execute("DROP TABLE documents")  # drops its index too
                connection.execute("ALTER TABLE documents_rebuilt RENAME TO documents")
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise

    def _documents_check_is_old(self) -> bool:
        row = self._connection.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'documents'"
        ).fetchone()
        return row is not None and not all(f"'{status}'" in row[0] for status in STATUSES)

    def _add_missing_columns(self) -> None:
        for table, columns in ADDED_COLUMNS.items():
            present = {row[1] for row in self._connection.execute(f"PRAGMA table_info({table})")}
            for name, definition in columns.items():
                if name not in present:
                    self._connection.execute(f"ALTER TABLE {table} ADD COLUMN {name} {definition}")

    def close(self) -> None:
        """Close the database."""
        self._connection.close()

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._connection.execute(sql, params).fetchall()

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        """Run a query and return its rows as dictionaries."""
        return [dict(row) for row in self._rows(sql, params)]

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        """Run one statement; returns the number of rows it changed."""
        with self._lock:
            return self._connection.execute(sql, params).rowcount

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction under the registry's lock, committed at the end or rolled back.

        For changes that must become visible together (`core.persistence.index_state`).
        """
        with self._lock, self._connection:
            self._connection.execute("BEGIN IMMEDIATE")
            yield self._connection

    def execute_script(self, script: str) -> None:
        """Run several statements (schema definitions)."""
        with self._lock:
            self._connection.executescript(script)

    @staticmethod
    def _record(row: sqlite3.Row) -> DocumentRecord:
        values = dict(row)
        values["metadata"] = json.loads(values["metadata"])
        return DocumentRecord(**values)

    def get(self, document_id: str) -> DocumentRecord | None:
        """The document with this id."""
        rows = self._rows("SELECT * FROM documents WHERE document_id = ?", (document_id,))
        return self._record(rows[0]) if rows else None

    def find_by_path(self, source_path: str) -> list[DocumentRecord]:
        """Documents found under this path."""
        rows = self._rows(
            "SELECT * FROM documents WHERE source_path = ? OR document_id IN "
            "(SELECT document_id FROM document_paths WHERE path = ?)",
            (source_path, source_path),
        )
        return [self._record(row) for row in rows]

    def paths(self, document_id: str) -> list[str]:
        """Every path the document was found under, its first (`source_path`) first."""
        rows = self._rows(
            "SELECT source_path AS path FROM documents WHERE document_id = ? UNION "
            "SELECT path FROM document_paths WHERE document_id = ?",
            (document_id, document_id),
        )
        record = self.get(document_id)
        found = sorted(str(row["path"]) for row in rows)
        if record is not None and record.source_path in found:
            found.remove(record.source_path)
            found.insert(0, record.source_path)
        return found

    def add_path(self, document_id: str, path: str) -> None:
        """Record another path of the same content."""
        self.execute(
            "INSERT OR IGNORE INTO document_paths (document_id, path) VALUES (?, ?)",
            (document_id, path),
        )

    def set_source_path(self, document_id: str, path: str) -> None:
        """Make `path` the document's first path (its file moved there)."""
        self.add_path(document_id, path)
        self.execute(
            "UPDATE documents SET source_path = ?, source_name = ? WHERE document_id = ?",
            (path, Path(path).name, document_id),
        )

    def remove_path(self, document_id: str, path: str) -> list[str]:
        """Forget one path of a document; returns the paths left (the first becomes primary)."""
        self.execute(
            "DELETE FROM document_paths WHERE document_id = ? AND path = ?", (document_id, path)
        )
        left = [other for other in self.paths(document_id) if other != path]
        if left:
            self.execute(
                "UPDATE documents SET source_path = ?, source_name = ? WHERE document_id = ?",
                (left[0], Path(left[0]).name, document_id),
            )
        return left

    def list_documents(self, status: str | None = None) -> list[DocumentRecord]:
        """All documents (optionally of one status), by title."""
        if status is None:
            rows = self._rows("SELECT * FROM documents ORDER BY title, document_id")
        else:
            rows = self._rows(
                "SELECT * FROM documents WHERE status = ? ORDER BY title, document_id", (status,)
            )
        return [self._record(row) for row in rows]

    def mark_pending(self, record: DocumentRecord) -> None:
        """Record that a document is being (re)written to the store."""
        values = {**record.__dict__, "metadata": json.dumps(record.metadata, ensure_ascii=False)}
        values["status"] = "pending"
        values["ingested_at"] = utc_now_text()
        columns = ", ".join(values)
        placeholders = ", ".join(f":{name}" for name in values)
        with self._lock:
            self._connection.execute(
                f"INSERT OR REPLACE INTO documents ({columns}) VALUES ({placeholders})", values
            )
            self._connection.execute(
                "INSERT OR IGNORE INTO document_paths (document_id, path) VALUES (?, ?)",
                (record.document_id, record.source_path),
            )

    def mark_indexed(
        self,
        document_id: str,
        pages: list[tuple[int, str]],
        chunk_count: int,
        *,
        title: str | None = None,
        metadata: dict[str, Any] | None = None,
        methods: dict[int, str] | None = None,
        replaces: tuple[str, ...] = (),
    ) -> None:
        """Store the page texts and mark the document as completely indexed.

        `title` and `metadata`, when given, replace what `mark_pending` recorded (the indexing
        pipeline may infer fields from the text). `methods` says how each page's text was
        obtained (`text` or `ocr`; default `text`). The indexed documents in `replaces` become
        `replaced` in the same transaction, which also moves the serving generation on: from
        that moment queries see this version and not theirs.
        """
        methods = methods or {}
        with self._lock, self._connection:
            self._connection.execute("BEGIN")
            self._connection.execute("DELETE FROM pages WHERE document_id = ?", (document_id,))
            self._connection.executemany(
                "INSERT INTO pages (document_id, page, text, method) VALUES (?, ?, ?, ?)",
                [(document_id, n, text, methods.get(n, "text")) for n, text in pages],
            )
            self._connection.execute(
                "UPDATE documents SET status = 'indexed', page_count = ?, chunk_count = ? "
                "WHERE document_id = ?",
                (len(pages), chunk_count, document_id),
            )
            if title is not None:
                self._connection.execute(
                    "UPDATE documents SET title = ? WHERE document_id = ?", (title, document_id)
                )
            if metadata is not None:
                self._connection.execute(
                    "UPDATE documents SET metadata = ? WHERE document_id = ?",
                    (json.dumps(metadata, ensure_ascii=False), document_id),
                )
            if replaces:
                marks = ", ".join("?" for _ in replaces)
                self._connection.execute(
                    "UPDATE documents SET status = 'replaced' "
                    f"WHERE status = 'indexed' AND document_id IN ({marks})",
                    replaces,
                )
                self._connection.execute("UPDATE serving SET generation = generation + 1")

    def change_status(self, document_id: str, old: str, new: str) -> bool:
        """Move a document from status `old` to `new` and the serving generation on, at once.

        Returns False (and changes nothing) when the document does not have status `old`.
        """
        with self._lock, self._connection:
            self._connection.execute("BEGIN")
            changed = self._connection.execute(
                "UPDATE documents SET status = ? WHERE document_id = ? AND status = ?",
                (new, document_id, old),
            ).rowcount
            if changed:
                self._connection.execute("UPDATE serving SET generation = generation + 1")
        return bool(changed)

    def update_metadata(self, document_id: str, title: str, metadata: dict[str, Any]) -> None:
        """Replace a document's title and metadata (curation; the index key stays)."""
        self.execute(
            "UPDATE documents SET title = ?, metadata = ? WHERE document_id = ?",
            (title, json.dumps(metadata, ensure_ascii=False), document_id),
        )

    def hidden_documents(self) -> HiddenDocuments:
        """Documents not servable now (`pending`, `replaced`, `withdrawn`) and the generation."""
        with self._lock, self._connection:
            self._connection.execute("BEGIN")  # one snapshot for both reads
            generation = self._connection.execute("SELECT generation FROM serving").fetchone()[0]
            rows = self._connection.execute(
                "SELECT document_id FROM documents WHERE status != 'indexed'"
            ).fetchall()
        return HiddenDocuments(int(generation), frozenset(str(row[0]) for row in rows))

    def serving_generation(self) -> int:
        """Changes whenever a replacement commits or a document is withdrawn or restored."""
        return int(self._rows("SELECT generation FROM serving")[0]["generation"])

    def delete(self, document_id: str) -> None:
        """Remove a document, its pages and its paths."""
        with self._lock:
            self._connection.execute("DELETE FROM documents WHERE document_id = ?", (document_id,))
            self._connection.execute(
                "DELETE FROM document_paths WHERE document_id = ?", (document_id,)
            )

    def page_text(self, document_id: str, page: int) -> str | None:
        """The stored text of one page (citations are offsets into it)."""
        rows = self._rows(
            "SELECT text FROM pages WHERE document_id = ? AND page = ?", (document_id, page)
        )
        return str(rows[0]["text"]) if rows else None

    def totals(self) -> dict[str, int]:
        """Indexed documents, pages and chunks."""
        row = self._rows(
            "SELECT COUNT(*) AS documents, COALESCE(SUM(page_count), 0) AS pages, "
            "COALESCE(SUM(chunk_count), 0) AS chunks FROM documents WHERE status = 'indexed'"
        )[0]
        return {key: int(row[key]) for key in ("documents", "pages", "chunks")}
