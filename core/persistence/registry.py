"""The registry: the one database of the service, opened once, and its repositories.

`Registry.open(settings)` opens the registry the settings name (`BLOK_REGISTRY__URL`, else the
SQLite file in the data directory); `Registry(location)` a SQLite file (a path) or a database URL
(text). Either opens the database (`core.persistence.connection`), migrates it to the current
schema (`core.persistence.schema`) and hands out one repository per table group:

- `documents`: documents, their paths, page texts and the serving generation
  (`core.persistence.documents`);
- `index_state`: the active collection, the re-index marker, staging
  (`core.persistence.index_state`);
- `accounts`: accounts, sessions and API keys (`core.persistence.accounts`; the rules are
  `core.accounts`);
- `audit`: the audit log (`core.persistence.audit`);
- `query_log`: the query log and feedback (`core.persistence.query_log`);
- `ingest_jobs`: the upload jobs of the service (`core.persistence.ingest_jobs`);
- `rate_events`: what the rate limits count (`core.persistence.rate_events`).

The repositories share the registry's engine (SQLite: one connection and its lock; PostgreSQL: a
pool), so the registry is safe to share between the threads of one process. Nothing outside
`core.persistence` runs SQL.
"""

from __future__ import annotations

from pathlib import Path

from core.persistence.accounts import AccountRepository
from core.persistence.audit import AuditLog
from core.persistence.connection import Database, create_engine, database_url, utc_now_text
from core.persistence.documents import DocumentRecord, DocumentRepository
from core.persistence.dumps import DUMP_NAME, restore_registry
from core.persistence.index_state import IndexState
from core.persistence.ingest_jobs import IngestJobRepository
from core.persistence.query_log import QueryLog
from core.persistence.rate_events import RateEvents
from core.persistence.transfer import copy_database
from core.settings import Settings

__all__ = ["DocumentRecord", "Registry", "utc_now_text"]


def restore_dump(url: str, dump: Path) -> None:
    """Restore a PostgreSQL registry dump (`Registry.copy_to`) into the empty database at `url`.

    Raises:
        BackupError: the database holds tables already, or pg_restore failed.
    """
    engine = create_engine(database_url(url))
    try:
        restore_registry(engine, dump)
    finally:
        engine.dispose()


class Registry:
    """The registry database and its repositories."""

    def __init__(self, location: Path | str) -> None:
        """Open (or create) the registry at `location`, migrated to the current schema.

        A path is a SQLite file; text a URL (`postgresql://...`, `sqlite:///FILE`).
        """
        database = Database(location)
        self._database = database
        self.dialect = database.dialect
        self.documents = DocumentRepository(database)
        self.index_state = IndexState(database)
        self.accounts = AccountRepository(database)
        self.audit = AuditLog(database)
        self.query_log = QueryLog(database)
        self.ingest_jobs = IngestJobRepository(database)
        self.rate_events = RateEvents(database)

    @classmethod
    def open(cls, settings: Settings) -> Registry:
        """The registry of these settings (`registry.url`, else `registry_path`)."""
        return cls(settings.registry_location)

    @property
    def copy_name(self) -> str:
        """The file name of `copy_to`'s copy: `blok.db`, or the PostgreSQL dump's."""
        return "blok.db" if self.dialect == "sqlite" else DUMP_NAME

    def copy_to(self, target: Path) -> None:
        """A consistent copy of the registry in the file `target` (backups): a SQLite file,
        or PostgreSQL's dump (`core.persistence.dumps`).

        Raises:
            BackupError: pg_dump is missing or failed.
        """
        self._database.copy_to(target)

    def copy_into(self, target: Registry) -> dict[str, int]:
        """Copy every row into the empty registry `target` (`blok migrate`); rows per table.

        Raises:
            ConflictError: `target` is not empty (`core.persistence.transfer`).
        """
        return copy_database(self._database, target._database)

    def close(self) -> None:
        """Close the database."""
        self._database.close()
