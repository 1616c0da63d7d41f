"""`blok backup DIR` and `blok restore DIR`: the whole installation, consistently.

While `blok serve` runs, it holds the embedded store: the backup is then made by the service
(`POST /v1/admin/backup`, an admin API key) into its data directory and moved to `DIR`
afterwards. Otherwise the command opens registry and store itself; a Qdrant server's collection
is exported point by point, and restored into the empty collection of the settings. See
`ingest.backup`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from blok.exit_codes import API_KEY_ENV, EXIT_ERROR, EXIT_OK, EXIT_USAGE
from blok.help_text import simple_epilog
from core.settings import Settings

if TYPE_CHECKING:
    from ingest.backup import BackupManifest


def add_backup_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `backup` and `restore` subcommands."""
    backup = commands.add_parser(
        "backup",
        help="copy registry, store, originals and glossary into a new folder",
        description="A consistent backup, also while `blok serve` runs (searches go on).",
        epilog=simple_epilog(
            "the backup is complete (its manifest lists every file with its checksum)",
            "the backup could not be made (the folder exists, the service refused the key, ...)",
        ),
    )
    backup.add_argument("folder", type=Path, help="a new (or empty) folder for the backup")
    backup.add_argument(
        "--api-key", help=f"admin API key, needed while `blok serve` runs (or ${API_KEY_ENV})"
    )
    restore = commands.add_parser(
        "restore",
        help="restore a backup into an empty data directory",
        description="Checks every file of the backup first; writes only into an empty data "
        "directory (--data-dir).",
        epilog=simple_epilog(
            "restored; the next `blok serve` or `blok ingest` finishes what the backup caught "
            "mid-way",
            "the backup is incomplete or damaged, or the data directory is not empty",
        ),
    )
    restore.add_argument("folder", type=Path, help="a folder written by `blok backup`")


def command_backup(settings: Settings, args: argparse.Namespace) -> int:
    """`blok backup DIR [--api-key KEY]`."""
    from blok.handoff import checked
    from core.errors import BackupError
    from search_service.service_file import running_service

    target: Path = args.folder
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        print(
            f"error: {target} exists and is not empty; a backup goes into a new folder.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    service = running_service(settings.service_file) if settings.store.backend == "edge" else None
    if service is None:
        manifest = back_up_here(settings, target)
        print(f"backup in {target}: {summary(manifest.documents, manifest.chunks)}")
        return EXIT_OK
    api_key = args.api_key or os.environ.get(API_KEY_ENV)
    if not api_key:
        print(
            f"error: blok serve is running at {service.url} (pid {service.pid}) and holds the "
            f"embedded store; pass an admin API key (--api-key KEY or {API_KEY_ENV}) so that it "
            "makes the backup, or stop it first.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    import httpx

    try:
        with httpx.Client(base_url=service.url, timeout=3600.0) as client:
            body = checked(client.post("/v1/admin/backup", headers={"X-API-Key": api_key}))
    except httpx.HTTPError as exc:
        print(f"error: the service at {service.url} cannot be reached ({exc})", file=sys.stderr)
        return EXIT_ERROR
    made = settings.data_dir / "backups" / str(body["name"])
    try:
        if target.exists():
            target.rmdir()
        shutil.move(made, target)
    except OSError as exc:
        raise BackupError(f"The backup is complete in {made} but could not move: {exc}") from exc
    print(f"backup in {target}: {summary(body['documents'], body['chunks'])}")
    return EXIT_OK


def back_up_here(settings: Settings, target: Path) -> BackupManifest:
    """Open registry and store in this process and back them up."""
    from core.persistence.registry import Registry
    from ingest.backup import create_backup
    from pipelines.stores import build_chunk_store

    registry = Registry.open(settings)
    try:
        store = build_chunk_store(settings, registry)
        try:
            return create_backup(settings, store, registry, target)
        finally:
            store.close()
    finally:
        registry.close()


def command_restore(settings: Settings, args: argparse.Namespace) -> int:
    """`blok restore DIR` into `--data-dir` (which must be empty)."""
    from ingest.backup import restore_backup
    from pipelines.stores import QdrantClientChunkStore, build_chunk_store

    store = build_chunk_store(settings) if settings.store.backend == "server" else None
    assert store is None or isinstance(store, QdrantClientChunkStore)
    try:
        manifest = restore_backup(args.folder, settings.data_dir, settings.registry.url, store)
    finally:
        if store is not None:
            store.close()
    print(
        f"restored {summary(manifest.documents, manifest.chunks)} from the backup of "
        f"{manifest.created_at} into {settings.data_dir}"
    )
    return EXIT_OK


def summary(documents: dict[str, int], chunks: int) -> str:
    """`12 documents (12 indexed), 340 chunks`."""
    total = sum(documents.values())
    parts = ", ".join(f"{count} {status}" for status, count in sorted(documents.items()))
    return f"{total} documents ({parts or 'none'}), {chunks} chunks"
