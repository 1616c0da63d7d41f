"""`/verwaltung/dokumente`: every document in a sortable, filterable table; editing one.

The list is `GET /v1/documents` under the office's access (`context.catalog`, withdrawn ones
included) with the same summaries; sorting and filtering keep their state in the URL. Each
document's page edits its metadata and changes its visibility through the curator the API's
`PATCH` route calls (`ingest.curation`); its other actions are in `ui_office_curation`.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from core.errors import BlokError, MetadataError, NotFoundError
from core.persistence.audit import principal_actor
from core.persistence.registry import DocumentRecord
from pipelines.catalog import DocumentQuery
from search_service.context import ServiceContext
from search_service.deps import ContextDep
from search_service.document_routes import detail, summary
from search_service.document_schemas import DocumentSummary
from search_service.ui_office import OfficeDep, OfficeFormDep, done, german_error, render_office
from search_service.ui_office_forms import (
    MetadataForm,
    kind_options,
    visibility_label,
    visibility_options,
)
from search_service.ui_pages import Visitor, render_page
from search_service.ui_views import kind_label, ring_label

document_pages = APIRouter(include_in_schema=False)
COLUMNS = {
    "title": "Titel",
    "status": "Status",
    "kind": "Art",
    "ring": "Ring",
    "year": "Jahr",
    "visibility": "Sichtbarkeit",
    "pages": "Seiten",
    "chunks": "Abschnitte",
}
NUMERIC = frozenset({"year", "pages", "chunks"})
STATUS_LABELS = {"indexed": "aktiv", "withdrawn": "zurückgezogen"}
EDITED_FIELDS = ("title", "kind", "ring", "date", "job_centre", "topics", "visibility")
Text = Annotated[str, Form(max_length=500)]


def sort_key(column: str) -> Any:
    """The key that sorts summaries by `column` (empty values last, titles case-blind)."""

    def key(document: DocumentSummary) -> tuple[bool, Any]:
        value = getattr(document, column)
        if isinstance(value, str):
            value = value.casefold()
        return (value is None or value == "", value if value is not None else 0)

    return key


@document_pages.get("/verwaltung/dokumente")
def show_documents(
    request: Request,
    context: ContextDep,
    visitor: OfficeDep,
    status: str = "",
    art: str = "",
    ring: str = "",
    jahr: str = "",
    sichtbarkeit: str = "",
    sortierung: str = "title",
    richtung: str = "auf",
) -> HTMLResponse:
    """The documents with status, kind, ring, year, visibility, pages and chunks."""
    column = sortierung if sortierung in COLUMNS else "title"
    descending = richtung == "ab"
    year = int(jahr) if jahr.isdigit() and len(jahr) == 4 else None
    query = DocumentQuery(kind=art or None, ring=ring or None, year=year)
    principal = visitor.principal
    documents = [
        summary(context, record, principal) for record in context.catalog.list(principal, query)
    ]
    every_year = sorted({d.year for d in documents if d.year}, reverse=True)
    if status:
        documents = [d for d in documents if d.status == status]
    if sichtbarkeit:
        documents = [d for d in documents if d.visibility.split(":")[0] == sichtbarkeit]
    documents.sort(key=sort_key(column), reverse=descending)
    chosen = {
        "status": status,
        "art": art,
        "ring": ring,
        "jahr": jahr,
        "sichtbarkeit": sichtbarkeit,
    }
    filters = {name: value for name, value in chosen.items() if value}

    def sort_url(name: str) -> str:
        turn = "ab" if name == column and not descending else "auf"
        return "?" + urlencode({**filters, "sortierung": name, "richtung": turn})

    rings = sorted({d.ring for d in documents if d.ring} | ({ring} if ring else set()))
    return render_office(
        request,
        "verwaltung/dokumente.html",
        visitor,
        documents=documents,
        columns=COLUMNS,
        numeric=NUMERIC,
        column=column,
        descending=descending,
        sort_url=sort_url,
        chosen=chosen,
        filtered=bool(filters),
        status_options=[("", "Alle"), *STATUS_LABELS.items()],
        kinds=kind_options(blank="Alle"),
        rings=[("", "Alle"), *((r, ring_label(r)) for r in rings)],
        years=[("", "Alle"), *((str(y), str(y)) for y in every_year)],
        visibilities=[("", "Alle"), *visibility_options()],
        status_label=lambda value: STATUS_LABELS.get(value, value),
        visibility_label=visibility_label,
    )


def document_page(
    request: Request,
    context: ServiceContext,
    visitor: Visitor,
    record: DocumentRecord,
    *,
    form: MetadataForm | None = None,
    error: str | None = None,
    successor_error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """A document's curation page: its facts, the metadata form and the actions."""
    principal = visitor.principal
    others = [
        (other.document_id, other.title)
        for other in context.catalog.list(principal)
        if other.document_id != record.document_id and other.status == "indexed"
    ]
    return render_office(
        request,
        "verwaltung/dokument.html",
        visitor,
        status_code=status_code,
        document=detail(context, record, principal),
        form=form or MetadataForm.from_metadata(record.title, record.typed_metadata),
        kinds=kind_options(),
        visibilities=visibility_options(),
        others=others,
        error=error,
        successor_error=successor_error,
        status_label=lambda value: STATUS_LABELS.get(value, value),
        visibility_label=visibility_label,
        kind_label=kind_label,
    )


