"""Backup and restore of an embedded installation: registry, store, kept originals, glossary.

A backup is a folder laid out like a data directory (`blok.db`, the active collection's folder,
`sources/`, `uploads/`, `glossary.yaml`) plus `manifest.json`, which lists every file with its size
and SHA-256 and the counts it was taken with.

**Consistent while the service runs.** Writes to the store are held back while the collection's
folder is copied and the registry is copied with SQLite's backup API (`writes_paused`); searches
go on. No chunk is written during that window, so the copy is the state of the installation at
the moment the registry copy was taken, exactly as a `kill -9` at that moment would have left
it: a document being indexed is `pending` in the copy and is removed at the restored
service's first start (as after a crash, `IngestRunner.recover_interrupted`), so nothing is ever
half there. A re-index cannot switch collections meanwhile (the switch waits for the copy). The
kept originals and uploads never change once written (they are named by their content), so
they are linked into a staging folder inside the window and copied after it.

The backup is written next to its final place and renamed when complete: a folder with a
`manifest.json` is a whole backup. `restore_backup` checks every checksum before it writes a
byte, and restores into an empty data directory only.

A registry on PostgreSQL is dumped with `pg_dump` inside the same window (one snapshot of the
database, `core.persistence.dumps`) and restored with `pg_restore` into an empty database named
by `BLOK_REGISTRY__URL`.

**A Qdrant server or cluster** (`BLOK_STORE__BACKEND=server`): the backup exports every point of
the active collection (both vectors and the payload, one JSON object per line, gzip) through the
client, after the registry copy and inside this process's write pause. Processes elsewhere (other
replicas, workers) may write meanwhile, so the registry is read before and after and every
indexed document must have exactly its chunks in the export; otherwise the backup is taken again
(`EXPORT_ATTEMPTS`) and then refused. Restore writes the points into an empty collection of the
settings (`BLOK_STORE__COLLECTION`) and makes it the registry's active one. An export rather than
Qdrant's own snapshots: it is the same on a single server and on a cluster (whose snapshots are
per node and shard), does not depend on the server's version, and can be checked here against
qdrant-client's local mode.
"""

from __future__ import annotations

import datetime as dt
import errno
import gzip
import hashlib
import json
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from core.errors import BackupError
from core.persistence.dumps import DUMP_NAME
from core.persistence.registry import Registry, restore_dump
from core.settings import Settings
from pipelines.stores import (
    ChunkRecord,
    ChunkStore,
    EdgeChunkStore,
    QdrantClientChunkStore,
    SwitchableChunkStore,
)
from pipelines.text.glossary import GLOSSARY_FILE_NAME

MANIFEST_NAME = "manifest.json"
FORMAT_VERSION = 1
REGISTRY_NAME = "blok.db"
KEPT_FOLDERS = ("sources", "uploads")
READ_BLOCK = 1 << 20
STORE_EXPORT = "store/points.jsonl.gz"  # a server collection's points, in a backup
EXPORT_ATTEMPTS = 3
EXPORT_BATCH = 256


@dataclass(frozen=True)
class BackupFile:
    """One file of a backup, relative to the backup folder."""

    path: str
    size: int
    sha256: str


