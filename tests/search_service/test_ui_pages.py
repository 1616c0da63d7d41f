"""The web UI's pages over HTTP, as a browser without JavaScript gets them (real server)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from search_service.ui_pages import STATIC_DIR
from tests.support.helpers import TEST_PASSWORD
from tests.support.ui_world import (
    ACCESSIBILITY_CONTACT,
    HOSTILE_TITLE,
    QUESTION,
    RING_MEMBER,
    RING_QUESTION,
    UNANSWERABLE,
)

HIDDEN_FROM_ANONYMOUS = ("protokoll-vr3", "intern")
pytestmark = pytest.mark.model


@pytest.fixture()
def browser_client(ui_world: Any) -> Iterator[httpx.Client]:
    """A cookie-keeping client, anonymous until it signs in."""
    with httpx.Client(base_url=ui_world.base_url, timeout=120) as client:
        yield client


def sign_in_by_form(client: httpx.Client, name: str, password: str) -> httpx.Response:
    """Post the sign-in form like a browser."""
    return client.post("/anmelden", data={"name": name, "password": password, "weiter": "/"})


def csrf_field(html: str) -> str:
    """The CSRF token of the page's forms."""
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def test_every_page_is_german_with_landmarks_search_and_the_statement_link(
    browser_client: httpx.Client, ui_world: Any
) -> None:
    document = ui_world.document_ids["praxis-arbeitgeber"]
    paths = ("/", f"/?q={QUESTION}", f"/dokumente/{document}", "/anmelden", "/barrierefreiheit")
    for path in paths:
        response = browser_client.get(path)
        assert response.status_code == 200, path
        html = response.text
        assert '<html lang="de">' in html
        assert '<form class="blok-suche" role="search"' in html and 'type="search"' in html
        assert 'name="q"' in html and 'href="#inhalt"' in html
        assert html.count("<h1") == 1, path
        assert "<main" in html and "<header" in html and "<footer" in html
        assert 'href="/barrierefreiheit">Erklärung zur Barrierefreiheit<' in html
        policy = response.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "unsafe-inline" not in policy
        assert response.headers["cache-control"] == "no-store"


def test_anonymous_search_answers_from_public_documents_only(
    browser_client: httpx.Client, ui_world: Any
) -> None:
    html = browser_client.get("/", params={"q": QUESTION}).text
    assert 'id="antwort-titel">Antwort<' in html and 'href="#beleg-1">[1]</a>' in html
    assert "Fundstellen" in html and '<mark class="blok-treffer">' in html
    assert ui_world.document_ids["praxis-arbeitgeber"] in html
    for stem in HIDDEN_FROM_ANONYMOUS:
        assert ui_world.document_ids[stem] not in html, stem
    assert "Sozialraum" not in html and "Tagungshotel" not in html


def test_hostile_titles_and_texts_are_escaped_everywhere(
    browser_client: httpx.Client, ui_world: Any
) -> None:
    search = browser_client.get("/", params={"q": QUESTION}).text
    document = browser_client.get(f"/dokumente/{ui_world.document_ids['feindlich']}").text
    for html in (search, document):
        assert HOSTILE_TITLE not in html
        for raw in ("<script>window", "<img src", "<b onmouseover"):
            assert raw not in html
        assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in html


def test_abstention_says_so_and_offers_wider_filters(browser_client: httpx.Client) -> None:
    html = browser_client.get("/", params={"q": UNANSWERABLE, "art": "protokoll"}).text
    assert "Keine belegte Antwort gefunden" in html
    assert "Filter erweitern" in html


def test_facets_filter_and_chips_remove_them(browser_client: httpx.Client) -> None:
    html = browser_client.get("/", params={"q": QUESTION, "art": "praxisbeispiel"}).text
    assert 'value="praxisbeispiel" checked' in html
    assert "Art: Praxisbeispiel" in html and "Alle Filter entfernen" in html
    assert "Bericht zur Integration" not in html
    bad = browser_client.get("/", params={"q": QUESTION, "art": "roman"})
    assert bad.status_code == 400 and 'role="alert"' in bad.text


