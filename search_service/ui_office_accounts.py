"""Admins only: accounts (add, rings, roles, disable, reset password).

Through `core.accounts.AccountStore`, as `blok users` does, with the admin as the audited
actor. A generated password is shown once, on the page that answers the form (it is stored
only as a hash, so a redirect could not show it again). The last active admin cannot be
disabled or lose the admin role here, so the UI cannot lock every admin out.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from core.access import Role
from core.accounts import MIN_PASSWORD_LENGTH, Account, AccountStore, generate_password
from core.errors import ConflictError, InvalidRequestError
from core.metadata import normalize_ring
from core.persistence.audit import principal_actor
from search_service.deps import ContextDep
from search_service.ui_office import AdminDep, AdminFormDep, done, render_office
from search_service.ui_pages import ROLE_LABELS, Visitor, render_page
from search_service.ui_views import ring_label

account_pages = APIRouter(include_in_schema=False)
NAME = re.compile(r"^[\w.@-]{1,64}$")
RING_SEPARATOR = re.compile(r"[,;]")
Roles = Annotated[list[str], Form()]
Text = Annotated[str, Form(max_length=500)]
LAST_ADMIN = "Das ist das letzte aktive Admin-Konto; es muss Admin und aktiv bleiben."
NAME_ERROR = "Namen bestehen aus 1 bis 64 Buchstaben, Ziffern oder . _ @ -."


def role_options() -> list[tuple[str, str]]:
    """The roles for checkboxes."""
    return [(role.value, ROLE_LABELS[role.value]) for role in Role]


def role_label(role: object) -> str:
    """A role's German name (the stored value when there is none)."""
    return ROLE_LABELS.get(str(role), str(role))


def grant_labels() -> dict[str, object]:
    """What every page granting roles and rings shows: the role checkboxes and the labels."""
    return {"roles": role_options(), "role_label": role_label, "ring_label": ring_label}


def parse_ring_text(text: str, errors: dict[str, str], field: str = "rings") -> list[str]:
    """Rings typed as `VR 3, VR 5`; a German error in `errors` when one is wrong."""
    parts = [part.strip() for part in RING_SEPARATOR.split(text) if part.strip()]
    try:
        return sorted({normalize_ring(part) for part in parts})
    except ValueError:
        errors[field] = "Die Ringe bitte durch Komma getrennt angeben, etwa „VR 3, VR 5“."
        return []


def checked_roles(roles: list[str], errors: dict[str, str]) -> list[str]:
    """The chosen roles; a German error when none or an unknown one is chosen."""
    known = {role.value for role in Role}
    chosen = [role for role in roles if role in known]
    if not chosen or len(chosen) != len(roles):
        errors["roles"] = "Bitte wählen Sie mindestens eine Rolle."
    return chosen


def last_admin(accounts: AccountStore, account: Account) -> bool:
    """Whether the account is the only active admin."""
    admins = [a for a in accounts.accounts() if Role.ADMIN in a.roles and a.active]
    return [a.name for a in admins] == [account.name]