@dataclass
class BackupManifest:
    """What `manifest.json` holds."""

    created_at: str
    collection: str
    documents: dict[str, int]
    chunks: int
    files: list[BackupFile] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)
    format: int = FORMAT_VERSION
    registry: str = "sqlite"  # the registry's database: `sqlite` (a file) or `postgresql` (a dump)
    store: str = "edge"  # `edge` (the collection's folder) or `server` (`STORE_EXPORT`)

    @property
    def registry_file(self) -> str:
        """The backup's registry: the SQLite file, or PostgreSQL's dump."""
        return REGISTRY_NAME if self.registry == "sqlite" else DUMP_NAME

    def to_json(self) -> str:
        """The manifest as stored."""
        return json.dumps(asdict(self), ensure_ascii=False, indent=2) + "\n"

    @classmethod
    def read(cls, folder: Path) -> BackupManifest:
        """The manifest of the backup in `folder`.

        Raises:
            BackupError: there is no readable manifest of a known format.
        """
        path = folder / MANIFEST_NAME
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise BackupError(f"{folder} is not a backup: it has no {MANIFEST_NAME}.") from None
        except (OSError, ValueError) as exc:
            raise BackupError(
                f"The manifest of the backup in {folder} is unreadable: {exc}"
            ) from exc
        found = raw.get("format") if isinstance(raw, dict) else None
        if found != FORMAT_VERSION:
            raise BackupError(
                f"The backup in {folder} has format {found}; this release reads format "
                f"{FORMAT_VERSION}."
            )
        try:
            files = [BackupFile(**entry) for entry in raw["files"]]
            return cls(
                created_at=str(raw["created_at"]),
                collection=str(raw["collection"]),
                documents={str(k): int(v) for k, v in raw["documents"].items()},
                chunks=int(raw["chunks"]),
                files=files,
                folders=[str(folder) for folder in raw.get("folders", [])],
                registry=str(raw.get("registry", "sqlite")),
                store=str(raw.get("store", "edge")),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise BackupError(
                f"The manifest of the backup in {folder} is incomplete: {exc}"
            ) from exc


def create_backup(
    settings: Settings, store: ChunkStore, registry: Registry, target: Path
) -> BackupManifest:
    """Write a consistent backup of the installation into the new folder `target`.

    `store` is the served store (a `SwitchableChunkStore` while the service runs) or the active
    collection's `EdgeChunkStore`; `registry` the open registry.

    Raises:
        BackupError: `target` exists and is not empty, the store is not the embedded one, or
            the registry on PostgreSQL could not be dumped.
    """
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"{target} exists and is not empty; a backup goes into a new folder.")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        with _held_store(store) as held:
            if isinstance(held, EdgeChunkStore):
                collection, documents, chunks = _copy_edge(settings, held, registry, staging)
                kind = "edge"
            else:
                collection, documents, chunks = _export_server(settings, held, registry, staging)
                kind = "server"
        glossary = settings.data_dir / GLOSSARY_FILE_NAME
        if glossary.is_file():
            shutil.copy2(glossary, staging / GLOSSARY_FILE_NAME)
        manifest = _describe(staging, collection, documents, chunks, registry.dialect, kind)
        (staging / MANIFEST_NAME).write_text(manifest.to_json(), encoding="utf-8")
        if target.exists():
            target.rmdir()
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest


def _copy_edge(
    settings: Settings, store: EdgeChunkStore, registry: Registry, staging: Path
) -> tuple[str, dict[str, int], int]:
    """Copy the Edge collection's folder, the registry and the kept files in one write pause."""
    with store.writes_paused():
        collection = store.path.name
        shutil.copytree(store.path, staging / collection)
        registry.copy_to(staging / registry.copy_name)
        documents = registry.documents.count_by_status()
        for folder in KEPT_FOLDERS:
            _link_tree(settings.data_dir / folder, staging / folder)
    copied = EdgeChunkStore(staging / collection)
    try:
        return collection, documents, copied.count()
    finally:
        copied.close()


def _export_server(
    settings: Settings, store: QdrantClientChunkStore, registry: Registry, staging: Path
) -> tuple[str, dict[str, int], int]:
    """Copy the registry, then export the collection's points; retried while others write.

    Raises:
        BackupError: other processes changed documents during every attempt.
    """
    for _ in range(EXPORT_ATTEMPTS):
        with store.writes_paused():
            before = _document_states(registry)
            registry.copy_to(staging / registry.copy_name)
            per_document = _write_points(store.records(EXPORT_BATCH), staging / STORE_EXPORT)
            for folder in KEPT_FOLDERS:
                _link_tree(settings.data_dir / folder, staging / folder)
            after = _document_states(registry)
        whole = all(
            per_document.get(document_id, 0) == chunks
            for document_id, (status, chunks) in before.items()
            if status == "indexed"
        )
        if before == after and whole:
            documents = Counter(status for status, _chunks in before.values())
            return store.collection, dict(documents), sum(per_document.values())
        for entry in list(staging.iterdir()):  # begin again from an empty staging folder
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    raise BackupError(
        f"The server's collection did not match the registry in {EXPORT_ATTEMPTS} attempts: "
        "documents changed during the export (another replica or worker writing), or chunks of "
        "indexed documents are missing from the collection. Try again when no upload runs; if "
        "it persists, re-index (`blok reindex`)."
    )


