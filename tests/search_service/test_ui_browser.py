"""The web UI in Debian's Chromium (Playwright, headless): journeys, axe-core, no JavaScript.

axe-core (vendored) is injected into each page and must report no WCAG 2.1 A/AA violation.
The screenshots of `docs/screenshots/` come from the demo corpus (`test_ui_reader_browser.py`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from search_service.ui_pages import STATIC_DIR
from tests.support.helpers import PROJECT_ROOT, TEST_PASSWORD
from tests.support.ui_world import OFFICE, QUESTION, RING_MEMBER, RING_QUESTION, UNANSWERABLE

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"

pytestmark = [
    pytest.mark.model,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium (scripts/setup.sh dev installs it)"
    ),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser: Any, ui_world: Any) -> Iterator[Any]:
    """A fresh page (own cookies) on the test server; fails on script errors and other hosts.

    The page's Content-Security-Policy is bypassed so that axe-core can be injected; that also
    shows that escaping alone keeps hostile titles from running.
    """
    context = browser.new_context(base_url=ui_world.base_url, locale="de-DE", bypass_csp=True)
    elsewhere: list[str] = []

    def refuse(route: Any) -> None:
        elsewhere.append(route.request.url)
        route.abort()

    context.route(lambda url: not url.startswith(ui_world.base_url), refuse)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.set_default_timeout(60_000)
    yield tab
    context.close()
    assert not errors, errors
    assert not elsewhere, elsewhere


def axe_violations(page: Any, *, inject: bool = True) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A/AA violations on the page as it is now.

    axe comes in as a script tag (`inject`, needs the page's CSP bypassed) or is evaluated
    through the DevTools protocol, which leaves the page's CSP in force.
    """
    source = (STATIC_DIR / "vendor" / "axe-core" / "axe.min.js").read_text()
    if inject:
        page.add_script_tag(content=source)
    else:
        page.evaluate(f"() => {{ {source}\n}}")
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    return [
        {"id": v["id"], "nodes": [n["target"] for n in v["nodes"]]} for v in result["violations"]
    ]


def search(page: Any, question: str) -> None:
    """Type the question into the header's search box and press Enter."""
    page.get_by_role("searchbox", name="Frage oder Suchbegriffe").fill(question)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def sign_in(page: Any, name: str, password: str) -> None:
    """Fill the sign-in form and send it."""
    page.goto("/anmelden")
    page.get_by_label("Kontoname").fill(name)
    page.get_by_label("Passwort").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Anmelden").click()


def test_anonymous_search_shows_a_cited_answer_from_public_documents(
    page: Any, ui_world: Any
) -> None:
    page.goto("/")
    search(page, QUESTION)
    answer = page.get_by_role("region", name="Antwort")
    assert answer.get_by_role("link", name="[1]").count() == 1
    hrefs = page.eval_on_selector_all("a[href^='/dokumente/']", "els => els.map(e => e.href)")
    assert hrefs and ui_world.document_ids["praxis-arbeitgeber"] in " ".join(hrefs)
    for hidden in ("protokoll-vr3", "intern"):
        assert ui_world.document_ids[hidden] not in page.content()
    assert axe_violations(page) == []


def test_a_ring_member_opens_a_citation_at_the_focused_quote(page: Any, ui_world: Any) -> None:
    sign_in(page, RING_MEMBER, TEST_PASSWORD)
    assert page.get_by_text(f"Angemeldet als {RING_MEMBER}").count() == 1
    search(page, RING_QUESTION)
    card = page.locator("#beleg-1")
    quote = card.locator("blockquote").inner_text().strip()
    with page.expect_navigation():
        card.get_by_role("link").first.click()
    mark = page.locator("mark#zitat")
    assert mark.inner_text().strip() == quote
    assert page.evaluate("document.activeElement.id") == "zitat"
    assert ui_world.document_ids["protokoll-vr3"] in page.url
    assert axe_violations(page) == []


def test_a_wrong_password_shows_an_alert_tied_to_the_fields(page: Any) -> None:
    sign_in(page, RING_MEMBER, "falsches-passwort")
    alert = page.get_by_role("alert")
    assert "Name oder Passwort ist falsch." in alert.inner_text()
    described = page.get_by_label("Passwort").get_attribute("aria-describedby")
    assert described == alert.get_attribute("id")
    assert axe_violations(page) == []


def test_hostile_titles_run_no_script(page: Any, ui_world: Any) -> None:
    page.goto("/?q=" + QUESTION)
    page.goto(f"/dokumente/{ui_world.document_ids['feindlich']}")
    assert page.evaluate("window.__pwned === undefined")
    assert "<script>" in page.get_by_role("heading", level=1).inner_text()


def test_abstention_and_the_statement_have_no_accessibility_violations(page: Any) -> None:
    page.goto(f"/?q={UNANSWERABLE}&art=protokoll")  # anonymous callers see no protocol
    assert page.get_by_text("Keine belegte Antwort gefunden").count() == 1
    assert axe_violations(page) == []
    with page.expect_navigation():
        page.get_by_role("link", name="Erklärung zur Barrierefreiheit").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Erklärung zur Barrierefreiheit"
    assert axe_violations(page) == []


def test_search_works_with_javascript_switched_off(browser: Any, ui_world: Any) -> None:
    context = browser.new_context(base_url=ui_world.base_url, java_script_enabled=False)
    tab = context.new_page()
    try:
        tab.goto("/")
        tab.get_by_role("searchbox").fill(QUESTION)
        with tab.expect_navigation():
            tab.get_by_role("button", name="Suchen").click()
        assert "Antwort" in tab.get_by_role("region", name="Antwort").inner_text()
        tab.get_by_label("Praxisbeispiel").check()
        with tab.expect_navigation():
            tab.get_by_role("button", name="Filter anwenden").click()
        assert "art=praxisbeispiel" in tab.url
        with tab.expect_navigation():
            tab.get_by_role("link", name="Alle Filter entfernen").click()
        assert "art=" not in tab.url
    finally:
        context.close()


def test_the_page_fits_a_320_pixel_wide_screen(browser: Any, ui_world: Any) -> None:
    context = browser.new_context(
        base_url=ui_world.base_url, viewport={"width": 320, "height": 640}
    )
    tab = context.new_page()
    try:
        for path in ("/?q=" + QUESTION, f"/dokumente/{ui_world.document_ids['feindlich']}"):
            tab.goto(path)
            overflow = tab.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, path
    finally:
        context.close()


def test_api_docs_render_offline(page: Any) -> None:
    page.goto("/docs")
    page.wait_for_selector(".swagger-ui .information-container", timeout=60_000)
    assert page.get_by_text("/v1/search").count() >= 1


def test_the_skip_link_comes_first_and_leads_into_the_content(page: Any) -> None:
    page.goto("/?q=" + QUESTION)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Zum Inhalt springen"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('main') !== null")


def test_the_office_overview_has_no_accessibility_violations(page: Any) -> None:
    sign_in(page, OFFICE, TEST_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("link", name="Verwaltung").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Verwaltung"
    assert axe_violations(page) == []
