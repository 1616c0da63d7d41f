"""`blok users …` and `blok api-keys …`: accounts and API keys in the registry.

Run on the server by the office; the registry can be changed while `blok serve` runs, and every
change (disabling, rings, revoking) applies from the service's next request on. Every change is
recorded in the audit log under `cli:<os user>`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

from blok.help_text import simple_epilog
from core.accounts import Account, AccountStore, ApiKey, generate_password
from core.errors import ConflictError
from core.persistence.audit import cli_actor
from core.persistence.registry import Registry
from core.settings import Settings

ROLE_CHOICES = ("reader", "office", "admin")
UNREADABLE = "the registry cannot be read"


def add_account_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `users` and `api-keys` subcommands."""
    users = commands.add_parser(
        "users", help="manage accounts", epilog=simple_epilog("done", "the action was refused")
    ).add_subparsers(dest="action", required=True)
    add = users.add_parser(
        "add",
        help="add an account (prints a generated password once)",
        epilog=simple_epilog(
            "added",
            "the name is taken or invalid, a ring is invalid, or the password is too short",
        ),
    )
    add.add_argument("name")
    add_role_arguments(add)
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    listing = users.add_parser(
        "list", help="list accounts (never passwords)", epilog=simple_epilog("listed", UNREADABLE)
    )
    listing.add_argument("--json", action="store_true", help="print the accounts as JSON")
    set_rings = users.add_parser(
        "set-rings",
        help="replace an account's ring memberships",
        epilog=simple_epilog("changed", "no such account, or a ring is invalid"),
    )
    set_rings.add_argument("name")
    set_rings.add_argument("rings", nargs="*", help="e.g. vr3 vr5; none: no ring")
    for action, text in (("disable", "disable an account"), ("enable", "enable it again")):
        users.add_parser(
            action, help=text, epilog=simple_epilog("changed", "no such account")
        ).add_argument("name")
    reset = users.add_parser(
        "reset-password",
        help="set a new password (ends its sessions)",
        epilog=simple_epilog("changed", "no such account, or the password is too short"),
    )
    reset.add_argument("name")
    reset.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    ensure = users.add_parser(
        "ensure-admin",
        help="create an admin with a generated password unless one exists",
        epilog=simple_epilog(
            "created, or an active admin exists already",
            "an account with that name exists but is no active admin",
        ),
    )
    ensure.add_argument("--name", default="admin", help="name of the new admin (default admin)")

    keys = commands.add_parser(
        "api-keys", help="manage API keys", epilog=simple_epilog("done", "the action was refused")
    ).add_subparsers(dest="action", required=True)
    create = keys.add_parser(
        "create",
        help="create a key (prints it once)",
        epilog=simple_epilog("created", "the name or a ring is invalid"),
    )
    create.add_argument("name")
    add_role_arguments(create)
    keys.add_parser(
        "list",
        help="list keys (never the keys themselves)",
        epilog=simple_epilog("listed", UNREADABLE),
    ).add_argument("--json", action="store_true", help="print the keys as JSON")
    keys.add_parser(
        "revoke",
        help="revoke a key",
        epilog=simple_epilog("revoked (or revoked already)", "no such key"),
    ).add_argument("key_id")


def add_role_arguments(parser: argparse.ArgumentParser) -> None:
    """`--role` (required, repeatable) and `--ring` (repeatable)."""
    parser.add_argument(
        "--role", action="append", required=True, choices=ROLE_CHOICES, help="role (repeatable)"
    )
    parser.add_argument("--ring", action="append", default=[], help="ring, e.g. vr3 (repeatable)")


