"""`blok migrate --to-server URL`: the embedded installation onto a server (`ingest.migration`)."""

from __future__ import annotations

import argparse
import os
import sys

from blok.exit_codes import EXIT_OK, EXIT_USAGE
from blok.help_text import simple_epilog
from core.settings import Settings

STORE_API_KEY_ENV = "BLOK_STORE__API_KEY"


def add_migrate_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `migrate` subcommand."""
    migrate = commands.add_parser(
        "migrate",
        help="copy the embedded store and registry to a Qdrant server and a server registry",
        description="Copies every chunk of the embedded store into a new collection on a Qdrant "
        "server and every registry row into an empty registry (PostgreSQL with --registry-url, "
        "else a second SQLite file beside the first), checks counts and a sample of searches, "
        "and writes the new settings to server.env in the data directory. The embedded "
        "installation stays as it was. Stop `blok serve` first.",
        epilog=simple_epilog(
            "moved and checked; start the service with the settings of server.env",
            "the server or the registry could not take the copy, or the check failed",
        ),
    )
    migrate.add_argument("--to-server", required=True, metavar="URL", help="Qdrant server URL")
    migrate.add_argument("--api-key", help=f"the Qdrant server's API key (or ${STORE_API_KEY_ENV})")
    migrate.add_argument(
        "--collection",
        help="collection on the server (default: BLOK_STORE__COLLECTION); must be new or empty",
    )
    migrate.add_argument(
        "--registry-url", help="postgresql://USER:PASSWORD@HOST:PORT/DATABASE of an empty database"
    )


def command_migrate(settings: Settings, args: argparse.Namespace) -> int:
    """`blok migrate --to-server URL [--api-key KEY] [--collection NAME] [--registry-url URL]`."""
    from core.persistence.registry import Registry
    from core.settings import RegistrySettings
    from ingest.migration import ServerTarget, default_registry_url, migrate_installation
    from pipelines.stores import (
        CollectionLayout,
        EdgeChunkStore,
        QdrantClientChunkStore,
        build_chunk_store,
    )

    if settings.store.backend != "edge" or settings.registry.url:
        print(
            "error: migrate moves an embedded installation (Qdrant Edge and the SQLite registry "
            "of the data directory); these settings already name a server store or registry.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    registry_url = args.registry_url or default_registry_url(settings)
    RegistrySettings(url=registry_url)  # a URL of another database is a usage error
    target = ServerTarget(
        url=args.to_server,
        api_key=args.api_key or os.environ.get(STORE_API_KEY_ENV),
        collection=args.collection or settings.store.collection,
        registry_url=registry_url,
    )
    registry = Registry.open(settings)
    try:
        source = build_chunk_store(settings, registry)  # held by `blok serve`: StoreLockedError
        assert isinstance(source, EdgeChunkStore)
        server = QdrantClientChunkStore.remote(
            target.url, target.api_key, target.collection, CollectionLayout.of(settings.store)
        )
        try:
            report = migrate_installation(settings, source, registry, server, target)
        finally:
            server.close()
            source.close()
    finally:
        registry.close()
    rows = sum(report.registry_rows.values())
    print(
        f"moved {report.points} chunks to {target.collection!r} on {target.url} and {rows} "
        f"registry rows; {report.searches_checked} sampled searches agree.\n"
        f"The settings of the moved installation are in {report.env_file} (owner-readable "
        "only); start `blok serve` with them, e.g. `set -a; . FILE; set +a`."
    )
    return EXIT_OK
