# ruff: noqa: F811 - the browser fixtures are imported from test_ui_browser
"""The office in Debian's Chromium (Playwright, headless): the upload journey and axe-core.

The office signs in, uploads a file (first with a wrong date: the file is kept), sees the job
finish (the page refreshes itself), edits the document's metadata and withdraws it. axe-core
must report no WCAG 2.1 A/AA violation on any office page or state. The journey writes
`docs/screenshots/verwaltung-hochladen.png`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.search_service.test_ui_browser import (  # noqa: F401 - fixtures
    CHROMIUM,
    SCREENSHOTS,
    axe_violations,
    browser,
    page,
    sign_in,
)
from tests.support.helpers import TEST_PASSWORD
from tests.support.ui_office import ADMIN, ensure_admin
from tests.support.ui_world import OFFICE

pytestmark = [
    pytest.mark.model,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium (scripts/setup.sh dev installs it)"
    ),
]
REPORT = (
    "# Bericht Fachtag Jugendberufsagentur\n\n## Ergebnisse\n\n"
    "Auf dem Fachtag berichteten sechs Jobcenter, wie sie mit Schulen und Jugendhilfe in einer "
    "Jugendberufsagentur zusammenarbeiten. Gemeinsame Fallbesprechungen verkürzten die Wege.\n"
)


def test_the_office_uploads_sees_the_job_finish_edits_and_withdraws(
    page: Any, ui_world: Any, tmp_path: Path
) -> None:
    report = tmp_path / "fachtag-jba.md"
    report.write_text(REPORT, encoding="utf-8")
    sign_in(page, OFFICE, TEST_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("link", name="Verwaltung").click()
    assert axe_violations(page) == []
    with page.expect_navigation():
        page.get_by_role("navigation", name="Bereiche der Verwaltung").get_by_role(
            "link", name="Hochladen"
        ).click()
    assert page.get_by_role("heading", level=1).inner_text() == "Dokumente hochladen"
    assert axe_violations(page) == []

    page.get_by_label("Dateien").set_input_files(str(report))
    page.get_by_label("Dokumentart").select_option("tagungsmaterial")
    page.get_by_label("Datum").fill("2024-10")
    page.get_by_label("Jobcenter").fill("Kreis Steinfurt")
    page.get_by_label("Themen").fill("Jugendberufsagentur, Schule")
    page.get_by_label("Sichtbarkeit", exact=True).select_option("programme")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "verwaltung-hochladen.png"), full_page=True)
    page.get_by_label("Datum").fill("Herbst 2024")
    with page.expect_navigation():
        page.get_by_role("button", name="Hochladen").click()
    alert = page.get_by_role("alert")
    assert "Datum bitte als JJJJ-MM-TT" in alert.inner_text()
    date = page.get_by_label("Datum")
    assert date.input_value() == "Herbst 2024"
    assert "fehler-date" in (date.get_attribute("aria-describedby") or "")
    assert page.get_by_label("Jobcenter").input_value() == "Kreis Steinfurt"
    assert "fachtag-jba.md" in page.locator("#gehalten").inner_text()
    assert axe_violations(page) == []

    date.fill("2024-10")
    with page.expect_navigation():
        page.get_by_role("button", name="Hochladen").click()
    assert "Die Dateien wurden übernommen" in page.locator("#meldung").inner_text()
    status = page.locator("#auftrag-stand")
    assert status.get_attribute("role") == "status"
    page.wait_for_function(
        "document.getElementById('auftrag-stand').textContent.includes('Fertig')",
        timeout=180_000,
    )
    assert "1 Dokument aufgenommen" in status.inner_text()
    assert page.get_by_role("cell", name="Aufgenommen").count() == 1
    assert axe_violations(page) == []

    with page.expect_navigation():
        page.get_by_role("link", name="Bearbeiten").click()
    document_id = page.url.rsplit("/", 1)[-1]
    assert axe_violations(page) == []
    page.get_by_label("Titel").fill("Fachtag Jugendberufsagentur 2024: Bericht")
    with page.expect_navigation():
        page.get_by_role("button", name="Angaben speichern").click()
    assert "gespeichert" in page.get_by_role("status").first.inner_text()
    heading = page.get_by_role("heading", level=1).inner_text()
    assert heading == "Fachtag Jugendberufsagentur 2024: Bericht"
    record = ui_world.context.registry.documents.get(document_id)
    assert record.title == heading and record.typed_metadata.date == "2024-10-01"
    assert axe_violations(page) == []

    with page.expect_navigation():
        page.get_by_role("button", name="Zurückziehen").click()
    assert "zurückgezogen" in page.locator("#meldung").inner_text()
    assert ui_world.context.registry.documents.get(document_id).status == "withdrawn"
    assert page.get_by_role("button", name="Wiederherstellen").count() == 1
    assert axe_violations(page) == []
    with page.expect_navigation():
        page.get_by_role("link", name="Dokument löschen …").click()
    assert axe_violations(page) == []


def test_every_office_page_and_state_has_no_accessibility_violations(
    page: Any, ui_world: Any
) -> None:
    sign_in(page, ensure_admin(ui_world.context.accounts), TEST_PASSWORD)
    for path in (
        "/verwaltung",
        "/verwaltung/dokumente",
        "/verwaltung/dokumente?sortierung=year&richtung=ab&art=praxisbeispiel",
        f"/verwaltung/dokumente/{ui_world.document_ids['feindlich']}",
        "/verwaltung/luecken",
        "/verwaltung/anfragen",
        "/verwaltung/protokoll",
        "/verwaltung/neuindizierung",
        "/verwaltung/konten",
        f"/verwaltung/konten/{ADMIN}",
        "/verwaltung/api-schluessel",
    ):
        page.goto(path)
        assert page.get_by_role("heading", level=1).count() == 1, path
        assert axe_violations(page) == [], path
    assert page.evaluate("window.__pwned === undefined")
    page.goto("/verwaltung/konten")
    page.get_by_label("Kontoname").fill("kein name!")
    with page.expect_navigation():
        page.get_by_role("button", name="Konto anlegen").click()
    assert page.get_by_role("alert").count() == 1
    assert axe_violations(page) == []
    page.goto("/verwaltung/api-schluessel")
    page.get_by_label("Wofür").fill("browser-test")
    with page.expect_navigation():
        page.get_by_role("button", name="Schlüssel erstellen").click()
    assert page.locator("#geheimnis").inner_text().startswith("blok_")
    assert axe_violations(page) == []


def test_the_job_page_works_without_javascript(browser: Any, ui_world: Any, tmp_path: Path) -> None:
    note = tmp_path / "ohne-js.md"
    note.write_text("# Ohne JavaScript\n\nDiese Notiz kam ohne JavaScript an.\n", encoding="utf-8")
    context = browser.new_context(base_url=ui_world.base_url, java_script_enabled=False)
    tab = context.new_page()
    try:
        sign_in(tab, OFFICE, TEST_PASSWORD)
        tab.goto("/verwaltung/hochladen")
        tab.get_by_label("Dateien").set_input_files(str(note))
        tab.get_by_label("Sichtbarkeit", exact=True).select_option("office")
        with tab.expect_navigation():
            tab.get_by_role("button", name="Hochladen").click()
        for _ in range(360):
            if "Fertig" in tab.locator("#auftrag-stand").inner_text():
                break
            with tab.expect_navigation():
                tab.get_by_role("link", name="Stand aktualisieren").click()
        assert "1 Dokument aufgenommen" in tab.locator("#auftrag-stand").inner_text()
    finally:
        context.close()


def test_office_pages_fit_a_320_pixel_wide_screen(browser: Any, ui_world: Any) -> None:
    context = browser.new_context(
        base_url=ui_world.base_url, viewport={"width": 320, "height": 640}
    )
    tab = context.new_page()
    try:
        sign_in(tab, ensure_admin(ui_world.context.accounts), TEST_PASSWORD)
        for path in (
            "/verwaltung",
            "/verwaltung/hochladen",
            "/verwaltung/dokumente",
            f"/verwaltung/dokumente/{ui_world.document_ids['feindlich']}",
            "/verwaltung/luecken",
            "/verwaltung/anfragen",
            "/verwaltung/protokoll",
            "/verwaltung/neuindizierung",
            "/verwaltung/konten",
            "/verwaltung/api-schluessel",
        ):
            tab.goto(path)
            overflow = tab.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, path
    finally:
        context.close()