def accounts_page(
    request: Request,
    visitor: Visitor,
    accounts: AccountStore,
    *,
    values: dict[str, object] | None = None,
    errors: dict[str, str] | None = None,
    created: tuple[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The account list with the form that adds one."""
    return render_office(
        request,
        "verwaltung/konten.html",
        visitor,
        status_code=status_code,
        accounts=accounts.accounts(),
        values=values or {"name": "", "roles": ["reader"], "rings": ""},
        errors=errors or {},
        created=created,
        min_password=MIN_PASSWORD_LENGTH,
        **grant_labels(),
    )


@account_pages.get("/verwaltung/konten")
def show_accounts(request: Request, context: ContextDep, visitor: AdminDep) -> HTMLResponse:
    """Every account with roles, rings and state; the form that adds one."""
    return accounts_page(request, visitor, context.accounts)


@account_pages.post("/verwaltung/konten")
def create_account_from_form(
    request: Request,
    context: ContextDep,
    visitor: AdminFormDep,
    name: Annotated[str, Form(max_length=200)] = "",
    roles: Roles = [],  # noqa: B006 - FastAPI copies defaults
    rings: Text = "",
    password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    """Add an account; a password left empty is generated and shown once."""
    errors: dict[str, str] = {}
    name = name.strip()
    if not NAME.match(name):
        errors["name"] = NAME_ERROR
    chosen = checked_roles(roles, errors)
    ring_ids = parse_ring_text(rings, errors)
    if password and len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = f"Ein Passwort braucht mindestens {MIN_PASSWORD_LENGTH} Zeichen."
    values: dict[str, object] = {"name": name, "roles": roles, "rings": rings}
    accounts = context.accounts
    if not errors:
        secret = password or generate_password()
        try:
            accounts.create_account(
                name,
                roles=chosen,
                rings=ring_ids,
                password=secret,
                actor=principal_actor(visitor.principal),
            )
        except ConflictError:
            errors["name"] = "Ein Konto dieses Namens gibt es bereits."
        except InvalidRequestError:
            errors["name"] = NAME_ERROR
        else:
            if password:
                return done("/verwaltung/konten", "konto-angelegt")
            return accounts_page(request, visitor, accounts, created=(name, secret))
    return accounts_page(request, visitor, accounts, values=values, errors=errors, status_code=400)


def account_page(
    request: Request,
    visitor: Visitor,
    account: Account,
    *,
    errors: dict[str, str] | None = None,
    rings: str | None = None,
    new_password: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """One account with its forms: rings, roles, enable or disable, reset the password."""
    return render_office(
        request,
        "verwaltung/konto.html",
        visitor,
        status_code=status_code,
        account=account,
        errors=errors or {},
        rings=rings if rings is not None else ", ".join(ring_label(r) for r in account.rings),
        new_password=new_password,
        **grant_labels(),
    )


def find(context: ContextDep, name: str) -> Account | None:
    """The account of this name, if any."""
    return context.accounts.find_account(name) if NAME.match(name) else None


def missing(request: Request, visitor: Visitor) -> HTMLResponse:
    """The 404 page of an account that does not exist."""
    return render_page(request, "not_found.html", visitor, status_code=404)


@account_pages.get("/verwaltung/konten/{name}")
def show_account(
    request: Request, name: str, context: ContextDep, visitor: AdminDep
) -> HTMLResponse:
    """One account and the forms that change it."""
    account = find(context, name)
    if account is None:
        return missing(request, visitor)
    return account_page(request, visitor, account)


@account_pages.post("/verwaltung/konten/{name}/ringe")
def set_rings_from_form(
    request: Request, name: str, context: ContextDep, visitor: AdminFormDep, rings: Text = ""
) -> Response:
    """Replace the account's ring memberships."""
    account = find(context, name)
    if account is None:
        return missing(request, visitor)
    errors: dict[str, str] = {}
    ring_ids = parse_ring_text(rings, errors)
    if errors:
        return account_page(request, visitor, account, errors=errors, rings=rings, status_code=400)
    context.accounts.set_rings(name, ring_ids, actor=principal_actor(visitor.principal))
    return done(f"/verwaltung/konten/{name}", "konto-geaendert")


@account_pages.post("/verwaltung/konten/{name}/rollen")
def set_roles_from_form(
    request: Request,
    name: str,
    context: ContextDep,
    visitor: AdminFormDep,
    roles: Roles = [],  # noqa: B006 - FastAPI copies defaults
) -> Response:
    """Replace the account's roles (the last active admin keeps the admin role)."""
    account = find(context, name)
    if account is None:
        return missing(request, visitor)
    errors: dict[str, str] = {}
    chosen = checked_roles(roles, errors)
    if not errors and Role.ADMIN.value not in chosen and last_admin(context.accounts, account):
        errors["roles"] = LAST_ADMIN
    if errors:
        return account_page(request, visitor, account, errors=errors, status_code=400)
    context.accounts.set_roles(name, chosen, actor=principal_actor(visitor.principal))
    return done(f"/verwaltung/konten/{name}", "konto-geaendert")


@account_pages.post("/verwaltung/konten/{name}/aktiv")
def set_active_from_form(
    request: Request,
    name: str,
    context: ContextDep,
    visitor: AdminFormDep,
    aktiv: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Enable (`aktiv=ja`) or disable the account; disabling ends its sessions."""
    account = find(context, name)
    if account is None:
        return missing(request, visitor)
    active = aktiv == "ja"
    if not active and last_admin(context.accounts, account):
        errors = {"aktiv": LAST_ADMIN}
        return account_page(request, visitor, account, errors=errors, status_code=409)
    context.accounts.set_active(name, active, actor=principal_actor(visitor.principal))
    return done(f"/verwaltung/konten/{name}", "konto-geaendert")


@account_pages.post("/verwaltung/konten/{name}/passwort")
def reset_password_from_form(
    request: Request, name: str, context: ContextDep, visitor: AdminFormDep
) -> Response:
    """Give the account a new generated password (shown once); its sessions end."""
    account = find(context, name)
    if account is None:
        return missing(request, visitor)
    secret = generate_password()
    account = context.accounts.set_password(name, secret, actor=principal_actor(visitor.principal))
    return account_page(request, visitor, account, new_password=secret)
