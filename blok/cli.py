"""The `blok` command: ingest, documents, reindex, search, ask, serve, eval, users, api-keys, …

Commands that change accounts, keys or documents record the OS user as `cli:<user>` in the audit
log.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from blok.commands.accounts import add_account_parsers, command_api_keys, command_users
from blok.commands.audit import add_audit_parser, command_audit
from blok.commands.documents import add_document_parsers, command_documents
from blok.commands.reindex import add_reindex_parser, command_reindex
from core.errors import BlokError
from core.filters import SearchFilters
from core.settings import Settings

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_FILES_SKIPPED = 0, 1, 2, 3
API_KEY_ENV = "BLOK_API_KEY"


def build_parser() -> argparse.ArgumentParser:
    """Arguments of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="blok", description="Knowledge search for the Benchlearning of municipal job centres."
    )
    parser.add_argument("--data-dir", type=Path, help="where everything lives (default ./data)")
    commands = parser.add_subparsers(dest="command", required=True)

    ingest = commands.add_parser("ingest", help="add files or folders to the index")
    ingest.add_argument("paths", nargs="+", type=Path)
    ingest.add_argument("--report", type=Path, help="write the report as JSON to this file")
    ingest.add_argument("--no-progress", action="store_true", help="no progress bar")
    ingest.add_argument(
        "--prune",
        action="store_true",
        help="withdraw documents whose files under the given folders are all gone",
    )
    ingest.add_argument(
        "--api-key",
        help=f"office API key: while `blok serve` runs, hand the files to it (or ${API_KEY_ENV})",
    )
    add_document_parsers(commands)
    add_reindex_parser(commands)

    search = commands.add_parser("search", help="search the index")
    search.add_argument("query")
    search.add_argument("--top-k", type=int, default=None)
    add_filter_arguments(search)
    search.add_argument("--json", action="store_true", help="print the API's JSON response")
    search.add_argument(
        "--facets", action="store_true", help="also count documents per kind, ring, year, topic"
    )

    ask = commands.add_parser("ask", help="a short answer with verified citations")
    ask.add_argument("query")
    ask.add_argument("--top-k", type=int, default=None, help="passages to draw on")
    add_filter_arguments(ask)
    ask.add_argument("--json", action="store_true", help="print the API's JSON response")

    serve = commands.add_parser("serve", help="run the API")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)

    evaluate = commands.add_parser("eval", help="measure retrieval quality on gold sets")
    evaluate.add_argument(
        "datasets",
        nargs="*",
        default=["demo"],
        help="`demo`, `xquad-de`, `omosqa-de-dev` or a folder with corpus.jsonl + queries.jsonl",
    )
    evaluate.add_argument("--limit", type=int, default=None, help="evaluate only N questions")
    evaluate.add_argument("--json", action="store_true", help="print the figures as JSON")
    evaluate.add_argument(
        "--no-answers", action="store_true", help="measure retrieval only, not the answers"
    )

    commands.add_parser("model", help="provision the default embedding model (no download)")
    add_account_parsers(commands)
    add_audit_parser(commands)
    return parser


def add_filter_arguments(parser: argparse.ArgumentParser) -> None:
    """The metadata filters shared by `search` and `ask`."""
    parser.add_argument("--kind", action="append", default=[], help="document kind (repeatable)")
    parser.add_argument("--ring", action="append", default=[], help="ring, e.g. vr3 (repeatable)")
    parser.add_argument("--topic", action="append", default=[], help="topic (repeatable)")
    parser.add_argument("--job-centre", action="append", default=[], help="job centre")
    parser.add_argument("--year-from", type=int)
    parser.add_argument("--year-to", type=int)


