"""The German web UI: search and answer, reading a document, sign-in, accessibility statement.

Pages call what the JSON API calls, under the same principal: the `Searcher`
(`pipelines.search`) for answers and passages, with the caller's access; `context.catalog` for
documents (a document the caller may not see is the same 404 page as a missing one);
`search_service.auth` for sign-in and the session cookie; `search_service.routes.record_feedback`
for feedback. Forms that change something carry the session's CSRF token
(`search_service.sessions`); everything works without JavaScript.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from core.errors import (
    MAX_ID,
    ForbiddenError,
    InvalidRequestError,
    NotFoundError,
    TooManyRequestsError,
    UnauthorizedError,
)
from pipelines.search import FilterInference
from search_service.auth import sign_out
from search_service.auth_routes import sign_in_request
from search_service.auth_schemas import TokenRequest
from search_service.context import ServiceContext
from search_service.deps import ContextDep, FeedbackLimiterDep, SignInLimiterDep
from search_service.document_routes import detail
from search_service.routes import record_feedback
from search_service.schemas import AskResponse, FeedbackRequest, SearchResponse
from search_service.sessions import (
    SESSION_COOKIE,
    check_csrf,
    check_origin,
    clear_session_cookies,
    signed_in_redirect,
)
from search_service.ui_inferred import inferred_filters_view
from search_service.ui_page_view import is_pdf, page_texts, page_view_url, quote_parameters
from search_service.ui_pages import Visitor, VisitorDep, get_visitor, render_page
from search_service.ui_reading import citation_href, render_page_text, requested_ranges
from search_service.ui_views import (
    RESULTS_PER_PAGE,
    SearchForm,
    answer_markup,
    facet_groups,
    filter_chips,
    highlight,
    optional_int,
    pagination,
    year_options,
)

ui_router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
Repeated = Annotated[list[str], Query()]
SIGN_IN_FAILED = "Name oder Passwort ist falsch."
LOCAL_PASSWORDS_OFF = (
    "Die Anmeldung mit Passwort ist abgeschaltet. Bitte melden Sie sich mit Ihrem Dienstkonto an."
)


async def get_form_visitor(request: Request, visitor: VisitorDep) -> Visitor:
    """The visitor of a form post: the session's CSRF token must come along, or no session.

    Raises:
        FormRefusedError: another site's origin, or a missing or wrong CSRF token.
    """
    context: ServiceContext = request.app.state.context
    origins = context.settings.server.cors_origins
    session = request.cookies.get(SESSION_COOKIE)
    try:
        if visitor.signed_in and session:
            await check_csrf(request, session, origins)
        else:
            check_origin(request, origins)
    except ForbiddenError as exc:
        raise FormRefusedError(visitor) from exc
    return visitor


class FormRefusedError(Exception):
    """A form post without the session's CSRF token or from another site: a 403 page."""

    def __init__(self, visitor: Visitor) -> None:
        super().__init__("form refused")
        self.visitor = visitor


async def show_form_refused(request: Request, exc: Exception) -> HTMLResponse:
    """The 403 page of a refused form post."""
    assert isinstance(exc, FormRefusedError)
    return render_page(request, "form_refused.html", exc.visitor, status_code=403)


FormVisitorDep = Annotated[Visitor, Depends(get_form_visitor)]


@ui_router.get("/")
def show_search(
    request: Request,
    context: ContextDep,
    visitor: VisitorDep,
    q: str = "",
    art: Repeated = [],  # noqa: B006 - FastAPI copies defaults
    ring: Repeated = [],  # noqa: B006
    thema: Repeated = [],  # noqa: B006
    jobcenter: Repeated = [],  # noqa: B006
    jahr_von: str | None = None,
    jahr_bis: str | None = None,
    seite: str | None = None,
    ableiten: str | None = None,
    rueckmeldung: str | None = None,
) -> HTMLResponse:
    """The search page; with `q`, the answer, the passages, the facets and the filters."""
    last_page = context.settings.retrieval.max_top_k // RESULTS_PER_PAGE
    form = SearchForm(
        q=q.strip()[:2000],
        art=art,
        ring=ring,
        thema=thema,
        jobcenter=jobcenter,
        jahr_von=optional_int(jahr_von),
        jahr_bis=optional_int(jahr_bis),
        seite=min(max(optional_int(seite) or 1, 1), last_page),
        ableiten=ableiten != "nein",
    )
    shown: dict[str, Any] = {"form": form, "q": form.q, "feedback": rueckmeldung}
    if not form.q:
        return render_page(request, "search.html", visitor, **shown)
    try:
        shown.update(search_context(context, visitor, form, last_page))
    except (ValidationError, InvalidRequestError):
        shown["filter_error"] = True
        return render_page(request, "search.html", visitor, status_code=400, **shown)
    return render_page(request, "search.html", visitor, **shown)


