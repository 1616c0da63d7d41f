"""What every office page shares: who may enter, status messages after a form, German errors.

Office pages (`/verwaltung/...`) are for the office and admins, accounts and API keys for admins
only, as the API enforces them (`search_service.deps`). Anonymous visitors are sent to the
sign-in page and come back afterwards; signed-in callers without the role get a 403 page.

A form that changes something posts with the session's CSRF token and is answered with a
redirect (post/redirect/get) to a page that names the outcome in `?meldung=<code>`; the page
shows that message in a live region (`role="status"`) until the next page is opened. Only the
codes of `MESSAGES` are shown, so a link cannot put text of its own on the page.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from core.errors import (
    BlokError,
    ConflictError,
    MetadataError,
    NotFoundError,
    ReindexRunningError,
)
from search_service.ui_pages import Visitor, VisitorDep, render_page
from search_service.ui_routes import FormVisitorDep

MESSAGES = {
    "hochgeladen": "Die Dateien wurden übernommen; ihre Aufnahme läuft.",
    "gespeichert": "Die Änderungen wurden gespeichert.",
    "zurueckgezogen": "Das Dokument wurde zurückgezogen. Nur die Geschäftsstelle sieht es noch.",
    "wiederhergestellt": "Das Dokument ist wieder für alle Berechtigten sichtbar.",
    "ersetzt": "Das Dokument ist als ersetzt markiert.",
    "nicht-ersetzt": "Die Markierung „ersetzt“ wurde entfernt.",
    "geloescht": "Das Dokument wurde gelöscht.",
    "neuindizierung": "Die Neuindizierung wurde gestartet.",
    "konto-angelegt": "Das Konto wurde angelegt.",
    "konto-geaendert": "Das Konto wurde geändert.",
    "schluessel-widerrufen": "Der API-Schlüssel wurde widerrufen; er gilt ab sofort nicht mehr.",
}
CONFLICT_MESSAGES = {
    "withdrawn already": "Das Dokument ist bereits zurückgezogen.",
    "not withdrawn": "Das Dokument ist nicht zurückgezogen.",
    "supersede itself": "Ein Dokument kann sich nicht selbst ersetzen.",
    "cycle": "Das Nachfolgedokument wird selbst (mittelbar) durch dieses Dokument ersetzt.",
    "not marked as superseded": "Das Dokument ist nicht als ersetzt markiert.",
    "re-index": "Gerade läuft eine Neuindizierung. Bitte warten Sie, bis sie beendet ist.",
    "being written": "Gerade werden Dokumente geschrieben. Bitte versuchen Sie es gleich erneut.",
    "exists already": "Ein Konto dieses Namens gibt es bereits.",
}


class OfficeRefusedError(Exception):
    """An office page asked for by someone who may not see it: sign-in page or 403."""

    def __init__(self, visitor: Visitor, path: str, *, admin: bool = False) -> None:
        super().__init__("office only")
        self.visitor = visitor
        self.path = path
        self.admin = admin


async def show_office_refused(request: Request, exc: Exception) -> HTMLResponse:
    """Anonymous: to the sign-in page (back here afterwards); others: the 403 page."""
    assert isinstance(exc, OfficeRefusedError)
    if not exc.visitor.signed_in:
        target = "/anmelden?" + urlencode({"weiter": exc.path})
        return RedirectResponse(target, 303)  # type: ignore[return-value]
    return render_page(
        request, "office_refused.html", exc.visitor, status_code=403, admin_only=exc.admin
    )


def require(visitor: Visitor, request: Request, *, admin: bool) -> Visitor:
    """The visitor, if office (or, with `admin`, admin); else `OfficeRefusedError`."""
    allowed = visitor.principal.is_admin if admin else visitor.is_office
    if not allowed:
        back = request.url.path if request.method == "GET" else "/verwaltung"
        raise OfficeRefusedError(visitor, back, admin=admin and visitor.is_office)
    return visitor


def get_office(request: Request, visitor: VisitorDep) -> Visitor:
    """An office page's visitor (office or admin)."""
    return require(visitor, request, admin=False)


def get_office_form(request: Request, visitor: FormVisitorDep) -> Visitor:
    """An office form's visitor: CSRF token checked, office or admin."""
    return require(visitor, request, admin=False)


def get_admin(request: Request, visitor: VisitorDep) -> Visitor:
    """An admin page's visitor."""
    return require(visitor, request, admin=True)


def get_admin_form(request: Request, visitor: FormVisitorDep) -> Visitor:
    """An admin form's visitor: CSRF token checked, admin."""
    return require(visitor, request, admin=True)


OfficeDep = Annotated[Visitor, Depends(get_office)]
OfficeFormDep = Annotated[Visitor, Depends(get_office_form)]
AdminDep = Annotated[Visitor, Depends(get_admin)]
AdminFormDep = Annotated[Visitor, Depends(get_admin_form)]


def done(path: str, message: str) -> RedirectResponse:
    """The redirect after a form: to `path`, naming the outcome (a code of `MESSAGES`)."""
    assert message in MESSAGES
    separator = "&" if "?" in path else "?"
    return RedirectResponse(f"{path}{separator}{urlencode({'meldung': message})}", 303)


def render_office(
    request: Request,
    template: str,
    visitor: Visitor,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """An office page with its area navigation and the message named by `?meldung=`."""
    message = MESSAGES.get(request.query_params.get("meldung", ""))
    return render_page(
        request, template, visitor, status_code=status_code, message=message, **context
    )


def german_error(exc: BlokError) -> str:
    """A German sentence for an error of the services (their messages are English)."""
    if isinstance(exc, NotFoundError):
        return "Das gibt es nicht (mehr). Bitte laden Sie die Liste neu."
    if isinstance(exc, ReindexRunningError):
        return CONFLICT_MESSAGES["re-index"]
    if isinstance(exc, ConflictError):
        for phrase, message in CONFLICT_MESSAGES.items():
            if phrase in exc.message:
                return message
        return "Das geht im jetzigen Zustand nicht."
    if isinstance(exc, MetadataError):
        return "Mindestens eine Angabe ist ungültig."
    return "Das hat nicht geklappt. Bitte prüfen Sie die Angaben."