def filters_from(args: argparse.Namespace) -> SearchFilters:
    """The filters given on the command line."""
    return SearchFilters(
        kind=args.kind,
        ring=args.ring,
        topic=args.topic,
        job_centre=args.job_centre,
        year_from=args.year_from,
        year_to=args.year_to,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `blok` console command."""
    args = build_parser().parse_args(argv)
    try:
        overrides = {"data_dir": args.data_dir} if args.data_dir else {}
        settings = Settings(**overrides)
    except ValidationError as exc:
        print(f"error: invalid settings:\n{exc}", file=sys.stderr)
        return EXIT_USAGE
    handlers = {
        "ingest": command_ingest,
        "documents": command_documents,
        "reindex": command_reindex,
        "search": command_search,
        "ask": command_ask,
        "serve": command_serve,
        "eval": command_eval,
        "model": command_model,
        "users": command_users,
        "api-keys": command_api_keys,
        "audit": command_audit,
    }
    try:
        return handlers[args.command](settings, args)
    except BlokError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return EXIT_ERROR
    except ValidationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


def command_ingest(settings: Settings, args: argparse.Namespace) -> int:
    """`blok ingest PATH...`: into the store, or handed to the running service (`blok.handoff`).

    The embedded store admits one process; while `blok serve` holds it, the files go to the
    service with an office API key, and without one the command says what to do (exit code 2).
    """
    from tqdm import tqdm

    from blok.handoff import hand_off_ingest
    from core.errors import StoreLockedError
    from ingest.discovery import discover_files
    from search_service.service_file import running_service

    files = discover_files(args.paths)  # for the progress bar; the runner finds them again
    service = running_service(settings.data_dir) if settings.store.backend == "edge" else None
    api_key = args.api_key or os.environ.get(API_KEY_ENV)
    if service is not None and (args.prune or not api_key):
        print(service_running_message(service.url, service.pid, args.prune), file=sys.stderr)
        return EXIT_USAGE
    bar = tqdm(total=len(files), unit="file", disable=args.no_progress, file=sys.stderr)

    def advance(path: Path, entry: object) -> None:
        bar.set_postfix_str(path.name[-40:])
        bar.update()

    try:
        if service is not None and api_key:
            report = hand_off_ingest(settings, args.paths, service.url, api_key, advance)
        else:
            from ingest.runner import run_ingest  # loads the model libraries: only when needed

            report = run_ingest(settings, args.paths, advance, prune=args.prune)
    except StoreLockedError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        bar.close()
    print(report.render())
    if args.report:
        args.report.write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n")
    return EXIT_FILES_SKIPPED if report.count("skipped") else EXIT_OK


def service_running_message(url: str, pid: int, prune: bool) -> str:
    """What to do when `blok serve` holds the store: hand over with a key, or stop it."""
    head = f"error: blok serve is running at {url} (pid {pid}) and holds the embedded store.\n"
    if prune:
        return head + (
            "--prune withdraws documents directly in the store: stop the service first, "
            "or run the ingest without --prune (it can be handed to the service)."
        )
    return head + (
        "Either hand the files to it with an office API key: pass --api-key KEY or set "
        f"{API_KEY_ENV} (create one with `blok api-keys create NAME --role office`), "
        "or stop the service first."
    )


def command_search(settings: Settings, args: argparse.Namespace) -> int:
    """`blok search "frage"`."""
    from search_service.engine import build_search_engine
    from search_service.schemas import SearchRequest

    request = SearchRequest(
        query=args.query, top_k=args.top_k, filters=filters_from(args), facets=args.facets
    )
    engine = build_search_engine(settings)
    try:
        response = engine.search(request)
    finally:
        engine.close()
    if args.json:
        print(response.model_dump_json(indent=2))
        return EXIT_OK
    if not response.results:
        print("Keine Treffer.")
    for rank, hit in enumerate(response.results, start=1):
        where = f"{hit.source_name}, S. {hit.page}"
        print(f"{rank}. {hit.title} ({where}) [{hit.score:.3f}]")
        if hit.section:
            print(f"   Abschnitt: {hit.section}")
        text = " ".join(hit.text.split())
        print(f"   {text[:300]}{'…' if len(text) > 300 else ''}")
    if response.facets is not None:
        print("\nFacetten (Dokumente unter den Kandidaten):")
        for name, values in response.facets:
            counts = ", ".join(f"{facet.value} ({facet.count})" for facet in values)
            print(f"  {name}: {counts or '–'}")
    return EXIT_OK


def command_ask(settings: Settings, args: argparse.Namespace) -> int:
    """`blok ask "frage"`."""
    from search_service.engine import build_search_engine
    from search_service.schemas import AskRequest

    request = AskRequest(query=args.query, top_k=args.top_k, filters=filters_from(args))
    engine = build_search_engine(settings)
    try:
        response = engine.ask(request)
    finally:
        engine.close()
    if args.json:
        print(response.model_dump_json(indent=2))
        return EXIT_OK
    print(response.answer)
    for citation in response.citations:
        print(f"[{citation.n}] {citation.title} ({citation.source_name}, S. {citation.page})")
    return EXIT_OK


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


def command_eval(settings: Settings, args: argparse.Namespace) -> int:
    """`blok eval [DATASET...]`."""
    from evaluation.runner import run_evaluation

    report = run_evaluation(
        settings, args.datasets, limit=args.limit, as_json=args.json, answers=not args.no_answers
    )
    print(report)
    return EXIT_OK


def command_model(settings: Settings, args: argparse.Namespace) -> int:
    """`blok model`: build the default model now (setup does this once)."""
    from pipelines.models.embedding_model import resolve_embedding_model

    print(resolve_embedding_model(settings.embedding.model, settings.models_dir))
    return EXIT_OK
