"""The page view of a PDF: the original page drawn by pdf.js, the cited quote highlighted on it.

`/dokumente/{document_id}/original` takes the reading view's quote parameters (`seite`, `von`,
`bis`, `bis_seite`, see `search_service.ui_reading`) and `ansicht`, the page shown (default:
the quote's first page). The server renders everything but the drawing: heading, page links,
links back to the text view and to the download, and, as data attributes, where the file is
(the API's download route, under the caller's own access) and which text of the page to
highlight (`ui_reading.page_quote`). `static/pdf-seite.js` draws the page with the vendored
`pdfjs-dist` and highlights the quote only where the PDF's text layer holds it at the same
place among equal passages; otherwise it highlights nothing and says so. Without JavaScript
the page explains that and links to the text view, where the quote is marked anyway.
"""

from __future__ import annotations

from urllib.parse import quote as urlquote
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from core.errors import NotFoundError
from core.persistence.registry import DocumentRecord
from search_service.context import ServiceContext
from search_service.deps import ContextDep
from search_service.ui_pages import VisitorDep, render_page
from search_service.ui_reading import page_quote, quote_query, requested_ranges
from search_service.ui_views import optional_int

ui_page_view_router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
PDFJS = "/static/vendor/pdfjs-dist"


def page_texts(context: ServiceContext, record: DocumentRecord) -> list[str]:
    """The stored text of every page of a document (empty for a page without text)."""
    pages = context.registry.documents
    return [pages.page_text(record.document_id, n) or "" for n in range(1, record.page_count + 1)]


def quote_parameters(
    seite: str | None, von: str | None, bis: str | None, bis_seite: str | None
) -> dict[str, int | None]:
    """A citation link's numbers (`ui_reading.requested_ranges`); what is no number is None."""
    values = {"seite": seite, "von": von, "bis": bis, "bis_seite": bis_seite}
    return {name: optional_int(value) for name, value in values.items()}


def is_pdf(record: DocumentRecord) -> bool:
    """Whether the original is a PDF (only those have a page view)."""
    return record.source_name.lower().endswith(".pdf")


def document_path(record: DocumentRecord) -> str:
    """The reading view's path."""
    return f"/dokumente/{urlquote(record.document_id, safe='')}"


def page_view_url(
    record: DocumentRecord, quote: dict[str, int | None], page: int | None = None
) -> str | None:
    """The page view at the same quote (showing `page`); None when the original is no PDF."""
    if not is_pdf(record):
        return None
    pairs = quote_query(quote) + ([("ansicht", str(page))] if page else [])
    return f"{document_path(record)}/original" + ("?" + urlencode(pairs) if pairs else "")


@ui_page_view_router.get("/dokumente/{document_id}/original")
def show_page_view(
    request: Request,
    document_id: str,
    context: ContextDep,
    visitor: VisitorDep,
    seite: str | None = None,
    von: str | None = None,
    bis: str | None = None,
    bis_seite: str | None = None,
    ansicht: str | None = None,
) -> Response:
    """One original page of a PDF, with the quote's part on that page to highlight."""
    try:
        record = context.catalog.get(document_id, visitor.principal)
    except NotFoundError:
        return render_page(request, "not_found.html", visitor, status_code=404)
    quote = quote_parameters(seite, von, bis, bis_seite)
    if not is_pdf(record):
        pairs = quote_query(quote)
        return RedirectResponse(document_path(record) + ("?" + urlencode(pairs) if pairs else ""))
    texts = page_texts(context, record)
    ranges = requested_ranges(texts, quote)
    page_count = max(record.page_count, 1)
    shown = min(max(optional_int(ansicht) or quote["seite"] or 1, 1), page_count)
    marked = ranges.get(shown)
    text_pairs = quote_query(quote)
    text_url = document_path(record) + ("?" + urlencode(text_pairs) if text_pairs else "")
    return render_page(
        request,
        "page_view.html",
        visitor,
        document=record,
        page=shown,
        page_count=page_count,
        quote=page_quote(texts[shown - 1], marked) if marked else None,
        quote_requested=quote["seite"] is not None,
        quote_pages=sorted(ranges),
        page_url=lambda number: page_view_url(record, quote, number),
        text_url=text_url + ("#zitat" if ranges else f"#seite-{shown}"),
        file_url=f"/v1/documents/{urlquote(record.document_id, safe='')}/file",
        pdfjs=PDFJS,
    )
