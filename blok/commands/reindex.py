"""`blok reindex`: re-index every document into a fresh collection and switch to it.

For the embedded store the service must be stopped (the store admits one process); a running
service re-indexes through `POST /v1/admin/reindex` instead.
"""

from __future__ import annotations

import argparse

from blok.exit_codes import EXIT_ERROR, EXIT_FILES_SKIPPED, EXIT_OK
from blok.help_text import WRONG_USAGE, exit_codes_epilog
from core.persistence.audit import cli_actor
from core.persistence.registry import Registry
from core.settings import Settings
from ingest.reindex import Reindexer
from ingest.runner import IngestRunner
from pipelines.stores import SwitchableChunkStore, build_chunk_store, build_collections

REINDEX_EXIT_CODES = exit_codes_epilog(
    (EXIT_OK, "switched to the new collection"),
    (
        EXIT_ERROR,
        "not switched: documents failed (without --allow-losses), another re-index runs,\n"
        "the store is held or an error stopped it; the old collection keeps serving",
    ),
    WRONG_USAGE,
    (EXIT_FILES_SKIPPED, "switched with --allow-losses, and documents that failed were deleted"),
)


def add_reindex_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `reindex` subcommand."""
    reindex = commands.add_parser(
        "reindex",
        help="index every document again into a fresh collection and switch to it",
        description="Index every document again from its kept original into a fresh collection "
        "and switch to it in one step. Stop `blok serve` first (a running service re-indexes "
        "through POST /v1/admin/reindex).",
        epilog=REINDEX_EXIT_CODES,
    )
    reindex.add_argument(
        "--allow-losses",
        action="store_true",
        help="switch even when documents fail; they are deleted (default: do not switch)",
    )


def command_reindex(settings: Settings, args: argparse.Namespace) -> int:
    """`blok reindex [--allow-losses]`; exit 0 switched, 3 switched with losses, 1 not switched."""
    registry = Registry.open(settings)
    try:
        store = SwitchableChunkStore(build_chunk_store(settings, registry))
        collections = build_collections(settings)
        try:
            # What a killed ingest left (`pending` rows) would otherwise block the re-index.
            IngestRunner(settings, store, registry).recover_unheld()
            progress = Reindexer(
                settings,
                registry,
                store,
                collections,
                actor=cli_actor(),
                allow_losses=args.allow_losses,
            ).run()
        finally:
            collections.close()
            store.close()
    finally:
        registry.close()
    print(progress.render())
    if progress.state != "switched":
        return EXIT_ERROR
    return EXIT_FILES_SKIPPED if progress.withdrawn else EXIT_OK