def search_context(
    context: ServiceContext, visitor: Visitor, form: SearchForm, last_page: int
) -> dict[str, Any]:
    """Answer (first page only), passages of the page, facets, chips and page links."""
    filters = form.filters()
    principal = visitor.principal
    inference = FilterInference(enabled=form.ableiten, today=dt.date.today())
    answer = None
    if form.seite == 1:
        outcome = context.searcher.ask(
            form.q, principal=principal, filters=filters, inference=inference
        )
        answer = AskResponse.from_outcome(outcome, context.log_ask(form.q, filters, outcome))
    wanted = min(form.seite * RESULTS_PER_PAGE + 1, last_page * RESULTS_PER_PAGE)
    found = SearchResponse.from_outcome(
        context.searcher.search(
            form.q,
            principal=principal,
            top_k=wanted,
            filters=filters,
            facets=True,
            inference=inference,
        )
    )
    results = found.results[(form.seite - 1) * RESULTS_PER_PAGE : form.seite * RESULTS_PER_PAGE]
    has_next = len(found.results) > form.seite * RESULTS_PER_PAGE
    return {
        "answer": answer,
        "answer_html": answer_markup(answer.answer, len(answer.citations)) if answer else None,
        "results": results,
        "highlight": lambda text: highlight(text, form.q),
        "citation_href": citation_href,
        "facet_groups": facet_groups(found.facets, form),
        "years": year_options(found.facets, form),
        "chips": filter_chips(form),
        "pages": pagination(form, has_next),
        "first_result": (form.seite - 1) * RESULTS_PER_PAGE + 1,
        "inferred": inferred_filters_view(form, found),
    }


@ui_router.post("/rueckmeldung")
def create_feedback_from_form(
    request: Request,
    context: ContextDep,
    visitor: FormVisitorDep,
    limiter: FeedbackLimiterDep,
    answer_id: Annotated[int, Form(ge=1, le=MAX_ID)],
    helpful: Annotated[str, Form(pattern="^(ja|nein)$")],
    comment: Annotated[str, Form(max_length=2000)] = "",
    zurueck: Annotated[str, Form(max_length=4000)] = "/",
) -> Response:
    """Store feedback on an answer (`record_feedback`), then back to the answer with thanks."""
    body = FeedbackRequest(answer_id=answer_id, helpful=helpful == "ja", comment=comment)
    try:
        record_feedback(body, request, context, visitor.principal, limiter)
        outcome = "danke"
    except TooManyRequestsError:
        outcome = "zu-viele"
    back = local_path(zurueck)
    separator = "&" if "?" in back else "?"
    return RedirectResponse(f"{back}{separator}rueckmeldung={outcome}#rueckmeldung", 303)


def local_path(value: str) -> str:
    """A path on this site (never another host); anything else is `/`."""
    if value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


@ui_router.get("/dokumente/{document_id}")
def show_document(
    request: Request,
    document_id: str,
    context: ContextDep,
    visitor: VisitorDep,
    seite: str | None = None,
    von: str | None = None,
    bis: str | None = None,
    bis_seite: str | None = None,
) -> HTMLResponse:
    """A document's metadata and page texts; a citation link's quote marked at its offsets."""
    try:
        record = context.catalog.get(document_id, visitor.principal)
    except NotFoundError:
        return render_page(request, "not_found.html", visitor, status_code=404)
    texts = page_texts(context, record)
    quote = quote_parameters(seite, von, bis, bis_seite)
    ranges = requested_ranges(texts, quote)
    first_marked = min(ranges) if ranges else None
    pages = [
        (number, render_page_text(text, ranges.get(number), anchor=number == first_marked))
        for number, text in enumerate(texts, 1)
    ]
    return render_page(
        request,
        "document.html",
        visitor,
        document=detail(context, record, visitor.principal),
        pages=pages,
        quote_requested=quote["seite"] is not None,
        quote_found=bool(ranges),
        page_view_url=lambda number: page_view_url(record, quote, number),
        has_page_view=is_pdf(record),
        first_marked=first_marked,
    )


