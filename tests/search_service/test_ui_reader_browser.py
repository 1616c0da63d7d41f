"""The reader's journeys on the demo corpus in Chromium: keyboard only, small screens, PDF pages.

Everything runs on `corpora/demo` (with its PDFs), so the screenshots in `docs/screenshots/`
show the real demo documents. axe-core must report no WCAG 2.1 A/AA violation on any page or
state; the page view is also checked under the real Content-Security-Policy.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.search_service.test_ui_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    SCREENSHOTS,
    axe_violations,
)
from tests.support.helpers import TEST_PASSWORD
from tests.support.ui_world import DEMO_QUESTION, RING_MEMBER, UNANSWERABLE

PUBLIC_QUESTION = "Wie binden Jobcenter Arbeitgeber bei der Integration Geflüchteter ein?"
VR3_PROTOCOL = "vr3-protokoll-2019-sozialraum"
SMALL_SCREENS = {
    "320 px": {"viewport": {"width": 320, "height": 640}},
    "200 %": {"viewport": {"width": 640, "height": 400}, "device_scale_factor": 2},
}

pytestmark = [
    pytest.mark.model,
    pytest.mark.slow,
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
def tab(browser: Any, demo_ui_world: Any) -> Iterator[Any]:
    """A fresh page on the demo server; fails on script errors, CSP reports and other hosts.

    The Content-Security-Policy stays in force; axe-core is evaluated through the DevTools
    protocol, which the policy does not govern.
    """
    context = browser.new_context(base_url=demo_ui_world.base_url, locale="de-DE")
    elsewhere: list[str] = []

    def refuse(route: Any) -> None:
        elsewhere.append(route.request.url)
        route.abort()

    context.route(lambda url: not url.startswith(demo_ui_world.base_url), refuse)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "console",
        lambda message: (
            problems.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.set_default_timeout(120_000)
    yield page
    context.close()
    assert not problems, problems
    assert not elsewhere, elsewhere


def axe_clean(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations, with axe evaluated rather than injected as a script tag."""
    return axe_violations(page, inject=False)


def focused(page: Any, script: str) -> bool:
    """Whether `script` (given `el`, the focused element) holds."""
    return bool(
        page.evaluate(f"(() => {{ const el = document.activeElement; return {script}; }})()")
    )


def tab_to(page: Any, script: str, limit: int = 60, key: str = "Tab") -> None:
    """Press Tab (or `key`, such as Shift+Tab) until the focused element satisfies `script`."""
    for _ in range(limit):
        page.keyboard.press(key)
        if focused(page, script):
            return
    raise AssertionError(f"Tab never reached {script}")


def search_by_keyboard(page: Any, question: str) -> None:
    """Tab to the header's search box, type the question, press Enter."""
    tab_to(page, "el.id === 'suchfeld'")
    page.keyboard.type(question)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def open_first_citation_by_keyboard(page: Any) -> str:
    """Tab to the first citation card's link, press Enter; returns the card's quote."""
    quote = page.locator("#beleg-1 blockquote").inner_text().strip()
    tab_to(page, "el.closest('#beleg-1') !== null && el.tagName === 'A'")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    return str(quote)


def test_an_anonymous_reader_finds_a_marked_quote_by_keyboard_alone(tab: Any) -> None:
    tab.goto("/")
    tab.keyboard.press("Tab")
    assert focused(tab, "el.textContent === 'Zum Inhalt springen'")
    search_by_keyboard(tab, PUBLIC_QUESTION)
    assert tab.get_by_role("region", name="Antwort").get_by_role("link", name="[1]").count() == 1
    assert axe_clean(tab) == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SCREENSHOTS / "ergebnisse.png"), full_page=True)
    quote = open_first_citation_by_keyboard(tab)
    assert focused(tab, "el.id === 'zitat' && el.tagName === 'MARK'")
    assert tab.locator("mark#zitat").inner_text().strip() == quote
    tab.screenshot(path=str(SCREENSHOTS / "dokument-mit-zitat.png"))
    assert axe_clean(tab) == []


