"""The `blok` command: ingest, documents, reindex, search, ask, serve, worker, eval, users, …

Each command group lives in its own module under `blok.commands`; this module assembles the
parser and maps failures to the exit codes of `blok.exit_codes`. Commands that change accounts,
keys or documents record the OS user as `cli:<user>` in the audit log.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import ValidationError

from blok.commands.accounts import add_account_parsers, command_api_keys, command_users
from blok.commands.audit import add_audit_parser, command_audit
from blok.commands.backup import add_backup_parsers, command_backup, command_restore
from blok.commands.documents import add_document_parsers, command_documents
from blok.commands.evaluate import add_eval_parser, command_eval
from blok.commands.ingest import add_ingest_parser, command_ingest
from blok.commands.migrate import add_migrate_parser, command_migrate
from blok.commands.query import add_query_parsers, command_ask, command_search
from blok.commands.reindex import add_reindex_parser, command_reindex
from blok.commands.serve import add_serve_parsers, command_model, command_serve
from blok.commands.worker import add_worker_parser, command_worker
from blok.exit_codes import EXIT_ERROR, EXIT_FILES_SKIPPED, EXIT_OK, EXIT_USAGE
from blok.help_text import exit_codes_epilog, keep_help_lines
from core.errors import find_domain_error
from core.settings import Settings

Handler = Callable[[Settings, argparse.Namespace], int]
HANDLERS: dict[str, Handler] = {
    "ingest": command_ingest,
    "documents": command_documents,
    "reindex": command_reindex,
    "search": command_search,
    "ask": command_ask,
    "serve": command_serve,
    "worker": command_worker,
    "eval": command_eval,
    "model": command_model,
    "users": command_users,
    "api-keys": command_api_keys,
    "audit": command_audit,
    "backup": command_backup,
    "restore": command_restore,
    "migrate": command_migrate,
}


def build_parser() -> argparse.ArgumentParser:
    """Arguments of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="blok",
        description="Knowledge search for the Benchlearning of municipal job centres.",
        epilog=exit_codes_epilog(
            (EXIT_OK, "done"),
            (EXIT_ERROR, "an error stopped the command"),
            (EXIT_USAGE, "wrong arguments or invalid settings, or the store is held (ingest)"),
            (EXIT_FILES_SKIPPED, "ingest: files were skipped; reindex: documents were lost"),
            (130, "interrupted (Ctrl-C)"),
        )
        + "\n\n`blok COMMAND --help` lists the codes of each command.",
    )
    parser.add_argument("--data-dir", type=Path, help="where everything lives (default ./data)")
    commands = parser.add_subparsers(dest="command", required=True)
    add_ingest_parser(commands)
    add_document_parsers(commands)
    add_reindex_parser(commands)
    add_query_parsers(commands)
    add_serve_parsers(commands)
    add_worker_parser(commands)
    add_eval_parser(commands)
    add_account_parsers(commands)
    add_audit_parser(commands)
    add_backup_parsers(commands)
    add_migrate_parser(commands)
    keep_help_lines(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `blok` console command."""
    args = build_parser().parse_args(argv)
    try:
        overrides = {"data_dir": args.data_dir} if args.data_dir else {}
        settings = Settings(**overrides)
    except ValidationError as exc:
        print(f"error: invalid settings:\n{exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        return HANDLERS[args.command](settings, args)
    except ValidationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        domain_error = find_domain_error(exc, causes_only=True)  # or one a pipeline wrapped
        if domain_error is None:
            raise
        print(f"error: {domain_error.message}", file=sys.stderr)
        return EXIT_ERROR
