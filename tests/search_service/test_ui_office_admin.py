"""The office's logs, re-index, accounts and API keys over HTTP (real app, store and model)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.helpers import TEST_PASSWORD
from tests.support.ui_office import ADMIN, csrf_of, ensure_admin, sign_in_by_form
from tests.support.ui_world import OFFICE, UNANSWERABLE

pytestmark = pytest.mark.model


@pytest.fixture()
def admin(ui_world: Any) -> Iterator[httpx.Client]:
    """An admin session."""
    ensure_admin(ui_world.context.accounts)
    with httpx.Client(base_url=ui_world.base_url, timeout=120) as client:
        sign_in_by_form(client, ADMIN)
        yield client


def post(client: httpx.Client, path: str, **fields: Any) -> httpx.Response:
    """Post a form with the session's CSRF token."""
    return client.post(path, data={"csrf_token": csrf_of(client), **fields})


def test_knowledge_gaps_are_grouped_counted_and_link_to_their_search(
    admin: httpx.Client, ui_world: Any
) -> None:
    for _ in range(2):
        admin.get("/", params={"q": UNANSWERABLE, "art": "protokoll", "ring": "vr9"})
    html = admin.get("/verwaltung/luecken").text
    question = UNANSWERABLE.casefold()
    assert question in html
    link = "/?" + str(httpx.QueryParams({"q": question}))
    assert f'href="{link}"' in html
    row = html[html.index(question) :].split("</tr>")[0]
    counts = [int(n) for n in re.findall(r'numeric">(\d+)</td>', row)]
    assert counts[0] >= 2
    assert admin.get(link).status_code == 200


def test_the_query_log_shows_feedback_and_pages_back(admin: httpx.Client, ui_world: Any) -> None:
    log = ui_world.context.query_log
    answer_id = log.record("ask", "Wie viele Lotsen gibt es?", {}, result_count=3, top_score=0.8)
    log.add_feedback(answer_id, helpful=False, comment="Zahl <fehlt>")
    for n in range(55):
        log.record("search", f"Seitenprobe {n}", {}, result_count=0, top_score=None)
    first = admin.get("/verwaltung/anfragen").text
    assert "Seitenprobe 54" in first and "Ältere Einträge" in first
    older = re.search(r'href="(/verwaltung/anfragen\?vor=\d+)"', first)
    assert older
    second = admin.get(older.group(1)).text
    assert "Seitenprobe 54" not in second and "Nicht hilfreich: „Zahl &lt;fehlt&gt;“" in second
    assert "Neueste Einträge" in second
    assert admin.get("/verwaltung/anfragen", params={"vor": "x"}).status_code == 200


def test_the_audit_log_names_actor_action_and_pages_back(
    admin: httpx.Client, ui_world: Any
) -> None:
    audit = ui_world.context.audit
    for n in range(51):
        audit.record(actor="test", action="document.edit", target=f"probe-{n}", after={"n": n})
    first = admin.get("/verwaltung/protokoll").text
    assert "probe-50" in first and "Angaben geändert" in first and "&#34;n&#34;: 50" in first
    older = re.search(r'href="(/verwaltung/protokoll\?vor=\d+)"', first)
    assert older
    assert "probe-50" not in admin.get(older.group(1)).text


def test_a_re_index_starts_from_the_form_and_reports_its_end(
    admin: httpx.Client, ui_world: Any
) -> None:
    started = post(admin, "/verwaltung/neuindizierung")
    assert started.status_code == 303
    assert started.headers["location"] == "/verwaltung/neuindizierung?meldung=neuindizierung"
    page = admin.get(started.headers["location"]).text
    assert "Die Neuindizierung wurde gestartet." in page
    deadline = time.monotonic() + 300
    while "data-aktualisieren" in page:
        assert time.monotonic() < deadline
        time.sleep(0.5)
        page = admin.get("/verwaltung/neuindizierung").text
    assert "Fertig: der neue Index ist in Betrieb" in page
    assert 'role="status"' in page and "Neuindizierung starten" in page


