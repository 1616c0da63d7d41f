"""Backup and restore with the registry on PostgreSQL: `pg_dump` in the window, `pg_restore` after.

The embedded store with a registry on the test PostgreSQL: the backup holds the dump instead of
`blok.db`, and restores into a new database (`BLOK_REGISTRY__URL`) and an empty data directory,
after which the same questions find the same chunks with the same scores.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.errors import BackupError
from core.persistence.dumps import DUMP_NAME
from ingest.backup import restore_backup, verify_backup
from ingest.runner import run_ingest
from tests.ingest.test_backup import answers, back_up, write_protocols
from tests.support.helpers import make_settings
from tests.support.postgres import fresh_schema, postgres_url

pytestmark = [pytest.mark.model, pytest.mark.postgres]


@contextmanager
def new_database(url: str) -> Iterator[str]:
    """`url` moved to a new, empty database of the same server (dropped afterwards)."""
    name = f"restore_{uuid.uuid4().hex[:12]}"
    base = sa.make_url(url).set(drivername="postgresql+psycopg")
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {name}")
        yield base.set(database=name).render_as_string(hide_password=False)
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE {name} WITH (FORCE)")
    finally:
        admin.dispose()


def test_a_backup_of_a_postgres_registry_restores_into_a_new_database(tmp_path: Path) -> None:
    with fresh_schema(postgres_url()) as url:
        original = make_settings(tmp_path / "original", registry={"url": url})
        report = run_ingest(original, [write_protocols(tmp_path / "files", 3)[0].parent])
        assert report.count("indexed") == 3
        back_up(original, tmp_path / "backup")
        manifest = verify_backup(tmp_path / "backup")
        assert (manifest.registry, manifest.documents) == ("postgresql", {"indexed": 3})
        listed = {entry.path for entry in manifest.files}
        assert DUMP_NAME in listed and "blok.db" not in listed

        with pytest.raises(BackupError, match="BLOK_REGISTRY__URL"):
            restore_backup(tmp_path / "backup", tmp_path / "nowhere")
        with pytest.raises(BackupError, match="already holds tables"):
            restore_backup(tmp_path / "backup", tmp_path / "taken", url)  # the original's
        assert not (tmp_path / "taken").exists()

        with new_database(url) as restored_url:
            restore_backup(tmp_path / "backup", tmp_path / "restored", restored_url)
            restored = make_settings(tmp_path / "restored", registry={"url": restored_url})
            assert not (restored.data_dir / DUMP_NAME).exists()
            assert answers(restored) == answers(original)
