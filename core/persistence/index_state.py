"""The index's own state in the registry: the active collection, the re-index marker, staging.

A re-index (`ingest.reindex`) builds a fresh collection next to the active one. What it learns
on the way (page texts, chunk counts, metadata inferred again) is staged in `staged_documents`
and `staged_pages`, invisible to every reader; `commit_reindex` then moves it into `documents`
and `pages`, names the new collection active and moves the serving generation on, all in one
transaction. The `index_state` table is a small key/value table:

- `active_collection`: the collection the service reads (absent: the first one, see
  `pipelines.stores.collections`);
- `reindex`: the marker of a running re-index (JSON). While it is there, writers refuse with
  `ReindexRunningError` (`IndexState.refuse_during_reindex`): a write to the old collection
  after its document was copied would be lost in the switch. A marker whose process is gone (a
  crash) is stale and ignored.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
from dataclasses import asdict, dataclass, field
from typing import Any

from core.errors import ConflictError, ReindexRunningError
from core.persistence.connection import Repository
from core.persistence.documents import DocumentRecord

ACTIVE_COLLECTION_KEY = "active_collection"
REINDEX_KEY = "reindex"
SET_STATE = (
    "INSERT INTO index_state (key, value) VALUES (?, ?) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
)


@dataclass(frozen=True)
class ReindexMarker:
    """Who is building which collection since when; `host` and `pid` tell a crash apart."""

    collection: str
    started_at: str
    actor: str
    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)

    def is_alive(self) -> bool:
        """False only when the marker's process is known to be gone (same host, no such pid)."""
        if self.host != socket.gethostname():
            return True  # cannot tell; the registry is meant to live on one machine
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


@dataclass(frozen=True)
class StagedDocument:
    """One document as indexed into the new collection, waiting for the commit."""

    document_id: str
    fingerprint: str
    title: str
    metadata: dict[str, Any]
    index_key: str
    pages: list[tuple[int, str]]
    methods: dict[int, str]
    chunk_count: int


def document_fingerprint(record: DocumentRecord) -> str:
    """Changes whenever a document's content, title, metadata or status changes."""
    basis = [record.sha256, record.title, record.metadata, record.status]
    return hashlib.sha256(json.dumps(basis, sort_keys=True, default=str).encode()).hexdigest()