def test_accounts_are_added_changed_disabled_and_reset(admin: httpx.Client, ui_world: Any) -> None:
    accounts = ui_world.context.accounts
    bad = post(
        admin, "/verwaltung/konten", name="kein name!", roles=[], rings="Ring X", password="kurz"
    )
    assert bad.status_code == 400
    for name in ("name", "roles", "rings", "password"):
        assert f'id="fehler-{name}"' in bad.text, name
    assert 'value="kein name!"' in bad.text and 'role="alert"' in bad.text
    created = post(admin, "/verwaltung/konten", name="leser-vr5", roles=["reader"], rings="VR 5")
    assert created.status_code == 200
    password = re.search(
        r'<code class="blok-schluessel" id="geheimnis">([^<]+)</code>', created.text
    )
    assert password and accounts.verify_password("leser-vr5", password.group(1)) is not None
    twice = post(
        admin, "/verwaltung/konten", name="leser-vr5", roles=["reader"], password=TEST_PASSWORD
    )
    assert twice.status_code == 400 and "gibt es bereits" in twice.text
    path = "/verwaltung/konten/leser-vr5"
    assert post(admin, f"{path}/ringe", rings="VR 5, VR 6").status_code == 303
    assert accounts.account("leser-vr5").rings == ("vr5", "vr6")
    assert post(admin, f"{path}/ringe", rings="sechs").status_code == 400
    assert post(admin, f"{path}/rollen", roles=["reader", "office"]).status_code == 303
    assert set(accounts.account("leser-vr5").roles) == {"reader", "office"}
    assert post(admin, f"{path}/rollen").status_code == 400
    assert post(admin, f"{path}/aktiv", aktiv="nein").status_code == 303
    assert not accounts.account("leser-vr5").active
    assert "deaktiviert" in admin.get(path).text
    assert post(admin, f"{path}/aktiv", aktiv="ja").status_code == 303
    reset = post(admin, f"{path}/passwort")
    new = re.search(r'id="geheimnis">([^<]+)</code>', reset.text)
    assert new and accounts.verify_password("leser-vr5", new.group(1)) is not None
    assert new.group(1) not in admin.get(path).text
    assert admin.get("/verwaltung/konten/niemand").status_code == 404


def test_the_last_active_admin_stays_admin_and_active(admin: httpx.Client, ui_world: Any) -> None:
    accounts = ui_world.context.accounts
    others = [a for a in accounts.accounts() if "admin" in a.roles and a.active and a.name != ADMIN]
    for other in others:
        accounts.set_active(other.name, False)
    try:
        demoted = post(admin, f"/verwaltung/konten/{ADMIN}/rollen", roles=["office"])
        assert demoted.status_code == 400 and "letzte aktive Admin-Konto" in demoted.text
        disabled = post(admin, f"/verwaltung/konten/{ADMIN}/aktiv", aktiv="nein")
        assert disabled.status_code == 409
        assert accounts.account(ADMIN).active and "admin" in accounts.account(ADMIN).roles
    finally:
        for other in others:
            accounts.set_active(other.name, True)


def test_an_api_key_is_shown_once_works_and_is_revoked(admin: httpx.Client, ui_world: Any) -> None:
    bad = post(admin, "/verwaltung/api-schluessel", name="", roles=["chef"])
    assert (
        bad.status_code == 400
        and 'id="fehler-name"' in bad.text
        and 'id="fehler-roles"' in bad.text
    )
    created = post(
        admin, "/verwaltung/api-schluessel", name="intranet", roles=["reader"], rings="VR 3"
    )
    assert created.status_code == 200
    key = re.search(r'id="geheimnis">(blok_[^<]+)</code>', created.text)
    assert key
    me = httpx.get(f"{ui_world.base_url}/v1/auth/me", headers={"X-API-Key": key.group(1)})
    assert me.json()["rings"] == ["vr3"]
    listing = admin.get("/verwaltung/api-schluessel").text
    assert key.group(1) not in listing and "intranet" in listing
    key_id = next(k.key_id for k in ui_world.context.accounts.api_keys() if k.name == "intranet")
    revoked = post(admin, f"/verwaltung/api-schluessel/{key_id}/widerrufen")
    assert revoked.headers["location"] == "/verwaltung/api-schluessel?meldung=schluessel-widerrufen"
    me = httpx.get(f"{ui_world.base_url}/v1/auth/me", headers={"X-API-Key": key.group(1)})
    assert me.status_code == 401
    assert post(admin, "/verwaltung/api-schluessel/nichtda/widerrufen").status_code == 404


def test_the_office_may_not_post_admin_forms(ui_world: Any) -> None:
    with httpx.Client(base_url=ui_world.base_url) as office:
        sign_in_by_form(office, OFFICE)
        token = csrf_of(office)
        response = office.post(
            "/verwaltung/konten",
            data={"csrf_token": token, "name": "eindringling", "roles": "admin"},
        )
        assert response.status_code == 403
    assert ui_world.context.accounts.find_account("eindringling") is None
