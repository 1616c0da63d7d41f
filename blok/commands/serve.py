"""`blok serve` (the API) and `blok model` (build the default model)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from blok.exit_codes import EXIT_OK
from blok.help_text import simple_epilog
from core.settings import LogSettings, Settings

if TYPE_CHECKING:
    import uvicorn


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
        help="provision the default embedding model and its OpenVINO export (no download)",
        epilog=simple_epilog(
            "the model is ready (its folder and the export's are printed)", "it cannot be built"
        ),
    )


def server_config(
    app: Any, host: str, port: int, logs: LogSettings | None = None
) -> uvicorn.Config:
    """How uvicorn serves the app: it trusts no forwarded header and logs no access of its own.

    uvicorn would take `X-Forwarded-For` from 127.0.0.1 (or `FORWARDED_ALLOW_IPS`); the app
    trusts only the proxies of `BLOK_SERVER__FORWARDED_ALLOW_IPS` (`search_service.app`). The
    app writes its own request lines, without client addresses (`search_service.request_log`).
    """
    import uvicorn

    from search_service.request_log import log_config

    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=log_config(logs or LogSettings()),
        access_log=False,
        proxy_headers=False,
    )


def command_serve(settings: Settings, args: argparse.Namespace) -> int:
    """`blok serve --host H --port P`."""
    import uvicorn

    from search_service.app import create_app
    from search_service.service_file import service_url

    host = args.host or settings.server.host
    port = args.port or settings.server.port
    app = create_app(settings, service_url=service_url(host, port))
    uvicorn.Server(server_config(app, host, port, settings.logs)).run()
    return EXIT_OK


def command_model(settings: Settings, args: argparse.Namespace) -> int:
    """`blok model`: build the default model and its OpenVINO export now (setup does this once)."""
    from pipelines.models.embedding_model import resolve_dense_encoder

    encoder = resolve_dense_encoder(settings.embedding, settings.models_dir, export=True)
    print(encoder.model)
    if encoder.export_dir is not None:
        print(encoder.export_dir)
    return EXIT_OK
