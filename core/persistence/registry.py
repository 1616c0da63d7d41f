"""The registry: the one SQLite database of the service, opened once, and its repositories.

`Registry(path)` opens the database (`core.persistence.connection`), migrates it to the current
schema (`core.persistence.schema`) and hands out one repository per table group:

- `documents`: documents, their paths, page texts and the serving generation
  (`core.persistence.documents`);
- `index_state`: the active collection, the re-index marker, staging
  (`core.persistence.index_state`);
- `accounts`: accounts, sessions and API keys (`core.persistence.accounts`; the rules are
  `core.accounts`);
- `audit`: the audit log (`core.persistence.audit`);
- `query_log`: the query log and feedback (`core.persistence.query_log`);
- `ingest_jobs`: the upload jobs of the service (`core.persistence.ingest_jobs`).

The repositories share the registry's one connection and its lock, so the registry is safe to
share between the threads of one process. Nothing outside `core.persistence` runs SQL.
"""

from __future__ import annotations

from pathlib import Path

from core.persistence.accounts import AccountRepository
from core.persistence.audit import AuditLog
from core.persistence.connection import Database, utc_now_text
from core.persistence.documents import DocumentRecord, DocumentRepository
from core.persistence.index_state import IndexState
from core.persistence.ingest_jobs import IngestJobRepository
from core.persistence.query_log import QueryLog

__all__ = ["DocumentRecord", "Registry", "utc_now_text"]


class Registry:
    """The registry database and its repositories."""

    def __init__(self, path: Path) -> None:
        """Open (or create) the database at `path`, migrated to the current schema."""
        database = Database(path)
        self._database = database
        self.path = path
        self.documents = DocumentRepository(database)
        self.index_state = IndexState(database)
        self.accounts = AccountRepository(database)
        self.audit = AuditLog(database)
        self.query_log = QueryLog(database)
        self.ingest_jobs = IngestJobRepository(database)

    def copy_to(self, target: Path) -> None:
        """A consistent copy of the registry database in the file `target` (for backups)."""
        self._database.copy_to(target)

    def close(self) -> None:
        """Close the database."""
        self._database.close()