def test_invisible_documents_answer_like_missing_ones(
    browser_client: httpx.Client, ui_world: Any
) -> None:
    hidden = browser_client.get(f"/dokumente/{ui_world.document_ids['protokoll-vr3']}")
    missing = browser_client.get("/dokumente/0000000000000000")
    assert hidden.status_code == missing.status_code == 404
    hidden_id = ui_world.document_ids["protokoll-vr3"]
    assert hidden.text == missing.text.replace("0000000000000000", hidden_id)
    assert "Sozialraum" not in hidden.text


def test_a_citation_link_marks_the_stored_offsets_exactly(
    browser_client: httpx.Client, ui_world: Any
) -> None:
    document_id = ui_world.document_ids["praxis-arbeitgeber"]
    page = ui_world.context.registry.documents.page_text(document_id, 1)
    start = page.index("zwei Arbeitgeberlotsen")
    end = start + len("zwei Arbeitgeberlotsen")
    html = browser_client.get(f"/dokumente/{document_id}?seite=1&von={start}&bis={end}").text
    mark = '<mark class="blok-zitat" id="zitat" tabindex="-1" autofocus>'
    assert f"{mark}zwei Arbeitgeberlotsen</mark>" in html
    wrong = browser_client.get(f"/dokumente/{document_id}?seite=1&von=5&bis=99999").text
    assert "<mark" not in wrong and "Fundstelle nicht markiert" in wrong


def test_sign_in_errors_are_alerts_tied_to_the_fields(browser_client: httpx.Client) -> None:
    response = sign_in_by_form(browser_client, RING_MEMBER, "falsch")
    assert response.status_code == 401
    html = response.text
    assert 'role="alert" id="anmeldung-fehler"' in html and "Name oder Passwort ist falsch." in html
    assert html.count('aria-describedby="anmeldung-fehler"') == 2
    assert "blok_session" not in response.headers.get("set-cookie", "")


def test_a_ring_member_sees_the_ring_and_its_successor_link(
    browser_client: httpx.Client, ui_world: Any
) -> None:
    old = ui_world.document_ids["bericht-alt"]
    successor = ui_world.document_ids["protokoll-vr3"]
    anonymous = browser_client.get(f"/dokumente/{old}").text
    assert "durch ein neueres ersetzt" in anonymous and successor not in anonymous
    signed_in = sign_in_by_form(browser_client, RING_MEMBER, TEST_PASSWORD)
    assert signed_in.status_code == 303
    assert "httponly" in signed_in.headers["set-cookie"].lower()
    page = browser_client.get(f"/dokumente/{old}").text
    assert f'href="/dokumente/{successor}"' in page
    assert f"Angemeldet als <strong>{RING_MEMBER}</strong>" in page
    assert 'Ringe: <a class="kern-link" href="/ringe/vr3">VR 3</a>' in page
    answer = browser_client.get("/", params={"q": RING_QUESTION}).text
    assert successor in answer and "Keine belegte Antwort" not in answer


def test_feedback_needs_the_session_csrf_token_and_is_stored(
    browser_client: httpx.Client, ui_world: Any
) -> None:
    sign_in_by_form(browser_client, RING_MEMBER, TEST_PASSWORD)
    html = browser_client.get("/", params={"q": QUESTION}).text
    found = re.search(r'name="answer_id" value="(\d+)"', html)
    assert found
    answer_id = int(found.group(1))
    form = {"answer_id": found.group(1), "helpful": "nein", "comment": "Zu allgemein"}
    form["zurueck"] = "/?q=x"
    refused = browser_client.post("/rueckmeldung", data=form)
    assert refused.status_code == 403 and "nicht angenommen" in refused.text
    accepted = browser_client.post("/rueckmeldung", data={**form, "csrf_token": csrf_field(html)})
    assert accepted.status_code == 303
    assert accepted.headers["location"] == "/?q=x&rueckmeldung=danke#rueckmeldung"
    stored = ui_world.context.query_log.feedback(answer_id)
    assert [(item.helpful, item.comment) for item in stored] == [(False, "Zu allgemein")]
    thanks = browser_client.get(accepted.headers["location"]).text
    assert 'role="status"' in thanks


