"""Moving a grown embedded installation onto a Qdrant server and a server registry (`blok migrate`).

1. Refuse while a re-index runs or documents are half written (`pending`): the copy would be of
   a moment the service itself would repair first.
2. Copy every chunk of the active Edge collection (both vectors and the payload) into a new,
   empty collection on the server, created with the same schema, payload indexes and the
   settings' cluster layout; then compare the point counts and a sample of searches: each
   sampled chunk's own dense vector must find it first on both stores, and its own sparse vector
   the same best score.
3. Copy every row of the registry into the target registry (PostgreSQL, or a second SQLite file
   beside the first), which must be empty; there the active collection becomes the server's.
4. Write the settings of the moved installation to `server.env` in the data directory (readable
   by its owner only: it may hold the API key and the database password).

The embedded installation is left as it was, so it can go on serving until the new one is
switched on, or be returned to.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from core.errors import ConflictError, StoreError
from core.persistence.registry import Registry
from core.settings import Settings
from pipelines.stores import EdgeChunkStore, QdrantClientChunkStore

BATCH = 256
SAMPLES = 20
SCORE_TOLERANCE = 1e-3
ENV_FILE = "server.env"


@dataclass(frozen=True)
class ServerTarget:
    """Where the installation moves: the server collection and the registry URL."""

    url: str
    api_key: str | None
    collection: str
    registry_url: str


@dataclass(frozen=True)
class MigrationReport:
    """What was moved and checked."""

    points: int
    searches_checked: int
    registry_rows: dict[str, int]
    env_file: Path


def default_registry_url(settings: Settings) -> str:
    """A second SQLite file beside the embedded registry, for a move without PostgreSQL."""
    return f"sqlite:///{settings.data_dir / 'blok-server.db'}"


def migrate_installation(
    settings: Settings,
    source: EdgeChunkStore,
    registry: Registry,
    target_store: QdrantClientChunkStore,
    target: ServerTarget,
) -> MigrationReport:
    """Copy store and registry to the target, check them, write the settings file.

    Raises:
        ConflictError: a re-index runs, documents are being written, or a target is not empty.
        StoreError: the server's collection does not answer as the embedded one does.
    """
    refuse_unsettled(registry)
    points = copy_store(source, target_store)
    checked = compare_searches(source, target_store)
    moved = Registry(target.registry_url)
    try:
        rows = registry.copy_into(moved)
        moved.index_state.reset_active_collection()  # the server's first collection is active
    finally:
        moved.close()
    return MigrationReport(points, checked, rows, write_env_file(settings, target))


def refuse_unsettled(registry: Registry) -> None:
    """Raise while the registry is in the middle of a change."""
    registry.index_state.refuse_during_reindex()
    if registry.documents.count_by_status().get("pending"):
        raise ConflictError(
            "Documents are being written (an ingest is running, or one was killed): let it "
            "finish, or run `blok ingest` once to clean up, then migrate."
        )


def copy_store(source: EdgeChunkStore, target: QdrantClientChunkStore) -> int:
    """Copy every chunk into the target's new collection; the number of points.

    Raises:
        ConflictError: the target collection exists and holds points.
        StoreError: the counts differ after the copy.
    """
    if target.count() > 0:
        raise ConflictError(
            f"The server collection {target.collection!r} already holds points: migrate into a "
            "new collection (--collection NAME) or empty it first."
        )
    records = source.records(BATCH)
    copied = 0
    while batch := list(islice(records, BATCH)):
        if copied == 0:
            target.ensure_collection(len(batch[0].dense))
        target.upsert(batch)
        copied += len(batch)
    if copied:
        target.optimize()
    if target.count() != source.count() or copied != source.count():
        raise StoreError(
            f"The server collection holds {target.count()} points after copying {copied} of "
            f"{source.count()}."
        )
    return copied


def compare_searches(source: EdgeChunkStore, target: QdrantClientChunkStore) -> int:
    """Search both stores with sampled chunks' own vectors; the number of chunks checked.

    Raises:
        StoreError: a dense search does not find the chunk first, or the sparse best scores
            differ.
    """
    total = source.count()
    step = max(1, total // SAMPLES)
    checked = 0
    for index, record in enumerate(source.records(BATCH)):
        if index % step or checked == SAMPLES:
            continue
        for store in (source, target):
            found = store.query_dense(record.dense, [], 1)
            if not found or found[0].chunk_id != record.chunk_id:
                raise StoreError(
                    f"Chunk {record.chunk_id} is not the best match for its own vector on the "
                    f"{'server' if store is target else 'embedded store'}."
                )
        here = source.query_sparse(record.sparse_indices, record.sparse_values, [], 1)
        there = target.query_sparse(record.sparse_indices, record.sparse_values, [], 1)
        if not here or not there or abs(here[0].score - there[0].score) > SCORE_TOLERANCE:
            raise StoreError(f"The keyword search for chunk {record.chunk_id} scores differently.")
        checked += 1
    return checked


def write_env_file(settings: Settings, target: ServerTarget) -> Path:
    """The moved installation's settings as `NAME=value` lines, readable by the owner only."""
    lines = {
        "BLOK_STORE__BACKEND": "server",
        "BLOK_STORE__URL": target.url,
        "BLOK_STORE__COLLECTION": target.collection,
        "BLOK_REGISTRY__URL": target.registry_url,
        "BLOK_DATA_DIR": str(settings.data_dir.resolve()),
    }
    if target.api_key:
        lines["BLOK_STORE__API_KEY"] = target.api_key
    path = settings.data_dir / ENV_FILE
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write("".join(f"{name}={value}\n" for name, value in lines.items()))
    os.chmod(path, 0o600)
    return path
