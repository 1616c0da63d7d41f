"""`blok audit`: the newest entries of the audit log (reads only the registry)."""

from __future__ import annotations

import argparse
import json

from blok.help_text import simple_epilog
from core.persistence.audit import AuditEntry
from core.persistence.registry import Registry
from core.settings import Settings


def add_audit_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `audit` subcommand."""
    audit = commands.add_parser(
        "audit",
        help="who changed which account, key or document",
        epilog=simple_epilog(
            "printed (also when there are no entries)", "the registry cannot be read"
        ),
    )
    audit.add_argument("--limit", type=int, default=50, help="newest N entries (default 50)")
    audit.add_argument("--before-id", type=int, default=None, help="only entries older than this")
    audit.add_argument("--json", action="store_true", help="print the entries as JSON")


def describe_entry(entry: AuditEntry) -> str:
    """One line per entry: id, time, actor, action, target, before → after."""
    before = json.dumps(entry.before, ensure_ascii=False) if entry.before is not None else "–"
    after = json.dumps(entry.after, ensure_ascii=False) if entry.after is not None else "–"
    fields = (str(entry.id), entry.at, entry.actor, entry.action, entry.target)
    return "\t".join(fields) + f"\t{before} → {after}"


def command_audit(settings: Settings, args: argparse.Namespace) -> int:
    """`blok audit [--limit N] [--before-id ID] [--json]`."""
    registry = Registry.open(settings)
    try:
        entries = registry.audit.entries(limit=args.limit, before_id=args.before_id)
    finally:
        registry.close()
    if args.json:
        print(json.dumps([entry.__dict__ for entry in entries], ensure_ascii=False, indent=2))
    else:
        print("\n".join(describe_entry(entry) for entry in entries) or "no audit entries")
    return 0