def read_password(args: argparse.Namespace) -> tuple[str, bool]:
    """The password from stdin with `--password-stdin`, else a generated one (flag: generated)."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n"), False
    return generate_password(), True


def describe_account(account: Account) -> str:
    """One line per account."""
    roles = ",".join(account.roles)
    rings = ",".join(account.rings) or "-"
    state = "active" if account.active else "disabled"
    return f"{account.name}\troles={roles}\trings={rings}\t{state}\tcreated={account.created_at}"


def describe_api_key(key: ApiKey) -> str:
    """One line per key."""
    state = f"revoked={key.revoked_at}" if key.revoked_at else "active"
    roles, rings = ",".join(key.roles), ",".join(key.rings) or "-"
    return f"{key.key_id}\t{key.name}\troles={roles}\trings={rings}\t{state}"


def command_users(settings: Settings, args: argparse.Namespace) -> int:
    """`blok users ACTION …`."""
    return with_accounts(settings, lambda accounts: run_users_action(accounts, args))


def command_api_keys(settings: Settings, args: argparse.Namespace) -> int:
    """`blok api-keys ACTION …`."""
    return with_accounts(settings, lambda accounts: run_api_keys_action(accounts, args))


def with_accounts(settings: Settings, action: Callable[[AccountStore], int]) -> int:
    """Open the registry for one action."""
    registry = Registry.open(settings)
    try:
        return action(AccountStore(registry))
    finally:
        registry.close()


def run_users_action(accounts: AccountStore, args: argparse.Namespace) -> int:
    """Carry out one `users` action."""
    actor = cli_actor()
    if args.action == "add":
        password, generated = read_password(args)
        account = accounts.create_account(
            args.name, roles=args.role, rings=args.ring, password=password, actor=actor
        )
        print(f"added {describe_account(account)}")
        if generated:
            print(f"password for {account.name} (shown only now): {password}")
    elif args.action == "list":
        listed = accounts.accounts()
        lines = [describe_account(account) for account in listed]
        as_json = json.dumps([account.__dict__ for account in listed], indent=2)
        print(as_json if args.json else "\n".join(lines) or "no accounts")
    elif args.action == "set-rings":
        print(describe_account(accounts.set_rings(args.name, args.rings, actor=actor)))
    elif args.action in ("disable", "enable"):
        active = args.action == "enable"
        print(describe_account(accounts.set_active(args.name, active, actor=actor)))
    elif args.action == "reset-password":
        password, generated = read_password(args)
        account = accounts.set_password(args.name, password, actor=actor)
        print(f"new password set for {account.name}; its sessions have ended")
        if generated:
            print(f"password for {account.name} (shown only now): {password}")
    elif args.action == "ensure-admin":
        return ensure_admin(accounts, args.name, actor=actor)
    return 0


def ensure_admin(accounts: AccountStore, name: str, *, actor: str) -> int:
    """Create an admin with a generated password, printed once, unless an active admin exists."""
    if accounts.has_active_admin():
        print("an active admin account exists (blok users list shows it)")
        return 0
    if accounts.find_account(name) is not None:
        raise ConflictError(f"an account named {name!r} exists but is no active admin")
    password = generate_password()
    account = accounts.create_account(
        name, roles=["admin"], rings=[], password=password, actor=actor
    )
    print(f"created admin account {account.name!r}; password (shown only now): {password}")
    print(f'sign in: POST /v1/auth/token {{"name": "{account.name}", "password": "…"}}')
    return 0


def run_api_keys_action(accounts: AccountStore, args: argparse.Namespace) -> int:
    """Carry out one `api-keys` action."""
    actor = cli_actor()
    if args.action == "create":
        key, secret = accounts.create_api_key(
            args.name, roles=args.role, rings=args.ring, actor=actor
        )
        print(f"created {describe_api_key(key)}")
        print(f"key (shown only now; send as X-API-Key): {secret}")
    elif args.action == "list":
        listed = accounts.api_keys()
        lines = [describe_api_key(key) for key in listed]
        as_json = json.dumps([key.__dict__ for key in listed], indent=2)
        print(as_json if args.json else "\n".join(lines) or "no API keys")
    elif args.action == "revoke":
        revoked = accounts.revoke_api_key(args.key_id, actor=actor)
        print(f"revoked {describe_api_key(revoked)}")
    return 0
