"""`blok documents list|show|withdraw|restore|delete`: the documents in the registry.

`list`, `show`, `withdraw` and `restore` use only the registry (they work while `blok serve`
runs; a withdrawal hides the document from the service's next query, keeping it); `delete`
removes it and also opens the store, which the embedded store admits from one process at a
time. Editing metadata and marking a document as
superseded change the store's payload: they are done through the API
(`PATCH /v1/documents/{id}`, `POST /v1/documents/{id}/supersede`).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from blok.exit_codes import EXIT_ERROR, EXIT_OK
from blok.help_text import WRONG_USAGE, exit_codes_epilog
from core.document_snapshot import DocumentSnapshot
from core.errors import NotFoundError
from core.persistence.audit import cli_actor
from core.persistence.registry import Registry
from core.settings import Settings
from ingest import lifecycle
from ingest.curation import set_withdrawn
from pipelines.stores import build_chunk_store

LIST_COLUMNS = ("document_id", "title", "kind", "ring", "date", "visibility", "status")
LIST_EXIT_CODES = exit_codes_epilog(
    (EXIT_OK, "listed"), (EXIT_ERROR, "the registry cannot be read"), WRONG_USAGE
)
SHOW_EXIT_CODES = exit_codes_epilog(
    (EXIT_OK, "shown"), (EXIT_ERROR, "no such document"), WRONG_USAGE
)
WITHDRAW_EXIT_CODES = exit_codes_epilog(
    (EXIT_OK, "withdrawn"),
    (EXIT_ERROR, "no such document, or it is withdrawn already"),
    WRONG_USAGE,
)
RESTORE_EXIT_CODES = exit_codes_epilog(
    (EXIT_OK, "restored"), (EXIT_ERROR, "no such document, or it is not withdrawn"), WRONG_USAGE
)
DELETE_EXIT_CODES = exit_codes_epilog(
    (EXIT_OK, "deleted"),
    (
        EXIT_ERROR,
        "no such document, a re-index runs, or the embedded store is held\n"
        "(by a running `blok serve`: stop it, or delete through the API)",
    ),
    WRONG_USAGE,
)
DOCUMENTS_EXIT_CODES = exit_codes_epilog(
    (EXIT_OK, "done"),
    (EXIT_ERROR, "no such document, or the action cannot be done (see each action's --help)"),
    WRONG_USAGE,
)


def add_document_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `documents` subcommands."""
    documents = commands.add_parser(
        "documents",
        help="list, show, withdraw, restore or delete documents",
        epilog=DOCUMENTS_EXIT_CODES,
    )
    actions = documents.add_subparsers(dest="action", required=True)
    actions.add_parser(
        "list", help="every document, by title", epilog=LIST_EXIT_CODES
    ).add_argument("--json", action="store_true", help="print the documents as JSON")
    show = actions.add_parser(
        "show", help="one document: metadata, inferred fields, paths", epilog=SHOW_EXIT_CODES
    )
    show.add_argument("document_id")
    show.add_argument("--json", action="store_true", help="print the document as JSON")
    for action, help_text, epilog in (
        (
            "withdraw",
            "hide a document from every search and read but the office's, keeping it",
            WITHDRAW_EXIT_CODES,
        ),
        ("restore", "serve a withdrawn document again", RESTORE_EXIT_CODES),
    ):
        actions.add_parser(action, help=help_text, epilog=epilog).add_argument("document_id")
    delete = actions.add_parser(
        "delete",
        help="remove a document's chunks, registry rows and kept original",
        epilog=DELETE_EXIT_CODES,
    )
    delete.add_argument("document_id")


def command_documents(settings: Settings, args: argparse.Namespace) -> int:
    """`blok documents …`."""
    registry = Registry.open(settings)
    try:
        if args.action == "delete":
            return delete_document(settings, registry, args.document_id)
        if args.action in ("withdraw", "restore"):
            return change_withdrawal(registry, args.document_id, args.action == "withdraw")
        if args.action == "list":
            rows = [
                DocumentSnapshot.of(
                    record, registry.documents.paths(record.document_id)
                ).command_line_fields()
                for record in registry.documents.list_documents()
            ]
            print(json.dumps(rows, ensure_ascii=False, indent=2) if args.json else table(rows))
            return 0
        record = registry.documents.get(args.document_id)
        if record is None:
            raise NotFoundError(f"no document with id {args.document_id}")
        snapshot = DocumentSnapshot.of(record, registry.documents.paths(record.document_id))
        shown = snapshot.command_line_fields()
        print(json.dumps(shown, ensure_ascii=False, indent=2) if args.json else details(shown))
        return 0
    finally:
        registry.close()


def change_withdrawal(registry: Registry, document_id: str, withdrawn: bool) -> int:
    """Withdraw or restore one document (registry only; audited with the CLI actor)."""
    audit = registry.audit
    record = set_withdrawn(registry, audit, document_id, withdrawn, actor=cli_actor())
    print(f"{record.document_id} ({record.title}): {record.status}")
    return 0


def delete_document(settings: Settings, registry: Registry, document_id: str) -> int:
    """Delete one document from the store and the registry (audited as `document.delete`)."""
    if registry.documents.get(document_id) is None:
        raise NotFoundError(f"no document with id {document_id}")
    registry.index_state.refuse_during_reindex()
    store = build_chunk_store(settings, registry)
    try:
        record = lifecycle.delete_document(
            store, registry, settings.sources_dir, document_id, actor=cli_actor()
        )
    finally:
        store.close()
    print(f"deleted {record.document_id} ({record.title}): {record.chunk_count} chunks")
    return 0


def table(rows: list[dict[str, Any]]) -> str:
    """One line per document under a header, columns aligned."""
    if not rows:
        return "no documents"
    header = [*LIST_COLUMNS, "pages", "chunks", "paths"]
    cells = [
        [str(row[name] if row[name] not in (None, "") else "–") for name in header[:-1]]
        + ["; ".join(row["paths"])]
        for row in rows
    ]
    widths = [max(len(line[i]) for line in [header, *cells]) for i in range(len(header) - 1)]
    lines = []
    for line in [header, *cells]:
        padded = [cell.ljust(width) for cell, width in zip(line, widths, strict=False)]
        lines.append("  ".join([*padded, line[-1]]))
    return "\n".join(lines)


def details(shown: dict[str, Any]) -> str:
    """One field per line; inferred fields are marked."""
    inferred = set(shown["inferred"])
    lines = []
    for name, value in shown.items():
        if name in ("paths", "inferred"):
            continue
        mark = "  (inferred)" if name in inferred else ""
        lines.append(f"{name}: {value if value not in (None, []) else '–'}{mark}")
    lines.append("paths:")
    lines += [f"  {path}" for path in shown["paths"]]
    return "\n".join(lines)
