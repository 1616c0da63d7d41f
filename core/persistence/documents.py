"""The documents repository: documents, their paths, their page texts, the serving generation.

One document is one content (SHA-256); every path it was found under is kept in
`document_paths` (the first one also in `documents.source_path`). A document is `pending` while
it is written, `indexed` when complete and `replaced` between the commit of its successor and the
removal of its chunks; the office may set an indexed document `withdrawn` (kept, not served) and
back. Only `indexed` documents are served (`core.serving`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.filters import KnownFilterValue
from core.metadata import RecordedMetadata
from core.persistence.connection import Repository, Row, utc_now_text
from core.serving import HiddenDocuments

# The job centres and topics of the indexed documents, read from their metadata JSON.
KNOWN_FILTER_VALUES = {
    "sqlite": "SELECT DISTINCT 'job_centre' AS field,"
    " json_extract(metadata, '$.job_centre') AS value,"
    " json_extract(metadata, '$.visibility') AS visibility FROM documents"
    " WHERE status = 'indexed' AND json_extract(metadata, '$.job_centre') IS NOT NULL"
    " UNION SELECT DISTINCT 'topic', topic.value, json_extract(metadata, '$.visibility')"
    " FROM documents, json_each(documents.metadata, '$.topics') AS topic"
    " WHERE status = 'indexed' ORDER BY field, value",
    "postgresql": "SELECT DISTINCT 'job_centre' AS field,"
    " metadata::jsonb ->> 'job_centre' AS value,"
    " metadata::jsonb ->> 'visibility' AS visibility FROM documents"
    " WHERE status = 'indexed' AND metadata::jsonb ->> 'job_centre' IS NOT NULL"
    " UNION SELECT DISTINCT 'topic', topic.value, metadata::jsonb ->> 'visibility'"
    " FROM documents, jsonb_array_elements_text(CASE WHEN"
    " jsonb_typeof(metadata::jsonb -> 'topics') = 'array' THEN metadata::jsonb -> 'topics'"
    " ELSE '[]'::jsonb END) AS topic (value)"
    " WHERE status = 'indexed' ORDER BY field, value",
}


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


class DocumentRepository(Repository):
    """The `documents`, `document_paths`, `pages` and `serving` tables."""

    @staticmethod
    def _record(row: Row) -> DocumentRecord:
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
        self._execute(
            "INSERT INTO document_paths (document_id, path) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (document_id, path),
        )

    def set_source_path(self, document_id: str, path: str) -> None:
        """Make `path` the document's first path (its file moved there)."""
        self.add_path(document_id, path)
        self._execute(
            "UPDATE documents SET source_path = ?, source_name = ? WHERE document_id = ?",
            (path, Path(path).name, document_id),
        )

    def remove_path(self, document_id: str, path: str) -> list[str]:
        """Forget one path of a document; returns the paths left (the first becomes primary)."""
        self._execute(
            "DELETE FROM document_paths WHERE document_id = ? AND path = ?", (document_id, path)
        )
        left = [other for other in self.paths(document_id) if other != path]
        if left:
            self._execute(
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

    def count_by_status(self) -> dict[str, int]:
        """Documents per status (`indexed`, `pending`, `withdrawn`, ...)."""
        rows = self._rows("SELECT status, COUNT(*) AS n FROM documents GROUP BY status")
        return {str(row["status"]): int(row["n"]) for row in rows}

    def pages_by_method(self) -> dict[str, int]:
        """Pages of indexed documents per extraction method (`text`, `ocr`, ...)."""
        rows = self._rows(
            "SELECT pages.method AS method, COUNT(*) AS n FROM pages JOIN documents "
            "ON documents.document_id = pages.document_id WHERE documents.status = 'indexed' "
            "GROUP BY pages.method"
        )
        return {str(row["method"]): int(row["n"]) for row in rows}

    def mark_pending(self, record: DocumentRecord) -> None:
        """Record that a document is being (re)written to the store."""
        values = {**record.__dict__, "metadata": json.dumps(record.metadata, ensure_ascii=False)}
        values["status"] = "pending"
        values["ingested_at"] = utc_now_text()
        columns = ", ".join(values)
        placeholders = ", ".join(f":{name}" for name in values)
        with self._locked() as connection:  # replaces a row of the same id or content
            connection.execute(
                "DELETE FROM documents WHERE document_id = ? OR sha256 = ?",
                (record.document_id, record.sha256),
            )
            connection.execute(f"INSERT INTO documents ({columns}) VALUES ({placeholders})", values)
            connection.execute(
                "INSERT INTO document_paths (document_id, path) VALUES (?, ?) "
                "ON CONFLICT DO NOTHING",
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
        with self._transaction(immediate=False) as connection:
            connection.execute("DELETE FROM pages WHERE document_id = ?", (document_id,))
            connection.executemany(
                "INSERT INTO pages (document_id, page, text, method) VALUES (?, ?, ?, ?)",
                [(document_id, n, text, methods.get(n, "text")) for n, text in pages],
            )
            connection.execute(
                "UPDATE documents SET status = 'indexed', page_count = ?, chunk_count = ? "
                "WHERE document_id = ?",
                (len(pages), chunk_count, document_id),
            )
            if title is not None:
                connection.execute(
                    "UPDATE documents SET title = ? WHERE document_id = ?", (title, document_id)
                )
            if metadata is not None:
                connection.execute(
                    "UPDATE documents SET metadata = ? WHERE document_id = ?",
                    (json.dumps(metadata, ensure_ascii=False), document_id),
                )
            if replaces:
                marks = ", ".join("?" for _ in replaces)
                connection.execute(
                    "UPDATE documents SET status = 'replaced' "
                    f"WHERE status = 'indexed' AND document_id IN ({marks})",
                    replaces,
                )
                connection.execute("UPDATE serving SET generation = generation + 1")

    def change_status(self, document_id: str, old: str, new: str) -> bool:
        """Move a document from status `old` to `new` and the serving generation on, at once.

        Returns False (and changes nothing) when the document does not have status `old`.
        """
        with self._transaction(immediate=False) as connection:
            changed = connection.execute(
                "UPDATE documents SET status = ? WHERE document_id = ? AND status = ?",
                (new, document_id, old),
            ).rowcount
            if changed:
                connection.execute("UPDATE serving SET generation = generation + 1")
        return bool(changed)

    def update_metadata(self, document_id: str, title: str, metadata: dict[str, Any]) -> None:
        """Replace a document's title and metadata (curation; the index key stays)."""
        self._execute(
            "UPDATE documents SET title = ?, metadata = ? WHERE document_id = ?",
            (title, json.dumps(metadata, ensure_ascii=False), document_id),
        )

    def known_filter_values(self) -> list[KnownFilterValue]:
        """The job centres and topics of the indexed documents, each with its visibility."""
        rows = self._rows(KNOWN_FILTER_VALUES[self._dialect])
        return [
            KnownFilterValue(
                str(row["field"]), str(row["value"]), str(row["visibility"] or "office")
            )
            for row in rows
            if str(row["value"] or "").strip()
        ]

    def hidden_documents(self) -> HiddenDocuments:
        """Documents not servable now (`pending`, `replaced`, `withdrawn`) and the generation."""
        rows = self._rows(  # one statement: one snapshot of both, on either database
            "SELECT serving.generation AS generation, documents.document_id AS document_id "
            "FROM serving LEFT JOIN documents ON documents.status != 'indexed'"
        )
        return HiddenDocuments(
            int(rows[0]["generation"]),
            frozenset(str(row["document_id"]) for row in rows if row["document_id"] is not None),
        )

    def serving_generation(self) -> int:
        """Changes whenever a replacement commits or a document is withdrawn or restored."""
        return int(self._rows("SELECT generation FROM serving")[0]["generation"])

    def delete(self, document_id: str) -> None:
        """Remove a document, its pages and its paths."""
        with self._locked() as connection:
            connection.execute("DELETE FROM documents WHERE document_id = ?", (document_id,))
            connection.execute("DELETE FROM document_paths WHERE document_id = ?", (document_id,))

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

    def has_content(self, sha256: str) -> bool:
        """Whether some document, of any status, still has this content (its kept original)."""
        return bool(self._rows("SELECT 1 FROM documents WHERE sha256 = ?", (sha256,)))
