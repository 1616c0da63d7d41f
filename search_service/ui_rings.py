"""The ring area: `/ring` lists the rings the caller can see, `/ringe/{ring}` one ring's documents.

A ring is there for a caller who is a member of it or who may see at least one of its
documents (the office sees every ring that has documents). Any other ring, and a name that is
no ring at all, is the same 404 page as a ring that does not exist, so a ring-internal
collection does not reveal itself. Documents come from `context.catalog` under the caller's
access, as `GET /v1/documents?ring=` lists them; the ring's search is the ordinary search page
with the ring filter set.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from core.metadata import normalize_ring
from pipelines.catalog import DocumentQuery
from search_service.context import ServiceContext
from search_service.deps import ContextDep
from search_service.document_routes import summary
from search_service.document_schemas import DocumentSummary
from search_service.ui_pages import Visitor, VisitorDep, render_page

ui_ring_router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
# Kinds in the order a ring member looks for them: the ring's own protocols first.
KIND_ORDER = ("protokoll", "tagungsmaterial", "evaluationsbericht", "praxisbeispiel", "sonstiges")


@dataclass(frozen=True)
class KindGroup:
    """The documents of one kind within a year, newest first."""

    kind: str
    documents: list[DocumentSummary]


@dataclass(frozen=True)
class YearGroup:
    """The documents of one year (None: without a date), by kind."""

    year: int | None
    kinds: list[KindGroup]


def kind_rank(kind: str) -> int:
    """Where a kind stands in `KIND_ORDER` (unknown kinds last)."""
    return KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)


def group_by_year_and_kind(documents: list[DocumentSummary]) -> list[YearGroup]:
    """Years newest first (undated last), kinds in `KIND_ORDER`, documents newest first."""
    ordered = sorted(
        documents,
        key=lambda d: (d.year is None, -(d.year or 0), kind_rank(d.kind), d.date or "", d.title),
    )
    years = []
    for year, in_year in groupby(ordered, key=lambda d: d.year):
        kinds = []
        for kind, of_kind in groupby(in_year, key=lambda d: d.kind):
            newest_first = sorted(of_kind, key=lambda d: d.date or "", reverse=True)
            kinds.append(KindGroup(kind, newest_first))
        years.append(YearGroup(year, kinds))
    return years


def visible_rings(context: ServiceContext, visitor: Visitor) -> list[str]:
    """The caller's rings and the rings of every document the caller may see, by number."""
    rings = set(visitor.principal.rings)
    rings |= {
        record.typed_metadata.ring
        for record in context.catalog.list(visitor.principal)
        if record.typed_metadata.ring
    }
    return sorted(rings, key=lambda ring: int(ring[2:]))


@ui_ring_router.get("/ring")
def show_rings(request: Request, context: ContextDep, visitor: VisitorDep) -> HTMLResponse:
    """The rings the caller can see, the caller's own marked."""
    return render_page(
        request,
        "rings.html",
        visitor,
        rings=visible_rings(context, visitor),
        own=visitor.principal.rings,
    )


@ui_ring_router.get("/ringe/{ring}")
def show_ring(
    request: Request, ring: str, context: ContextDep, visitor: VisitorDep
) -> HTMLResponse:
    """One ring's documents by year and kind, and a search limited to the ring."""
    try:
        ring_id = normalize_ring(ring)
    except ValueError:
        return render_page(request, "not_found.html", visitor, status_code=404, missing="ring")
    records = context.catalog.list(visitor.principal, DocumentQuery(ring=ring_id))
    member = ring_id in visitor.principal.rings
    if not records and not member:
        return render_page(request, "not_found.html", visitor, status_code=404, missing="ring")
    documents = [summary(context, record, visitor.principal) for record in records]
    return render_page(
        request,
        "ring.html",
        visitor,
        ring=ring_id,
        member=member,
        years=group_by_year_and_kind(documents),
        count=len(documents),
    )