class IndexState(Repository):
    """The active collection, the re-index marker and the staging tables of one registry."""

    def _value(self, key: str) -> str | None:
        rows = self._rows("SELECT value FROM index_state WHERE key = ?", (key,))
        return str(rows[0]["value"]) if rows else None

    def active_collection(self, default: str) -> str:
        """The collection the service reads; `default` (the first collection) until a switch."""
        return self._value(ACTIVE_COLLECTION_KEY) or default

    def reset_active_collection(self) -> None:
        """Forget the active collection: the first one is active (a registry moved to a server)."""
        self._execute("DELETE FROM index_state WHERE key = ?", (ACTIVE_COLLECTION_KEY,))

    def marker(self) -> ReindexMarker | None:
        """The marker of a re-index, live or stale."""
        value = self._value(REINDEX_KEY)
        return ReindexMarker(**json.loads(value)) if value else None

    def live_marker(self) -> ReindexMarker | None:
        """The marker of a re-index whose process still runs."""
        marker = self.marker()
        return marker if marker is not None and marker.is_alive() else None

    def refuse_during_reindex(self) -> None:
        """Call before any write to documents or the store (ingest, upload, curation, delete).

        Raises:
            ReindexRunningError: a re-index is running (HTTP 409).
        """
        marker = self.live_marker()
        if marker is not None:
            raise ReindexRunningError(reindex_message(marker))

    def begin_reindex(self, marker: ReindexMarker) -> None:
        """Set the marker and empty the staging tables.

        Raises:
            ReindexRunningError: another re-index is running.
            ConflictError: documents are being written (an ingest is running).
        """
        with self._transaction() as db:
            row = db.execute("SELECT value FROM index_state WHERE key = ?", (REINDEX_KEY,))
            found = row.fetchone()
            if found and ReindexMarker(**json.loads(found[0])).is_alive():
                raise ReindexRunningError(reindex_message(ReindexMarker(**json.loads(found[0]))))
            pending = db.execute("SELECT COUNT(*) FROM documents WHERE status = 'pending'")
            if pending.scalar_one():
                raise ConflictError(
                    "Documents are being written right now (an ingest or upload is running); "
                    "start the re-index when it is done. (A killed ingest leaves such documents "
                    "too; `blok ingest` or `blok reindex` on the stopped service removes them.)"
                )
            db.execute(SET_STATE, (REINDEX_KEY, json.dumps(asdict(marker))))
            db.execute("DELETE FROM staged_pages")
            db.execute("DELETE FROM staged_documents")

    def end_reindex(self) -> None:
        """Remove the marker and the staged rows (a re-index that did not switch)."""
        with self._transaction() as db:
            db.execute("DELETE FROM index_state WHERE key = ?", (REINDEX_KEY,))
            db.execute("DELETE FROM staged_pages")
            db.execute("DELETE FROM staged_documents")

    def stage(self, document: StagedDocument) -> None:
        """Keep what indexing one document into the new collection gave."""
        with self._transaction() as db:
            db.execute("DELETE FROM staged_pages WHERE document_id = ?", (document.document_id,))
            db.execute(
                "INSERT INTO staged_documents (document_id, fingerprint, title, metadata, "
                "index_key, page_count, chunk_count) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (document_id) DO UPDATE SET fingerprint = excluded.fingerprint, "
                "title = excluded.title, metadata = excluded.metadata, "
                "index_key = excluded.index_key, page_count = excluded.page_count, "
                "chunk_count = excluded.chunk_count",
                (
                    document.document_id,
                    document.fingerprint,
                    document.title,
                    json.dumps(document.metadata, ensure_ascii=False),
                    document.index_key,
                    len(document.pages),
                    document.chunk_count,
                ),
            )
            db.executemany(
                "INSERT INTO staged_pages (document_id, page, text, method) VALUES (?, ?, ?, ?)",
                [
                    (document.document_id, n, text, document.methods.get(n, "text"))
                    for n, text in document.pages
                ],
            )

    def unstage(self, document_id: str) -> None:
        """Forget a staged document (it was deleted meanwhile)."""
        with self._transaction() as db:
            db.execute("DELETE FROM staged_pages WHERE document_id = ?", (document_id,))
            db.execute("DELETE FROM staged_documents WHERE document_id = ?", (document_id,))

    def staged_fingerprints(self) -> dict[str, str]:
        """Fingerprint of each staged document, by id."""
        rows = self._rows("SELECT document_id, fingerprint FROM staged_documents")
        return {str(row["document_id"]): str(row["fingerprint"]) for row in rows}

    def commit_reindex(self, collection: str, deleted: tuple[str, ...] = ()) -> None:
        """Make the staged documents and `collection` what is served, in one transaction.

        Page texts, counts, titles, metadata and index keys of the staged documents replace
        theirs; the documents in `deleted` (they could not be indexed again and the caller
        accepted losing them) are deleted; the serving generation moves on, so a query that
        overlapped the switch is repeated; the marker goes, so writers may write again.
        """
        with self._transaction() as db:
            staged = "SELECT document_id FROM staged_documents"
            db.execute(f"DELETE FROM pages WHERE document_id IN ({staged})")
            db.execute(
                "INSERT INTO pages (document_id, page, text, method) "
                "SELECT document_id, page, text, method FROM staged_pages "
                "WHERE document_id IN (SELECT document_id FROM documents)"
            )
            db.execute(
                "UPDATE documents SET title = s.title, metadata = s.metadata, "
                "index_key = s.index_key, page_count = s.page_count, chunk_count = s.chunk_count "
                "FROM staged_documents AS s WHERE documents.document_id = s.document_id"
            )
            if deleted:
                marks = ", ".join("?" for _ in deleted)
                db.execute(f"DELETE FROM documents WHERE document_id IN ({marks})", deleted)
                db.execute(f"DELETE FROM document_paths WHERE document_id IN ({marks})", deleted)
            db.execute(SET_STATE, (ACTIVE_COLLECTION_KEY, collection))
            db.execute("UPDATE serving SET generation = generation + 1")
            db.execute("DELETE FROM index_state WHERE key = ?", (REINDEX_KEY,))
            db.execute("DELETE FROM staged_pages")
            db.execute("DELETE FROM staged_documents")


def reindex_message(marker: ReindexMarker) -> str:
    """Why a write or a second re-index is refused now."""
    return (
        f"A re-index is running (since {marker.started_at}, by {marker.actor}); documents cannot "
        "be changed until it is done. Try again later (GET /v1/admin/reindex shows its progress)."
    )
