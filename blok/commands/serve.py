"""`blok serve` (the API) and `blok model` (build the default model)."""

from __future__ import annotations

import argparse

from blok.exit_codes import EXIT_OK
from core.settings import Settings


def add_serve_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`blok serve [--host H] [--port P]` and `blok model`."""
    serve = commands.add_parser("serve", help="run the API")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    commands.add_parser("model", help="provision the default embedding model (no download)")


def command_serve(settings: Settings, args: argparse.Namespace) -> int:
    """`blok serve --host H --port P`."""
    import uvicorn

    from search_service.app import create_app
    from search_service.service_file import service_url

    host = args.host or settings.server.host
    port = args.port or settings.server.port
    app = create_app(settings, service_url=service_url(host, port))
    uvicorn.run(app, host=host, port=port, log_level="info")
    return EXIT_OK


def command_model(settings: Settings, args: argparse.Namespace) -> int:
    """`blok model`: build the default model now (setup does this once)."""
    from pipelines.models.embedding_model import resolve_embedding_model

    print(resolve_embedding_model(settings.embedding.model, settings.models_dir))
    return EXIT_OK