def _document_states(registry: Registry) -> dict[str, tuple[str, int]]:
    return {
        record.document_id: (record.status, record.chunk_count)
        for record in registry.documents.list_documents()
    }


def _write_points(records: Iterator[ChunkRecord], path: Path) -> dict[str, int]:
    """Write the points as gzip'd JSON lines; the number of points per document."""
    path.parent.mkdir(parents=True, exist_ok=True)
    per_document: dict[str, int] = {}
    with gzip.open(path, "wt", encoding="utf-8") as export:
        for record in records:
            document_id = str(record.payload.get("document_id", ""))
            per_document[document_id] = per_document.get(document_id, 0) + 1
            export.write(json.dumps(asdict(record), ensure_ascii=False) + "\n")
    return per_document


def _read_points(path: Path) -> Iterator[ChunkRecord]:
    with gzip.open(path, "rt", encoding="utf-8") as export:
        for line in export:
            yield ChunkRecord(**json.loads(line))


def _import_points(path: Path, store: QdrantClientChunkStore, expected: int) -> None:
    """Write the exported points into the empty collection; nothing stays if it fails.

    Raises:
        BackupError: the collection does not hold exactly the exported points afterwards.
    """
    batch: list[ChunkRecord] = []
    written = 0
    try:
        for record in _read_points(path):
            if not written and not batch:
                store.ensure_collection(len(record.dense))
            batch.append(record)
            if len(batch) == EXPORT_BATCH:
                store.upsert(batch)
                written, batch = written + len(batch), []
        if batch:
            store.upsert(batch)
            written += len(batch)
        if store.count() != expected or written != expected:
            raise BackupError(
                f"The collection {store.collection!r} holds {store.count()} points after "
                f"restoring {written} of {expected}."
            )
    except BaseException:
        store.delete_all()
        raise


def verify_backup(folder: Path) -> BackupManifest:
    """Check every file of the backup in `folder` against its manifest; return the manifest.

    Raises:
        BackupError: the manifest is missing or unreadable, a file is missing, has another size
            or another checksum, or the backup holds a file the manifest does not list.
    """
    manifest = BackupManifest.read(folder)
    listed = {entry.path for entry in manifest.files}
    for entry in manifest.files:
        path = folder / entry.path
        if not path.is_file():
            raise BackupError(f"The backup in {folder} is incomplete: {entry.path} is missing.")
        if path.stat().st_size != entry.size or _sha256(path) != entry.sha256:
            raise BackupError(f"The backup in {folder} is damaged: {entry.path} has changed.")
    extra = sorted(set(_relative_files(folder)) - listed - {MANIFEST_NAME})
    if extra:
        raise BackupError(
            f"The backup in {folder} holds files its manifest does not list: {extra[0]}"
        )
    if manifest.registry_file not in listed:
        raise BackupError(f"The backup in {folder} has no registry ({manifest.registry_file}).")
    return manifest