def test_sign_out_ends_the_session(browser_client: httpx.Client) -> None:
    sign_in_by_form(browser_client, RING_MEMBER, TEST_PASSWORD)
    html = browser_client.get("/abmelden").text
    response = browser_client.post("/abmelden", data={"csrf_token": csrf_field(html)})
    assert response.status_code == 303
    assert "Anmelden" in browser_client.get("/").text
    assert "Angemeldet als" not in browser_client.get("/").text


def test_api_docs_work_offline_with_the_vendored_swagger_ui(browser_client: httpx.Client) -> None:
    response = browser_client.get("/docs")
    assert response.status_code == 200
    assert "/static/vendor/swagger-ui-dist/swagger-ui-bundle.js" in response.text
    assert "cdn" not in response.text.lower() and "https://" not in response.text
    assert "'sha256-" in response.headers["content-security-policy"]
    bundle = browser_client.get("/static/vendor/swagger-ui-dist/swagger-ui-bundle.js")
    assert bundle.status_code == 200


def test_vendored_libraries_keep_their_licences() -> None:
    vendor = STATIC_DIR / "vendor"
    for library, licence in (
        ("kern-ux-native", "LICENSE.md"),
        ("swagger-ui-dist", "LICENSE"),
        ("axe-core", "LICENSE"),
    ):
        assert (vendor / library / licence).is_file(), library
    assert "EUPL" in (vendor / "kern-ux-native" / "LICENSE.md").read_text(encoding="utf-8")


def test_the_accessibility_statement_names_the_configured_contact(
    browser_client: httpx.Client,
) -> None:
    html = browser_client.get("/barrierefreiheit").text
    assert f'href="mailto:{ACCESSIBILITY_CONTACT}"' in html
    assert "benchlearning.example" not in html.replace(ACCESSIBILITY_CONTACT, "")


def test_the_job_centre_facet_counts_and_filters(browser_client: httpx.Client) -> None:
    html = browser_client.get("/", params={"q": QUESTION}).text
    assert 'name="jobcenter" value="Landkreis Emsland"' in html
    filtered = browser_client.get("/", params={"q": QUESTION, "jobcenter": "Landkreis Emsland"})
    assert "Jobcenter: Landkreis Emsland" in filtered.text
    assert "Arbeitgeberlotsen" in filtered.text and "Bericht zur Integration" not in filtered.text


def test_the_ring_area_is_for_those_who_may_see_the_ring(
    browser_client: httpx.Client, ui_world: Any
) -> None:
    protocol = ui_world.document_ids["protokoll-vr3"]
    anonymous = browser_client.get("/ringe/vr3")
    missing = browser_client.get("/ringe/vr9")
    assert anonymous.status_code == missing.status_code == 404
    assert anonymous.text == missing.text.replace("vr9", "vr3")
    assert browser_client.get("/ringe/kein-ring").status_code == 404
    assert "/ringe/vr3" not in browser_client.get("/ring").text
    sign_in_by_form(browser_client, RING_MEMBER, TEST_PASSWORD)
    ring = browser_client.get("/ringe/vr3")
    assert ring.status_code == 200 and f'href="/dokumente/{protocol}"' in ring.text
    assert ring.text.count("<h1") == 1 and "2019" in ring.text and "Protokoll" in ring.text
    assert 'name="ring" value="vr3"' in ring.text  # the ring's search keeps the ring filter
    assert 'href="/ringe/vr3"' in browser_client.get("/ring").text


def test_a_page_view_of_a_document_without_pdf_leads_to_the_text_view(
    browser_client: httpx.Client, ui_world: Any
) -> None:
    document_id = ui_world.document_ids["praxis-arbeitgeber"]
    response = browser_client.get(f"/dokumente/{document_id}/original?seite=1&von=0&bis=4")
    assert response.status_code == 307
    assert response.headers["location"] == f"/dokumente/{document_id}?seite=1&von=0&bis=4"
    hidden = browser_client.get(f"/dokumente/{ui_world.document_ids['protokoll-vr3']}/original")
    assert hidden.status_code == 404
