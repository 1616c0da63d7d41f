"""Rendering the web UI's pages: the Jinja2 templates, the signed-in caller, the CSRF field.

Templates escape every value (autoescape); only `Markup` built in `search_service.ui_views`
and `search_service.ui_reading`, which escape the text they wrap, passes unescaped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from core.access import ANONYMOUS, UNRESTRICTED_ROLES, Principal
from core.errors import UnauthorizedError
from search_service.auth import session_principal
from search_service.deps import ContextDep
from search_service.sessions import SESSION_COOKIE, csrf_token_for
from search_service.ui_views import date_label, kind_label, ring_label

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
ROLE_LABELS = {"reader": "Lesend", "office": "Geschäftsstelle", "admin": "Administration"}


def build_environment() -> Environment:
    """The template environment, escaping everything by default."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["kind_label"] = kind_label
    environment.filters["ring_label"] = ring_label
    environment.filters["date_label"] = date_label
    return environment


ENVIRONMENT = build_environment()


@dataclass(frozen=True)
class Visitor:
    """Who is looking at the page: the principal and the CSRF token of their session."""

    principal: Principal
    csrf_token: str | None

    @property
    def signed_in(self) -> bool:
        """Whether a session stands behind the page."""
        return self.principal.kind != "anonymous"

    @property
    def is_office(self) -> bool:
        """Office or admin."""
        return bool(self.principal.roles & UNRESTRICTED_ROLES)

    @property
    def role_labels(self) -> list[str]:
        """The roles in German."""
        return [ROLE_LABELS.get(str(role), str(role)) for role in sorted(self.principal.roles)]

    @property
    def rings(self) -> list[str]:
        """The caller's rings by number (`vr3`)."""
        return sorted(self.principal.rings, key=lambda ring: int(ring[2:]))


def get_visitor(request: Request, context: ContextDep) -> Visitor:
    """The caller of a page, from the session cookie (`search_service.auth`).

    A session that has ended or expired makes the page anonymous rather than an error page;
    the sign-in link is then one click away.
    """
    session = request.cookies.get(SESSION_COOKIE)
    if not session:
        return Visitor(ANONYMOUS, None)
    try:
        principal = session_principal(context.accounts, session)
    except UnauthorizedError:
        return Visitor(ANONYMOUS, None)
    return Visitor(principal, csrf_token_for(session))


VisitorDep = Annotated[Visitor, Depends(get_visitor)]


def render_page(
    request: Request,
    template: str,
    visitor: Visitor,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """One page; every template gets the visitor, the request's path and the search text."""
    context.setdefault("q", request.query_params.get("q", ""))
    query = request.url.query
    context.setdefault("current_url", request.url.path + (f"?{query}" if query else ""))
    html = ENVIRONMENT.get_template(template).render(
        visitor=visitor, path=request.url.path, **context
    )
    return HTMLResponse(html, status_code=status_code)