def restore_backup(
    folder: Path,
    data_dir: Path,
    registry_url: str = "",
    store: QdrantClientChunkStore | None = None,
) -> BackupManifest:
    """Restore the backup in `folder` into the empty (or new) data directory `data_dir`.

    Everything is checked before anything is written; the files are copied into a staging folder
    beside `data_dir` and moved in place at the end. The restored service's first start finishes
    what the backup caught mid-way (see the module's description). A backup of a registry on
    PostgreSQL is restored into the empty database at `registry_url` (`BLOK_REGISTRY__URL`); one
    of a server's collection into `store`, the empty collection of the settings.

    Raises:
        BackupError: the backup does not verify, `data_dir` is not empty, the registry URL does
            not fit the backup's registry, or `store` does not fit the backup's store.
    """
    manifest = verify_backup(folder)
    if data_dir.exists() and (not data_dir.is_dir() or any(data_dir.iterdir())):
        raise BackupError(f"{data_dir} is not empty; restore into an empty data directory.")
    on_postgres = registry_url.startswith(("postgresql", "postgres:"))
    if manifest.registry == "postgresql" and not on_postgres:
        raise BackupError(
            "The backup holds a registry on PostgreSQL: set BLOK_REGISTRY__URL to an empty "
            "PostgreSQL database to restore it into."
        )
    if manifest.registry == "sqlite" and registry_url:
        raise BackupError(
            "The backup holds an SQLite registry: restore it with BLOK_REGISTRY__URL unset, then "
            "move it with `blok migrate` if it belongs on PostgreSQL."
        )
    _check_store_target(manifest, store)
    if manifest.registry == "postgresql":
        restore_dump(registry_url, folder / DUMP_NAME)
    if store is not None:
        _import_points(folder / STORE_EXPORT, store, manifest.chunks)
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{data_dir.name}-restore-", dir=data_dir.parent))
    try:
        for relative in manifest.folders:
            (staging / relative).mkdir(parents=True, exist_ok=True)
        for entry in manifest.files:
            if entry.path in (DUMP_NAME, STORE_EXPORT):
                continue  # restored into the database and the collection above
            destination = staging / entry.path
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(folder / entry.path, destination)
        if data_dir.exists():
            data_dir.rmdir()
        staging.rename(data_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if store is not None:  # the restored collection is the active one, whatever its old name
        restored = Registry(registry_url or data_dir / REGISTRY_NAME)
        try:
            restored.index_state.reset_active_collection()
        finally:
            restored.close()
    return manifest


def _check_store_target(manifest: BackupManifest, store: QdrantClientChunkStore | None) -> None:
    """Raise unless `store` is where the backup's store goes: none (Edge), or an empty
    collection (a server's)."""
    if manifest.store == "server" and store is None:
        raise BackupError(
            "The backup holds a Qdrant server's collection: set BLOK_STORE__BACKEND=server and "
            "BLOK_STORE__URL (and BLOK_STORE__COLLECTION) to restore it into an empty collection."
        )
    if manifest.store == "edge" and store is not None:
        raise BackupError(
            "The backup holds an embedded store: restore it with BLOK_STORE__BACKEND=edge, then "
            "move it with `blok migrate --to-server` if it belongs on a server."
        )
    if store is not None and store.count() > 0:
        raise BackupError(
            f"The server collection {store.collection!r} already holds points: restore into an "
            "empty or new collection (BLOK_STORE__COLLECTION)."
        )


@contextmanager
def _held_store(store: ChunkStore) -> Iterator[EdgeChunkStore | QdrantClientChunkStore]:
    """The store behind `store`; a re-index cannot switch it away meanwhile."""
    if isinstance(store, SwitchableChunkStore):
        with store.current() as current, _held_store(current) as held:
            yield held
        return
    if not isinstance(store, EdgeChunkStore | QdrantClientChunkStore):
        raise BackupError(f"A backup cannot read a store of type {type(store).__name__}.")
    yield store


def _link_tree(source: Path, target: Path) -> None:
    """Hard-link every file under `source` into `target` (copy where links are not possible)."""
    if not source.is_dir():
        return
    for path in sorted(source.rglob("*")):
        if not path.is_file():
            continue
        destination = target / path.relative_to(source)
        destination.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, destination)
        except OSError as exc:
            if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK):
                raise
            shutil.copy2(path, destination)


def _describe(
    folder: Path,
    collection: str,
    documents: dict[str, int],
    chunks: int,
    registry: str,
    store: str,
) -> BackupManifest:
    """The manifest of the staged backup: every file's checksum, the registry's counts."""
    files = [
        BackupFile(relative, (folder / relative).stat().st_size, _sha256(folder / relative))
        for relative in _relative_files(folder)
    ]
    folders = sorted(
        path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_dir()
    )
    created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return BackupManifest(
        created, collection, documents, chunks, files, folders, registry=registry, store=store
    )


def _relative_files(folder: Path) -> list[str]:
    return sorted(
        path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file()
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(READ_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def backup_name(now: dt.datetime | None = None) -> str:
    """`backup-<UTC time>`: the folder name of a backup the service writes."""
    moment = now or dt.datetime.now(dt.UTC)
    return "backup-" + moment.strftime("%Y%m%dT%H%M%S%fZ")
