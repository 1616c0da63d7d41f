"""The office pages over HTTP, as a browser without JavaScript gets them: who may enter, upload.

The real app served over the web UI's world (`tests.support.ui_world`); uploads are ingested by
the service's own job queue with the real model.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from tests.support.ui_office import (
    HOSTILE_NAME,
    HOSTILE_UPLOAD_TITLE,
    csrf_of,
    ensure_admin,
    sign_in_by_form,
    wait_for_job,
)
from tests.support.ui_world import OFFICE, RING_MEMBER

pytestmark = pytest.mark.model
OFFICE_PAGES = (
    "/verwaltung",
    "/verwaltung/hochladen",
    "/verwaltung/dokumente",
    "/verwaltung/luecken",
    "/verwaltung/anfragen",
    "/verwaltung/protokoll",
    "/verwaltung/neuindizierung",
)
ADMIN_PAGES = ("/verwaltung/konten", "/verwaltung/api-schluessel")
PROTOKOLL = (
    "# Protokoll Vergleichsring 7\n\n## TOP 1 Übergang Schule–Beruf\n\n"
    "Der Vergleichsring 7 vereinbart eine gemeinsame Checkliste für die Berufsorientierung "
    "an Förderschulen. Die Jobcenter melden bis zur nächsten Sitzung ihre Erfahrungen.\n"
)
NOTIZ = (
    "# Notiz zur Jugendberufsagentur\n\nDie Jugendberufsagentur berät junge Menschen an einem "
    "Ort: Jobcenter, Agentur für Arbeit und Jugendhilfe sitzen Tür an Tür.\n"
)


@pytest.fixture()
def client(ui_world: Any) -> Iterator[httpx.Client]:
    """A cookie-keeping client, anonymous until it signs in."""
    ensure_admin(ui_world.context.accounts)
    with httpx.Client(base_url=ui_world.base_url, timeout=120) as browser:
        yield browser


def upload(client: httpx.Client, files: list[tuple[str, bytes]], **fields: str) -> httpx.Response:
    """Post the upload form (the CSRF token first, as the page's form sends it)."""
    data = {"csrf_token": csrf_of(client, "/verwaltung/hochladen"), **fields}
    parts = [("files", (name, content, "application/octet-stream")) for name, content in files]
    return client.post("/verwaltung/hochladen", data=data, files=parts or None)


def test_anonymous_visitors_go_to_the_sign_in_page_and_come_back(
    client: httpx.Client,
) -> None:
    for path in (*OFFICE_PAGES, *ADMIN_PAGES):
        response = client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"] == "/anmelden?" + urlencode({"weiter": path})
    back = client.post(
        "/anmelden",
        data={
            "name": OFFICE,
            "password": "ein-langes-test-passwort",
            "weiter": "/verwaltung/dokumente",
        },
    )
    assert back.headers["location"] == "/verwaltung/dokumente"


def test_readers_get_403_and_the_office_not_the_admin_pages(client: httpx.Client) -> None:
    sign_in_by_form(client, RING_MEMBER)
    for path in (*OFFICE_PAGES, *ADMIN_PAGES):
        refused = client.get(path)
        assert refused.status_code == 403, path
        assert "Kein Zugriff" in refused.text
    sign_in_by_form(client, OFFICE)
    for path in OFFICE_PAGES:
        assert client.get(path).status_code == 200, path
    for path in ADMIN_PAGES:
        refused = client.get(path)
        assert refused.status_code == 403, path
        assert "verwaltet die Administration" in refused.text
    assert 'href="/verwaltung/konten"' not in client.get("/verwaltung").text


def test_every_office_page_is_german_with_one_h1_and_the_area_navigation(
    client: httpx.Client, ui_world: Any
) -> None:
    sign_in_by_form(client, ensure_admin(ui_world.context.accounts))
    for path in (*OFFICE_PAGES, *ADMIN_PAGES):
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.text
        assert '<html lang="de">' in html and html.count("<h1") == 1, path
        assert 'aria-label="Bereiche der Verwaltung"' in html
        assert f'href="{path}" aria-current="page"' in html, path
        assert 'role="status"' in html
        policy = response.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "unsafe-inline" not in policy
    forged = client.get("/verwaltung", params={"meldung": "<b>Bitte Passwort senden</b>"})
    assert "Bitte Passwort senden" not in forged.text


def test_a_form_without_the_csrf_token_changes_nothing(client: httpx.Client, ui_world: Any) -> None:
    sign_in_by_form(client, OFFICE)
    document_id = ui_world.document_ids["praxis-arbeitgeber"]
    refused = client.post(f"/verwaltung/dokumente/{document_id}/zurueckziehen")
    assert refused.status_code == 403 and "nicht angenommen" in refused.text
    assert ui_world.context.registry.documents.get(document_id).status == "indexed"
    uploads = ui_world.settings.uploads_dir
    before = set(uploads.iterdir()) if uploads.exists() else set()
    forged = client.post(
        "/verwaltung/hochladen",
        data={"csrf_token": "0" * 64},
        files=[("files", ("a.md", b"# A\n\nText.\n", "text/markdown"))],
    )
    assert forged.status_code == 403
    assert (set(uploads.iterdir()) if uploads.exists() else set()) == before


def test_several_files_upload_with_metadata_and_each_file_gets_its_status(
    client: httpx.Client, ui_world: Any
) -> None:
    sign_in_by_form(client, OFFICE)
    response = upload(
        client,
        [
            ("vr7-protokoll.md", PROTOKOLL.encode()),
            ("notiz.md", NOTIZ.encode()),
            ("bild.exe", b"MZ\x90\x00" * 64),
            ("leer.md", b"   \n\n   \n"),
        ],
        title="",
        kind="protokoll",
        ring="VR 7",
        date="2024-03-12",
        job_centre="Kreis Lippe",
        topics="Übergang Schule-Beruf, Förderschulen",
        visibility="ring",
        visibility_rings="",
    )
    assert response.status_code == 303, response.text
    job_path = response.headers["location"].split("?")[0]
    assert re.fullmatch(r"/verwaltung/auftraege/[0-9a-f]{32}", job_path)
    first = client.get(response.headers["location"]).text
    assert "Die Dateien wurden übernommen" in first and 'role="status"' in first
    html = wait_for_job(client, job_path)
    assert "Fertig: 2 Dokumente aufgenommen, 2 mit Problemen." in html
    assert html.count("Aufgenommen") == 2 and "Abgelehnt" in html and "Übersprungen" in html
    assert "Dateiformat wird nicht unterstützt" in html and "Kein Text gefunden" in html
    ids = re.findall(r'href="/verwaltung/dokumente/([0-9a-f]+)"', html)
    assert len(ids) == 2
    for document_id in ids:
        record = ui_world.context.registry.documents.get(document_id)
        metadata = record.typed_metadata
        assert (metadata.kind, metadata.ring, metadata.date) == ("protokoll", "vr7", "2024-03-12")
        assert metadata.visibility == "ring:vr7" and metadata.job_centre == "Kreis Lippe"
        assert list(metadata.topics) == ["Übergang Schule-Beruf", "Förderschulen"]
    listing = client.get("/verwaltung/hochladen").text
    assert job_path in listing


def test_a_wrong_field_keeps_the_files_and_every_value(client: httpx.Client, ui_world: Any) -> None:
    sign_in_by_form(client, OFFICE)
    response = upload(
        client,
        [("jba.md", NOTIZ.replace("Notiz", "Vermerk").encode())],
        title="Vermerk Jugendberufsagentur",
        kind="sonstiges",
        ring="Ring sieben",
        date="12.03.2024",
        visibility="office",
    )
    assert response.status_code == 400
    html = response.text
    assert 'role="alert"' in html and "Bitte korrigieren Sie die markierten Angaben" in html
    for name in ("ring", "date"):
        assert f'id="fehler-{name}"' in html
        assert re.search(rf'id="feld-{name}"[^>]*aria-describedby="[^"]*fehler-{name}"', html)
    assert 'value="Vermerk Jugendberufsagentur"' in html and 'value="12.03.2024"' in html
    assert "Bereits übertragen" in html and "jba.md" in html
    held = re.search(r'name="held" value="([0-9a-f]{32})"', html)
    assert held
    again = upload(
        client,
        [("", b"")],  # a browser sends an empty file part when no file is chosen
        held=held.group(1),
        title="Vermerk Jugendberufsagentur",
        kind="sonstiges",
        ring="VR 7",
        date="2024-03-12",
        visibility="office",
    )
    assert again.status_code == 303, again.text
    assert held.group(1) in again.headers["location"]
    html = wait_for_job(client, again.headers["location"].split("?")[0])
    assert "Fertig: 1 Dokument aufgenommen." in html


def test_an_upload_without_files_says_so(client: httpx.Client) -> None:
    sign_in_by_form(client, OFFICE)
    response = upload(client, [("", b"")], visibility="office")
    assert response.status_code == 400
    assert "Bitte wählen Sie mindestens eine Datei aus." in response.text
    assert 'id="fehler-files"' in response.text


def test_hostile_file_names_and_titles_are_escaped(client: httpx.Client, ui_world: Any) -> None:
    sign_in_by_form(client, OFFICE)
    response = upload(
        client,
        [(HOSTILE_NAME, b"# Forum\n\nIm Forum ging es um Arbeitgeber und Ausbildung.\n")],
        title=HOSTILE_UPLOAD_TITLE,
        visibility="office",
    )
    assert response.status_code == 303, response.text
    job = wait_for_job(client, response.headers["location"].split("?")[0])
    table = client.get("/verwaltung/dokumente").text
    for html in (job, table):
        assert "<img src=x" not in html and "<script>window.__pwned" not in html
    assert "&lt;img src=x onerror=" in job
    assert "&lt;script&gt;window.__pwned = 6&lt;/script&gt;" in table
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in table


def test_unknown_jobs_and_documents_are_404_pages(client: httpx.Client) -> None:
    sign_in_by_form(client, OFFICE)
    for path in (
        "/verwaltung/auftraege/" + "0" * 32,
        "/verwaltung/auftraege/kein-auftrag",
        "/verwaltung/dokumente/0000000000000000",
        "/verwaltung/dokumente/0000000000000000/loeschen",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert '<html lang="de">' in response.text
    odd = client.get(
        "/verwaltung/dokumente",
        params={"sortierung": "<script>", "richtung": "quer", "jahr": "abc", "art": "roman"},
    )
    assert odd.status_code == 200 and "<script>" not in odd.text
    assert 'aria-sort="ascending"' in odd.text
