"""`blok serve` (the API) and `blok model` (build the default model)."""

from __future__ import annotations

import argparse

from blok.exit_codes import EXIT_OK
from blok.help_text import simple_epilog
from core.settings import Settings


def add_serve_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`blok serve [--host H] [--port P]` and `blok model`."""
    serve = commands.add_parser(
        "serve",
        help="run the API",
        epilog=simple_epilog(
            "the service was stopped", "it could not start (store held, model unavailable, ...)"
        ),
    )
    serve.add_argument("--host", default=None, help="address to bind to (BLOK_SERVER__HOST)")
    serve.add_argument("--port", type=int, default=None, help="port (BLOK_SERVER__PORT)")
    commands.add_parser(
        "model",
        help="provision the default embedding model (no download)",
        epilog=simple_epilog("the model is ready (its folder is printed)", "it cannot be built"),
    )


def command_serve(settings: Settings, args: argparse.Namespace) -> int:
    """`blok serve --host H --port P`."""
    import uvicorn

    from search_service.app import create_app
    from search_service.request_log import log_config
    from search_service.service_file import service_url

    host = args.host or settings.server.host
    port = args.port or settings.server.port
    app = create_app(settings, service_url=service_url(host, port))
    uvicorn.run(app, host=host, port=port, log_config=log_config(settings.logs), access_log=False)
    return EXIT_OK


def command_model(settings: Settings, args: argparse.Namespace) -> int:
    """`blok model`: build the default model now (setup does this once)."""
    from pipelines.models.embedding_model import resolve_embedding_model

    print(resolve_embedding_model(settings.embedding.model, settings.models_dir))
    return EXIT_OK
