"""`/verwaltung/neuindizierung`: start a re-index and follow it (`POST`/`GET /v1/admin/reindex`).

The page shows the worker's status as the API does; while it runs, `static/verwaltung.js`
refreshes it (without JavaScript a link reloads it). Searches go on during a re-index; uploads
and curation wait until it is done.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from core.errors import BlokError
from core.persistence.audit import principal_actor
from search_service.reindex_routes import ReindexWorkerDep
from search_service.ui_office import OfficeDep, OfficeFormDep, done, german_error, render_office
from search_service.ui_pages import Visitor

reindex_pages = APIRouter(include_in_schema=False)
STATE_LABELS = {
    "idle": "Seit dem Start des Dienstes keine Neuindizierung",
    "running": "Läuft",
    "switched": "Fertig: der neue Index ist in Betrieb",
    "aborted": "Abgebrochen: der bisherige Index ist weiter in Betrieb",
    "failed": "Fehlgeschlagen: der bisherige Index ist weiter in Betrieb",
}
POLL_SECONDS = 2


def reindex_page(
    request: Request,
    visitor: Visitor,
    worker: ReindexWorkerDep,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The page with the status of the running or the last re-index."""
    status = worker.status()
    return render_office(
        request,
        "verwaltung/neuindizierung.html",
        visitor,
        status_code=status_code,
        status=status,
        state_label=STATE_LABELS.get(status["state"], status["state"]),
        running=status["state"] == "running",
        error=error,
        poll_seconds=POLL_SECONDS,
    )


@reindex_pages.get("/verwaltung/neuindizierung")
def show_reindex(request: Request, visitor: OfficeDep, worker: ReindexWorkerDep) -> HTMLResponse:
    """The re-index status and the form that starts one."""
    return reindex_page(request, visitor, worker)


@reindex_pages.post("/verwaltung/neuindizierung")
def start_reindex_from_form(
    request: Request,
    visitor: OfficeFormDep,
    worker: ReindexWorkerDep,
    verluste: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Start a re-index (`ReindexWorker.start`, as the API); with `verluste`, allow losses."""
    try:
        worker.start(actor=principal_actor(visitor.principal), allow_losses=verluste == "ja")
    except BlokError as exc:
        return reindex_page(request, visitor, worker, error=german_error(exc), status_code=409)
    return done("/verwaltung/neuindizierung", "neuindizierung")
