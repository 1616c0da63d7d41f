"""The office's documents table and curation forms over HTTP (real app, real store and model).

The documents the forms change are uploaded by the test through the upload form, so the
shared web UI world's own documents stay as they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from core.filters import FieldMatch
from tests.support.ui_office import csrf_of, sign_in_by_form, wait_for_job
from tests.support.ui_world import OFFICE, RING_MEMBER

pytestmark = pytest.mark.model
TEXTS = {
    "alt.md": "# Leitfaden Aktivierung 2020\n\nDer Leitfaden beschreibt die Aktivierung von "
    "Langzeitarbeitslosen durch aufsuchende Beratung in den Stadtteilen.\n",
    "neu.md": "# Leitfaden Aktivierung 2024\n\nDie neue Fassung des Leitfadens ergänzt die "
    "aufsuchende Beratung um digitale Sprechstunden und Gruppenangebote.\n",
}


@pytest.fixture(scope="module")
def office(ui_world: Any) -> Iterator[httpx.Client]:
    """An office session for the module."""
    with httpx.Client(base_url=ui_world.base_url, timeout=120) as client:
        sign_in_by_form(client, OFFICE)
        yield client


@pytest.fixture(scope="module")
def uploaded(office: httpx.Client) -> dict[str, str]:
    """Two public guides uploaded through the form: file name → document id."""
    data = {"csrf_token": csrf_of(office, "/verwaltung/hochladen")}
    data |= {"kind": "praxisbeispiel", "date": "2020-06", "visibility": "public"}
    files = [("files", (name, text.encode(), "text/markdown")) for name, text in TEXTS.items()]
    response = office.post("/verwaltung/hochladen", data=data, files=files)
    assert response.status_code == 303, response.text
    html = wait_for_job(office, response.headers["location"].split("?")[0])
    rows = re.findall(
        r'<td class="kern-table__cell blok-umbruch">([^<]+)</td>.*?'
        r'href="/verwaltung/dokumente/([0-9a-f]+)"',
        html,
        re.S,
    )
    found = dict(rows)
    assert set(found) == set(TEXTS), html
    return found


def post(client: httpx.Client, path: str, **fields: str) -> httpx.Response:
    """Post a form of the page at `path` (with its CSRF token) to `path` + suffix."""
    return client.post(path, data={"csrf_token": csrf_of(client), **fields})


def test_the_table_sorts_and_filters_with_its_state_in_the_url(
    office: httpx.Client, ui_world: Any, uploaded: dict[str, str]
) -> None:
    everything = office.get("/verwaltung/dokumente").text
    for document_id in [*ui_world.document_ids.values(), *uploaded.values()]:
        assert f'href="/verwaltung/dokumente/{document_id}"' in everything
    assert 'aria-sort="ascending"' in everything
    newest = office.get("/verwaltung/dokumente", params={"sortierung": "year", "richtung": "ab"})
    years = [int(y) for y in re.findall(r'numeric">(\d{4})</td>', newest.text)]
    assert years == sorted(years, reverse=True) and len(years) >= 6
    assert 'aria-sort="descending"' in newest.text
    guides = office.get("/verwaltung/dokumente", params={"art": "praxisbeispiel", "jahr": "2020"})
    assert guides.text.count('href="/verwaltung/dokumente/') == 2
    assert (
        "Alle Filter entfernen" in guides.text and 'value="praxisbeispiel" selected' in guides.text
    )
    office_only = office.get("/verwaltung/dokumente", params={"sichtbarkeit": "office"}).text
    assert ui_world.document_ids["intern"] in office_only
    assert ui_world.document_ids["praxis-arbeitgeber"] not in office_only


def test_editing_metadata_saves_changed_fields_and_says_so(
    office: httpx.Client, ui_world: Any, uploaded: dict[str, str]
) -> None:
    document_id = uploaded["alt.md"]
    path = f"/verwaltung/dokumente/{document_id}"
    page = office.get(path).text
    assert 'value="Leitfaden Aktivierung 2020"' in page or "Leitfaden" in page
    fields = {
        "title": "Leitfaden Aktivierung (Fassung 2020)",
        "kind": "praxisbeispiel",
        "ring": "",
        "date": "2020-06",
        "job_centre": "Stadt Offenbach",
        "topics": "Aktivierung, Aufsuchende Beratung",
        "visibility": "public",
        "visibility_rings": "",
    }
    saved = post(office, path, **fields)
    assert saved.status_code == 303
    assert saved.headers["location"] == f"{path}?meldung=gespeichert"
    shown = office.get(saved.headers["location"]).text
    assert 'role="status"' in shown and "Die Änderungen wurden gespeichert." in shown
    record = ui_world.context.registry.documents.get(document_id)
    assert record.title == "Leitfaden Aktivierung (Fassung 2020)"
    assert record.typed_metadata.job_centre == "Stadt Offenbach"
    assert list(record.typed_metadata.topics) == ["Aktivierung", "Aufsuchende Beratung"]
    entry = ui_world.context.audit.entries(limit=1)[0]
    assert (entry.action, entry.target, entry.actor) == (
        "document.edit",
        document_id,
        f"account:{OFFICE}",
    )


def test_a_wrong_field_is_an_alert_tied_to_it_and_keeps_every_value(
    office: httpx.Client, ui_world: Any, uploaded: dict[str, str]
) -> None:
    document_id = uploaded["alt.md"]
    before = ui_world.context.registry.documents.get(document_id)
    wrong = post(
        office,
        f"/verwaltung/dokumente/{document_id}",
        title="",
        kind="roman",
        date="Sommer 2020",
        job_centre="Kreis <b>Fett</b>",
        visibility="public",
    )
    assert wrong.status_code == 400
    html = wrong.text
    assert 'role="alert"' in html and html.count('class="kern-error"') == 3
    for name in ("title", "kind", "date"):
        assert re.search(rf'id="feld-{name}"[^>]*aria-describedby="[^"]*fehler-{name}"', html)
        assert re.search(rf'id="feld-{name}"[^>]*aria-invalid="true"', html)
    assert 'value="Sommer 2020"' in html and "Kreis &lt;b&gt;Fett&lt;/b&gt;" in html
    assert "Das Datum bitte als JJJJ-MM-TT" in html and "<title>Fehler:" in html
    assert ui_world.context.registry.documents.get(document_id).metadata == before.metadata


def test_visibility_withdraw_and_restore(
    office: httpx.Client, ui_world: Any, uploaded: dict[str, str]
) -> None:
    document_id = uploaded["neu.md"]
    path = f"/verwaltung/dokumente/{document_id}"
    narrowed = post(office, f"{path}/sichtbarkeit", visibility="ring", visibility_rings="VR 3, vr5")
    assert narrowed.status_code == 303
    registry = ui_world.context.registry.documents
    assert registry.get(document_id).typed_metadata.visibility == "ring:vr3,vr5"
    with httpx.Client(base_url=ui_world.base_url) as anonymous:
        assert anonymous.get(f"/dokumente/{document_id}").status_code == 404
    post(office, f"{path}/sichtbarkeit", visibility="public")
    withdrawn = post(office, f"{path}/zurueckziehen")
    assert withdrawn.headers["location"] == f"{path}?meldung=zurueckgezogen"
    assert registry.get(document_id).status == "withdrawn"
    page = office.get(withdrawn.headers["location"]).text
    assert "Das Dokument wurde zurückgezogen." in page and "Wiederherstellen" in page
    with httpx.Client(base_url=ui_world.base_url) as anonymous:
        assert anonymous.get(f"/dokumente/{document_id}").status_code == 404
    twice = post(office, f"{path}/zurueckziehen")
    assert twice.status_code == 409 and "bereits zurückgezogen" in twice.text
    assert 'role="alert"' in twice.text
    restored = post(office, f"{path}/wiederherstellen")
    assert restored.status_code == 303 and registry.get(document_id).status == "indexed"


def test_supersede_and_undo(office: httpx.Client, ui_world: Any, uploaded: dict[str, str]) -> None:
    old, new = uploaded["alt.md"], uploaded["neu.md"]
    path = f"/verwaltung/dokumente/{old}"
    missing = post(office, f"{path}/ersetzt", successor_id="")
    assert missing.status_code == 400 and "Bitte wählen Sie das Dokument" in missing.text
    assert re.search(r'aria-describedby="[^"]*fehler-successor_id"', missing.text)
    assert 'role="alert"' in missing.text
    marked = post(office, f"{path}/ersetzt", successor_id=new)
    assert marked.status_code == 303
    assert ui_world.context.registry.documents.get(old).typed_metadata.superseded_by == new
    page = office.get(path).text
    assert f'href="/verwaltung/dokumente/{new}"' in page and "ersetzt durch" in page
    cycle = post(office, f"/verwaltung/dokumente/{new}/ersetzt", successor_id=old)
    assert cycle.status_code == 409 and 'role="alert"' in cycle.text
    undone = post(office, f"{path}/nicht-ersetzt")
    assert undone.status_code == 303
    assert ui_world.context.registry.documents.get(old).typed_metadata.superseded_by is None


def test_delete_asks_first_then_removes_every_chunk(
    office: httpx.Client, ui_world: Any, uploaded: dict[str, str]
) -> None:
    document_id = uploaded["alt.md"]
    path = f"/verwaltung/dokumente/{document_id}"
    confirm = office.get(f"{path}/loeschen")
    assert confirm.status_code == 200 and "Endgültig löschen" in confirm.text
    assert ui_world.context.registry.documents.get(document_id) is not None
    deleted = post(office, f"{path}/loeschen")
    assert deleted.headers["location"] == "/verwaltung/dokumente?meldung=geloescht"
    assert ui_world.context.registry.documents.get(document_id) is None
    assert ui_world.context.store.count([FieldMatch("document_id", (document_id,))]) == 0
    assert office.get(path).status_code == 404
    assert post(office, f"{path}/loeschen").status_code == 404


def test_readers_cannot_post_curation_forms(ui_world: Any, uploaded: dict[str, str]) -> None:
    document_id = uploaded["neu.md"]
    with httpx.Client(base_url=ui_world.base_url) as reader:
        sign_in_by_form(reader, RING_MEMBER)
        token = csrf_of(reader, "/")
        refused = reader.post(
            f"/verwaltung/dokumente/{document_id}/zurueckziehen", data={"csrf_token": token}
        )
        assert refused.status_code == 403
    assert ui_world.context.registry.documents.get(document_id).status == "indexed"