@ui_router.get("/anmelden")
def show_sign_in(
    request: Request, visitor: VisitorDep, weiter: str = "/", abgemeldet: str | None = None
) -> HTMLResponse:
    """The sign-in form, and the identity provider's button when one is configured."""
    return render_page(
        request,
        "signin.html",
        visitor,
        weiter=local_path(weiter),
        signed_out=bool(abgemeldet),
        **sign_in_options(request),
    )


@ui_router.post("/anmelden")
def sign_in_from_form(
    request: Request,
    context: ContextDep,
    limiter: SignInLimiterDep,
    name: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    weiter: Annotated[str, Form(max_length=4000)] = "/",
) -> Response:
    """Sign in (`sign_in_request`, the API's session sign-in); the session goes into a cookie."""
    visitor = get_visitor(request, context)
    check_origin(request, context.settings.server.cors_origins)
    try:
        body = TokenRequest(name=name, password=password)
        _, issued, lifetime = sign_in_request(body, request, context, limiter, "session")
    except (ValidationError, UnauthorizedError):
        return sign_in_error(request, visitor, name, weiter, SIGN_IN_FAILED, 401)
    except ForbiddenError:
        return render_page(
            request,
            "signin.html",
            visitor,
            status_code=403,
            weiter=local_path(weiter),
            provider_error=LOCAL_PASSWORDS_OFF,
            **sign_in_options(request),
        )
    except TooManyRequestsError as exc:
        minutes = max(1, round(exc.retry_after_seconds / 60))
        message = (
            f"Zu viele fehlgeschlagene Anmeldungen. Bitte in {minutes} Minuten erneut versuchen."
        )
        return sign_in_error(request, visitor, name, weiter, message, 429)
    return signed_in_redirect(
        request,
        local_path(weiter),
        issued.token,
        lifetime=lifetime,
        secure_mode=context.settings.access.session_cookie_secure,
    )


def sign_in_error(
    request: Request, visitor: Visitor, name: str, weiter: str, message: str, status: int
) -> HTMLResponse:
    """The sign-in form again, with the error tied to the fields."""
    return render_page(
        request,
        "signin.html",
        visitor,
        status_code=status,
        weiter=local_path(weiter),
        name=name,
        error=message,
        **sign_in_options(request),
    )


def sign_in_options(request: Request) -> dict[str, bool]:
    """Which ways of signing in the form offers: the identity provider, a password, or both."""
    settings = request.app.state.settings.oidc
    return {"provider_sign_in": settings.enabled, "password_sign_in": settings.local_passwords}


@ui_router.get("/abmelden")
def show_sign_out(request: Request, visitor: VisitorDep) -> HTMLResponse:
    """A page with the sign-out button (signing out changes something, so it is a form post)."""
    return render_page(request, "signout.html", visitor)


@ui_router.post("/abmelden")
def sign_out_from_form(context: ContextDep, visitor: FormVisitorDep, request: Request) -> Response:
    """End the session (`search_service.auth.sign_out`) and drop both cookies."""
    session = request.cookies.get(SESSION_COOKIE)
    if visitor.signed_in and session:
        sign_out(context.accounts, visitor.principal, session, "session")
    response = RedirectResponse("/anmelden?abgemeldet=1", 303)
    clear_session_cookies(response)
    return response


@ui_router.get("/barrierefreiheit")
def show_accessibility_statement(
    request: Request, context: ContextDep, visitor: VisitorDep
) -> HTMLResponse:
    """Erklärung zur Barrierefreiheit (BITV 2.0); contact: `BLOK_UI__ACCESSIBILITY_CONTACT`."""
    contact = context.settings.ui.accessibility_contact
    return render_page(request, "accessibility.html", visitor, contact=contact)
