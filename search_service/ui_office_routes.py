"""`/verwaltung`: the office's overview (office and admin only), a first, read-only slice.

Knowledge gaps come from the query log exactly as `GET /v1/admin/gaps` reads them, documents
from the catalog under the office's access as `GET /v1/documents` lists them (the office also
sees withdrawn ones). Anonymous visitors are sent to the sign-in page; signed-in callers
without the office or admin role get a 403 page.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from search_service.deps import ContextDep
from search_service.document_routes import summary
from search_service.ui_pages import VisitorDep, render_page

ui_office_router = APIRouter(include_in_schema=False)
GAPS_SHOWN = 50


@ui_office_router.get("/verwaltung")
def show_office_overview(request: Request, context: ContextDep, visitor: VisitorDep) -> Response:
    """Knowledge gaps (each with a link that runs its search) and every document with status."""
    if not visitor.signed_in:
        return RedirectResponse("/anmelden?" + urlencode({"weiter": "/verwaltung"}), 303)
    if not visitor.is_office:
        return render_page(request, "office_refused.html", visitor, status_code=403)
    gaps = context.query_log.gaps(weak_score=context.settings.answer.weak_score, limit=GAPS_SHOWN)
    records = context.catalog.list(visitor.principal)
    documents = [summary(context, record, visitor.principal) for record in records]
    return render_page(
        request,
        "office.html",
        visitor,
        gaps=gaps,
        documents=documents,
        search_url=lambda question: "/?" + urlencode({"q": question}),
    )
