"""`/verwaltung`: the office's pages (office and admin only; accounts and API keys admin only).

One module per area, each with its own router, gathered here: upload and job status
(`ui_office_upload`), documents (`ui_office_documents`, `ui_office_curation`), knowledge
gaps, query log and audit log (`ui_office_logs`), re-index (`ui_office_reindex`), accounts
(`ui_office_accounts`) and API keys (`ui_office_api_keys`). Who may enter, the messages after
a form and the German errors are in `ui_office`. Every page calls what the API's route for the
same thing calls.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from search_service.deps import ContextDep
from search_service.ui_office import OfficeDep, render_office
from search_service.ui_office_accounts import account_pages
from search_service.ui_office_api_keys import api_key_pages
from search_service.ui_office_curation import curation_pages
from search_service.ui_office_documents import document_pages
from search_service.ui_office_logs import log_pages
from search_service.ui_office_reindex import reindex_pages
from search_service.ui_office_upload import upload_pages
from search_service.upload_routes import get_ingest_jobs

ui_office_router = APIRouter(include_in_schema=False)
for pages in (
    upload_pages,
    document_pages,
    curation_pages,
    log_pages,
    reindex_pages,
    account_pages,
    api_key_pages,
):
    ui_office_router.include_router(pages)
GAPS_SHOWN = 5


@ui_office_router.get("/verwaltung")
def show_office_overview(request: Request, context: ContextDep, visitor: OfficeDep) -> HTMLResponse:
    """The areas of the office with a few figures and the most frequent knowledge gaps."""
    records = context.catalog.list(visitor.principal)
    running = get_ingest_jobs(request).list_jobs(states=("queued", "running"), limit=None)
    return render_office(
        request,
        "verwaltung/uebersicht.html",
        visitor,
        documents=len(records),
        withdrawn=sum(record.status == "withdrawn" for record in records),
        running_jobs=len(running),
        gaps=context.query_log.gaps(
            weak_score=context.settings.answer.weak_score, limit=GAPS_SHOWN
        ),
    )
