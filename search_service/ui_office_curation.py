"""Curation actions of one document: withdraw and restore, superseded mark, delete (confirmed).

Each form calls the curator the API's `withdraw`, `restore`, `supersede` and `DELETE` routes
call (`ingest.curation`) and answers with a redirect naming the outcome; a refused action shows
the document's page again with the reason (`ui_office_documents.document_page`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from core.errors import BlokError, MetadataError
from core.persistence.audit import principal_actor
from search_service.context import ServiceContext
from search_service.deps import ContextDep
from search_service.document_routes import detail
from search_service.ui_office import OfficeDep, OfficeFormDep, done, german_error, render_office
from search_service.ui_office_documents import document_page, missing, readable
from search_service.ui_pages import Visitor

curation_pages = APIRouter(include_in_schema=False)


def curate(
    request: Request,
    context: ServiceContext,
    visitor: Visitor,
    document_id: str,
    action: str,
    successor_id: str = "",
) -> Response:
    """Withdraw, restore, supersede or unsupersede through the curator; back with the outcome."""
    record = readable(context, visitor, document_id)
    if record is None:
        return missing(request, visitor)
    curator, actor = context.curator, principal_actor(visitor.principal)
    try:
        if action == "zurueckgezogen":
            curator.withdraw(document_id, actor=actor)
        elif action == "wiederhergestellt":
            curator.restore(document_id, actor=actor)
        elif action == "ersetzt":
            if not successor_id:
                message = "Bitte wählen Sie das Dokument, das dieses ersetzt."
                return document_page(
                    request, context, visitor, record, successor_error=message, status_code=400
                )
            curator.supersede(document_id, successor_id, actor=actor)
        else:
            curator.unsupersede(document_id, actor=actor)
    except MetadataError:
        message = "Das gewählte Nachfolgedokument gibt es nicht (mehr)."
        return document_page(
            request, context, visitor, record, successor_error=message, status_code=400
        )
    except BlokError as exc:
        return document_page(
            request, context, visitor, record, error=german_error(exc), status_code=409
        )
    return done(f"/verwaltung/dokumente/{document_id}", action)


@curation_pages.post("/verwaltung/dokumente/{document_id}/zurueckziehen")
def withdraw_from_form(
    request: Request, document_id: str, context: ContextDep, visitor: OfficeFormDep
) -> Response:
    """Withdraw the document (hidden from everyone but the office, kept)."""
    return curate(request, context, visitor, document_id, "zurueckgezogen")


@curation_pages.post("/verwaltung/dokumente/{document_id}/wiederherstellen")
def restore_from_form(
    request: Request, document_id: str, context: ContextDep, visitor: OfficeFormDep
) -> Response:
    """Serve a withdrawn document again."""
    return curate(request, context, visitor, document_id, "wiederhergestellt")


@curation_pages.post("/verwaltung/dokumente/{document_id}/ersetzt")
def supersede_from_form(
    request: Request,
    document_id: str,
    context: ContextDep,
    visitor: OfficeFormDep,
    successor_id: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Mark the document as superseded by the chosen one."""
    return curate(request, context, visitor, document_id, "ersetzt", successor_id)


@curation_pages.post("/verwaltung/dokumente/{document_id}/nicht-ersetzt")
def unsupersede_from_form(
    request: Request, document_id: str, context: ContextDep, visitor: OfficeFormDep
) -> Response:
    """Remove the superseded mark."""
    return curate(request, context, visitor, document_id, "nicht-ersetzt")


@curation_pages.get("/verwaltung/dokumente/{document_id}/loeschen")
def show_delete_confirmation(
    request: Request, document_id: str, context: ContextDep, visitor: OfficeDep
) -> HTMLResponse:
    """The confirmation step before a deletion."""
    record = readable(context, visitor, document_id)
    if record is None:
        return missing(request, visitor)
    return render_office(
        request,
        "verwaltung/loeschen.html",
        visitor,
        document=detail(context, record, visitor.principal),
    )


@curation_pages.post("/verwaltung/dokumente/{document_id}/loeschen")
def delete_from_form(
    request: Request, document_id: str, context: ContextDep, visitor: OfficeFormDep
) -> Response:
    """Delete chunks, registry rows and the kept file (`DocumentCurator.delete`)."""
    record = readable(context, visitor, document_id)
    if record is None:
        return missing(request, visitor)
    try:
        context.curator.delete(document_id, actor=principal_actor(visitor.principal))
    except BlokError as exc:
        return document_page(
            request, context, visitor, record, error=german_error(exc), status_code=409
        )
    return done("/verwaltung/dokumente", "geloescht")
