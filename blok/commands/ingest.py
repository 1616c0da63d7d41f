"""`blok ingest`: files into the store, or handed to the running service."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from blok.exit_codes import API_KEY_ENV, EXIT_ERROR, EXIT_FILES_SKIPPED, EXIT_OK, EXIT_USAGE
from blok.help_text import exit_codes_epilog
from core.settings import Settings


def add_ingest_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`blok ingest PATH... [--report FILE] [--no-progress] [--prune] [--api-key KEY]`."""
    ingest = commands.add_parser(
        "ingest",
        help="add files or folders to the index",
        description="Index files and folders (recursively), or hand them to `blok serve`.",
        epilog=INGEST_EXIT_CODES,
    )
    ingest.add_argument("paths", nargs="+", type=Path, help="files and folders (recursively)")
    ingest.add_argument("--report", type=Path, help="write the report as JSON to this file")
    ingest.add_argument("--no-progress", action="store_true", help="no progress bar")
    ingest.add_argument(
        "--prune",
        action="store_true",
        help="delete documents whose files under the given folders are all gone",
    )
    ingest.add_argument(
        "--api-key",
        help=f"office API key: while `blok serve` runs, hand the files to it (or ${API_KEY_ENV})",
    )


INGEST_EXIT_CODES = exit_codes_epilog(
    (EXIT_OK, "every file was indexed, unchanged, a duplicate or held"),
    (EXIT_ERROR, "an error stopped the run (a re-index runs, the service refused the key, ...)"),
    (
        EXIT_USAGE,
        "wrong arguments or invalid settings, or the embedded store is held: by `blok serve`\n"
        "(without an API key, or with --prune) or by another process",
    ),
    (EXIT_FILES_SKIPPED, "some files were skipped (the report gives each reason)"),
)


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
    service = running_service(settings.service_file) if settings.store.backend == "edge" else None
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
            "--prune deletes documents directly in the store: stop the service first, "
            "or run the ingest without --prune (it can be handed to the service)."
        )
    return head + (
        "Either hand the files to it with an office API key: pass --api-key KEY or set "
        f"{API_KEY_ENV} (create one with `blok api-keys create NAME --role office`), "
        "or stop the service first."
    )
