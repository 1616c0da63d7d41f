"""The office's logs: knowledge gaps, the query log with feedback, the audit log (paged).

Each reads what its API route reads (`GET /v1/admin/gaps`, `/queries`, `/audit`): the query log
and the gaps hold questions and figures, never who asked. Pages go back in time with
`?vor=<id>` (the API's `before_id`).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from core.errors import MAX_ID
from search_service.admin_routes import next_before_id
from search_service.deps import ContextDep
from search_service.ui_office import OfficeDep, render_office

log_pages = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
GAPS_SHOWN = 100
ACTION_LABELS = {
    "account.create": "Konto angelegt",
    "account.set_rings": "Ringe eines Kontos geändert",
    "account.set_roles": "Rollen eines Kontos geändert",
    "account.enable": "Konto aktiviert",
    "account.disable": "Konto deaktiviert",
    "account.reset_password": "Passwort zurückgesetzt",
    "api_key.create": "API-Schlüssel erstellt",
    "api_key.revoke": "API-Schlüssel widerrufen",
    "auth.sign_in": "Angemeldet",
    "auth.sign_in_failed": "Anmeldung fehlgeschlagen",
    "auth.sign_out": "Abgemeldet",
    "document.upload": "Dokument hochgeladen",
    "document.edit": "Angaben geändert",
    "document.withdraw": "Dokument zurückgezogen",
    "document.restore": "Dokument wiederhergestellt",
    "document.delete": "Dokument gelöscht",
    "document.replace": "Dokument ersetzt (neue Fassung)",
    "document.supersede": "Als ersetzt markiert",
    "document.unsupersede": "Markierung „ersetzt“ entfernt",
    "index.reindex.start": "Neuindizierung gestartet",
    "index.reindex.finish": "Neuindizierung beendet",
}


def before_id(value: str | None) -> int | None:
    """The page's `vor` parameter as an id (anything else: the newest page)."""
    if value and value.isdigit() and 1 <= int(value) <= MAX_ID:
        return int(value)
    return None


def state_text(state: dict[str, Any] | None) -> str:
    """A state of the audit log as compact JSON (escaped by the template)."""
    return json.dumps(state, ensure_ascii=False, sort_keys=True) if state else ""


@log_pages.get("/verwaltung/luecken")
def show_gaps(request: Request, context: ContextDep, visitor: OfficeDep) -> HTMLResponse:
    """Questions without a reliable answer, grouped, most frequent first, each with its search."""
    gaps = context.query_log.gaps(weak_score=context.settings.answer.weak_score, limit=GAPS_SHOWN)
    return render_office(
        request,
        "verwaltung/luecken.html",
        visitor,
        gaps=gaps,
        search_url=lambda question: "/?" + urlencode({"q": question}),
    )


@log_pages.get("/verwaltung/anfragen")
def show_queries(
    request: Request, context: ContextDep, visitor: OfficeDep, vor: str | None = None
) -> HTMLResponse:
    """Searches and questions, newest first, with the feedback on each answer."""
    entries = context.query_log.entries(limit=PAGE_SIZE, before_id=before_id(vor))
    following = next_before_id([entry.id for entry in entries], PAGE_SIZE)
    return render_office(
        request,
        "verwaltung/anfragen.html",
        visitor,
        entries=entries,
        older_url=f"/verwaltung/anfragen?vor={following}" if following else None,
        newest_url="/verwaltung/anfragen" if vor else None,
        search_url=lambda question: "/?" + urlencode({"q": question}),
        filters_text=lambda filters: state_text(filters),
    )


@log_pages.get("/verwaltung/protokoll")
def show_audit_log(
    request: Request, context: ContextDep, visitor: OfficeDep, vor: str | None = None
) -> HTMLResponse:
    """Who changed what and when, newest first, with the state before and after."""
    entries = context.audit.entries(limit=PAGE_SIZE, before_id=before_id(vor))
    following = next_before_id([entry.id for entry in entries], PAGE_SIZE)
    return render_office(
        request,
        "verwaltung/protokoll.html",
        visitor,
        entries=entries,
        older_url=f"/verwaltung/protokoll?vor={following}" if following else None,
        newest_url="/verwaltung/protokoll" if vor else None,
        action_label=lambda action: ACTION_LABELS.get(str(action), str(action)),
        state_text=state_text,
    )