def sign_in_by_keyboard(page: Any) -> None:
    """From the header's sign-in link to a signed-in page, by keyboard."""
    tab_to(page, "el.textContent.trim() === 'Anmelden' && el.tagName === 'A'")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tab_to(page, "el.id === 'name'")
    page.keyboard.type(RING_MEMBER)
    page.keyboard.press("Tab")
    page.keyboard.type(TEST_PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_a_ring_member_uses_the_ring_area_and_the_pdf_page_by_keyboard(
    tab: Any, demo_ui_world: Any
) -> None:
    tab.goto("/")
    sign_in_by_keyboard(tab)
    assert tab.get_by_text(f"Angemeldet als {RING_MEMBER}").count() == 1
    tab_to(tab, "el.getAttribute('href') === '/ringe/vr3'")
    with tab.expect_navigation():
        tab.keyboard.press("Enter")
    assert tab.get_by_role("heading", level=1).inner_text() == "Vergleichsring 3"
    protocol = demo_ui_world.document_ids[VR3_PROTOCOL]
    assert tab.locator(f"a[href='/dokumente/{protocol}']").count() == 1
    assert axe_clean(tab) == []
    tab_to(tab, "el.id === 'ringsuche'")
    tab.keyboard.type(DEMO_QUESTION)
    with tab.expect_navigation():
        tab.keyboard.press("Enter")
    assert "ring=vr3" in tab.url and tab.get_by_text("Ring: VR 3").count() >= 1
    quote = open_first_citation_by_keyboard(tab)
    assert protocol in tab.url
    marked = tab.locator("mark#zitat").inner_text()
    assert focused(tab, "el.id === 'zitat'") and marked.split() == quote.split()  # line breaks
    tab_to(tab, "el.textContent.includes('im Original (PDF)')", key="Shift+Tab")
    with tab.expect_navigation():
        tab.keyboard.press("Enter")
    tab.wait_for_selector("#pdf-status:not([hidden])")
    assert "hervorgehoben" in tab.locator("#pdf-status").inner_text()
    assert focused(tab, "el.id === 'zitat' && el.classList.contains('blok-pdf-zitat')")
    highlighted = " ".join(tab.locator("mark.blok-pdf-zitat").first.inner_text().split())
    assert highlighted and highlighted in " ".join(quote.split())
    assert axe_clean(tab) == []
    tab.screenshot(path=str(SCREENSHOTS / "pdf-seite-mit-zitat.png"), full_page=True)


def test_the_pdf_page_highlights_nothing_where_the_quote_is_ambiguous(
    tab: Any, demo_ui_world: Any
) -> None:
    protocol = demo_ui_world.document_ids[VR3_PROTOCOL]
    text = demo_ui_world.context.registry.documents.page_text(protocol, 3)
    # The stored text has dropped the running header, which names the ring again, so the PDF's
    # text layer holds "Vergleichsring 3" once more than the stored page does.
    assert "nur für Mitglieder" not in text and text.count("Vergleichsring 3") == 1
    start = text.index("Vergleichsring 3")
    tab.goto("/anmelden")
    tab.get_by_label("Kontoname").fill(RING_MEMBER)
    tab.get_by_label("Passwort").fill(TEST_PASSWORD)
    with tab.expect_navigation():
        tab.get_by_role("button", name="Anmelden").click()
    end = start + len("Vergleichsring 3")
    tab.goto(f"/dokumente/{protocol}/original?seite=3&von={start}&bis={end}")
    tab.wait_for_selector("#pdf-status:not([hidden])")
    assert "nicht sicher finden" in tab.locator("#pdf-status").inner_text()
    assert tab.locator("mark").count() == 0
    assert tab.locator(".textLayer span").count() > 0  # the page itself was drawn
    assert axe_clean(tab) == []


def test_an_invisible_ring_and_an_abstention_are_accessible(tab: Any) -> None:
    response = tab.goto("/ringe/vr3")
    assert response.status == 404
    assert tab.get_by_role("heading", level=1).inner_text() == "Vergleichsring nicht gefunden"
    assert axe_clean(tab) == []
    tab.goto("/ring")
    assert axe_clean(tab) == []
    tab.goto(f"/?q={UNANSWERABLE}&art=protokoll")
    assert tab.get_by_text("Keine belegte Antwort gefunden").count() == 1
    assert axe_clean(tab) == []


@pytest.mark.parametrize("screen", sorted(SMALL_SCREENS))
def test_the_reader_pages_fit_small_screens_and_large_zoom(
    browser: Any, demo_ui_world: Any, screen: str
) -> None:
    context = browser.new_context(base_url=demo_ui_world.base_url, **SMALL_SCREENS[screen])
    page = context.new_page()
    page.set_default_timeout(120_000)
    protocol = demo_ui_world.document_ids[VR3_PROTOCOL]
    try:
        page.goto("/anmelden")
        page.get_by_label("Kontoname").fill(RING_MEMBER)
        page.get_by_label("Passwort").fill(TEST_PASSWORD)
        with page.expect_navigation():
            page.get_by_role("button", name="Anmelden").click()
        paths = (
            f"/?q={DEMO_QUESTION}",
            f"/?q={UNANSWERABLE}&art=protokoll",
            f"/dokumente/{protocol}?seite=3&von=0&bis=20#zitat",
            f"/dokumente/{protocol}/original?seite=3&von=0&bis=20",
            "/ringe/vr3",
            "/ring",
            "/barrierefreiheit",
        )
        for path in paths:
            page.goto(path)
            if "/original" in path:
                page.wait_for_selector("#pdf-status:not([hidden])")
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, (screen, path, overflow)
    finally:
        context.close()


def test_without_javascript_the_page_view_leads_to_the_marked_text(
    browser: Any, demo_ui_world: Any
) -> None:
    context = browser.new_context(base_url=demo_ui_world.base_url, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(120_000)
    protocol = demo_ui_world.document_ids[VR3_PROTOCOL]
    try:
        page.goto("/anmelden")
        page.get_by_label("Kontoname").fill(RING_MEMBER)
        page.get_by_label("Passwort").fill(TEST_PASSWORD)
        with page.expect_navigation():
            page.get_by_role("button", name="Anmelden").click()
        page.goto("/ringe/vr3")
        page.get_by_label("In VR 3 suchen").fill(DEMO_QUESTION)
        with page.expect_navigation():
            page.get_by_role("button", name="Im Ring suchen").click()
        assert "ring=vr3" in page.url and page.locator("#beleg-1").count() == 1
        page.goto(f"/dokumente/{protocol}/original?seite=3&von=0&bis=20")
        # Playwright's text and role locators skip <noscript>; the rendered text shows it.
        assert "Die Originalseite zeichnet der Browser mit" in page.locator("main").inner_text()
        with page.expect_navigation():
            page.locator("main noscript a").click()
        assert page.locator("mark#zitat").count() == 1
    finally:
        context.close()
