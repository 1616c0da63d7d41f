"""Admins only: API keys for integrations, created (shown once) and revoked.

Through `core.accounts.AccountStore`, as `POST /v1/api-keys` and `DELETE /v1/api-keys/{key_id}`,
with the admin as the audited actor. The new key is shown on the page that answers the form: it
is stored only as a hash, so no later page can show it again.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from core.accounts import AccountStore
from core.errors import NotFoundError
from core.persistence.audit import principal_actor
from search_service.deps import ContextDep
from search_service.ui_office import AdminDep, AdminFormDep, done, render_office
from search_service.ui_office_accounts import (
    NAME,
    NAME_ERROR,
    Roles,
    Text,
    checked_roles,
    grant_labels,
    missing,
    parse_ring_text,
)
from search_service.ui_pages import Visitor

api_key_pages = APIRouter(include_in_schema=False)


def keys_page(
    request: Request,
    visitor: Visitor,
    accounts: AccountStore,
    *,
    values: dict[str, object] | None = None,
    errors: dict[str, str] | None = None,
    created: tuple[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The API keys (never their secrets) and the form that creates one."""
    return render_office(
        request,
        "verwaltung/api_schluessel.html",
        visitor,
        status_code=status_code,
        keys=accounts.api_keys(),
        values=values or {"name": "", "roles": ["reader"], "rings": ""},
        errors=errors or {},
        created=created,
        **grant_labels(),
    )


@api_key_pages.get("/verwaltung/api-schluessel")
def show_api_keys(request: Request, context: ContextDep, visitor: AdminDep) -> HTMLResponse:
    """Every API key and the form that creates one."""
    return keys_page(request, visitor, context.accounts)


@api_key_pages.post("/verwaltung/api-schluessel")
def create_api_key_from_form(
    request: Request,
    context: ContextDep,
    visitor: AdminFormDep,
    name: Annotated[str, Form(max_length=200)] = "",
    roles: Roles = [],  # noqa: B006 - FastAPI copies defaults
    rings: Text = "",
) -> Response:
    """Create a key (as `POST /v1/api-keys`); the page shows it this once."""
    errors: dict[str, str] = {}
    name = name.strip()
    if not NAME.match(name):
        errors["name"] = NAME_ERROR
    chosen = checked_roles(roles, errors)
    ring_ids = parse_ring_text(rings, errors)
    if errors:
        values: dict[str, object] = {"name": name, "roles": roles, "rings": rings}
        return keys_page(
            request, visitor, context.accounts, values=values, errors=errors, status_code=400
        )
    key, secret = context.accounts.create_api_key(
        name, roles=chosen, rings=ring_ids, actor=principal_actor(visitor.principal)
    )
    return keys_page(request, visitor, context.accounts, created=(key.name, secret))


@api_key_pages.post("/verwaltung/api-schluessel/{key_id}/widerrufen")
def revoke_api_key_from_form(
    request: Request, key_id: str, context: ContextDep, visitor: AdminFormDep
) -> Response:
    """Revoke a key (as `DELETE /v1/api-keys/{key_id}`); it stops working at once."""
    try:
        context.accounts.revoke_api_key(key_id[:64], actor=principal_actor(visitor.principal))
    except NotFoundError:
        return missing(request, visitor)
    return done("/verwaltung/api-schluessel", "schluessel-widerrufen")