def readable(context: ServiceContext, visitor: Visitor, document_id: str) -> DocumentRecord | None:
    """The document, if the office may read it (every document but one being written)."""
    try:
        return context.catalog.get(document_id, visitor.principal)
    except NotFoundError:
        return None


def missing(request: Request, visitor: Visitor) -> HTMLResponse:
    """The 404 page of a document that does not exist (any more)."""
    return render_page(request, "not_found.html", visitor, status_code=404)


@document_pages.get("/verwaltung/dokumente/{document_id}")
def show_document_curation(
    request: Request, document_id: str, context: ContextDep, visitor: OfficeDep
) -> HTMLResponse:
    """The curation page of one document."""
    record = readable(context, visitor, document_id)
    if record is None:
        return missing(request, visitor)
    return document_page(request, context, visitor, record)


def changed_fields(form: MetadataForm, record: DocumentRecord) -> dict[str, Any]:
    """The fields whose value the form changes (cleared ones as null), so the rest stay inferred."""
    wanted = form.metadata(title_required=True)
    current = MetadataForm.from_metadata(record.title, record.typed_metadata)
    before = current.metadata(title_required=False)
    changes: dict[str, Any] = {}
    for name in EDITED_FIELDS:
        value = wanted.get(name, [] if name == "topics" else None)
        if value != before.get(name, [] if name == "topics" else None):
            changes[name] = value
    return changes


def save_changes(
    request: Request,
    context: ServiceContext,
    visitor: Visitor,
    record: DocumentRecord,
    form: MetadataForm,
) -> Response:
    """Edit the document with the form's changes (`DocumentCurator.edit`), or the form again."""
    changes = changed_fields(form, record)
    if not form.errors and changes:
        try:
            context.curator.edit(
                record.document_id, changes, actor=principal_actor(visitor.principal)
            )
        except MetadataError as exc:
            for problem in exc.details or [{"field": "title"}]:
                name = str(problem.get("field") or "title").split(".")[0]
                form.errors[name if name in EDITED_FIELDS else "title"] = (
                    "Diese Angabe ist ungültig. Bitte prüfen Sie sie."
                )
        except BlokError as exc:
            return document_page(
                request,
                context,
                visitor,
                record,
                form=form,
                error=german_error(exc),
                status_code=409,
            )
    if form.errors:
        return document_page(request, context, visitor, record, form=form, status_code=400)
    return done(f"/verwaltung/dokumente/{record.document_id}", "gespeichert")


@document_pages.post("/verwaltung/dokumente/{document_id}")
def edit_document_from_form(
    request: Request,
    document_id: str,
    context: ContextDep,
    visitor: OfficeFormDep,
    title: Text = "",
    kind: Text = "",
    ring: Text = "",
    date: Text = "",
    job_centre: Text = "",
    topics: Text = "",
    visibility: Text = "",
    visibility_rings: Text = "",
) -> Response:
    """Save the metadata form."""
    record = readable(context, visitor, document_id)
    if record is None:
        return missing(request, visitor)
    form = MetadataForm.from_fields(
        {
            "title": title,
            "kind": kind,
            "ring": ring,
            "date": date,
            "job_centre": job_centre,
            "topics": topics,
            "visibility": visibility,
            "visibility_rings": visibility_rings,
        }
    )
    return save_changes(request, context, visitor, record, form)


@document_pages.post("/verwaltung/dokumente/{document_id}/sichtbarkeit")
def change_visibility_from_form(
    request: Request,
    document_id: str,
    context: ContextDep,
    visitor: OfficeFormDep,
    visibility: Text = "",
    visibility_rings: Text = "",
) -> Response:
    """Change only the visibility (the rest of the metadata stays as it is)."""
    record = readable(context, visitor, document_id)
    if record is None:
        return missing(request, visitor)
    form = MetadataForm.from_metadata(record.title, record.typed_metadata)
    form.visibility, form.visibility_rings = visibility, visibility_rings
    return save_changes(request, context, visitor, record, form)
