"""Browser sessions: HTTP-only cookie, CSRF token, origin check, sign-out, audit of sign-ins."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from core.accounts import AccountStore
from search_service.rate_limits import RateLimiter
from search_service.sessions import CSRF_COOKIE, SESSION_COOKIE
from tests.support.helpers import TEST_PASSWORD, context_of
from tests.support.worlds import EXPECTED, GENERIC_QUERY, LeakWorld

pytestmark = pytest.mark.model

SEARCH = {"query": GENERIC_QUERY, "top_k": 50}


def accounts_of(world: LeakWorld) -> AccountStore:
    return context_of(world.client).accounts


@pytest.fixture
def browser(access_world: LeakWorld) -> Iterator[TestClient]:
    """A client with its own cookie jar on the shared app (its context is already open)."""
    limiter: RateLimiter = access_world.client.app.state.signin_limiter  # type: ignore[attr-defined]
    limiter.clear()
    yield TestClient(access_world.client.app)
    limiter.clear()


def open_session(browser: TestClient, name: str) -> str:
    """Sign in through the session route; returns the CSRF token."""
    response = browser.post("/v1/auth/session", json={"name": name, "password": TEST_PASSWORD})
    assert response.status_code == 200, response.text
    return str(response.json()["csrf_token"])


def found_stems(world: LeakWorld, body: dict[str, list[dict[str, str]]]) -> set[str]:
    by_id = {document_id: stem for stem, document_id in world.document_ids.items()}
    return {by_id[hit["document_id"]] for hit in body["results"]}


def test_session_sign_in_sets_an_http_only_cookie_and_returns_no_token(
    access_world: LeakWorld, browser: TestClient
) -> None:
    response = browser.post(
        "/v1/auth/session", json={"name": "leser-vr1", "password": TEST_PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"name", "roles", "rings", "expires_at", "csrf_token"}
    assert (body["name"], body["roles"], body["rings"]) == ("leser-vr1", ["reader"], ["vr1"])
    cookies = response.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith(f"{SESSION_COOKIE}="))
    csrf = next(c for c in cookies if c.startswith(f"{CSRF_COOKIE}="))
    assert "HttpOnly" in session and "samesite=lax" in session.lower()
    assert "Secure" not in session  # plain HTTP here; `auto` sets it over HTTPS
    assert "HttpOnly" not in csrf and body["csrf_token"] in csrf
    token = session.split(";")[0].split("=", 1)[1]
    assert token not in response.text
    me = browser.get("/v1/auth/me").json()
    assert (me["name"], me["kind"]) == ("leser-vr1", "account")


def test_state_changing_requests_of_a_session_need_the_csrf_token(
    access_world: LeakWorld, browser: TestClient
) -> None:
    csrf = open_session(browser, "leser-vr1")
    missing = browser.post("/v1/search", json=SEARCH)
    wrong = browser.post("/v1/search", json=SEARCH, headers={"X-CSRF-Token": "0" * 64})
    for refused in (missing, wrong):
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "forbidden"
        assert "CSRF" in refused.json()["error"]["message"]
    accepted = browser.post("/v1/search", json=SEARCH, headers={"X-CSRF-Token": csrf})
    assert accepted.status_code == 200
    assert found_stems(access_world, accepted.json()) == EXPECTED["leser-vr1"]


def test_a_request_from_another_site_is_refused_even_with_the_token(
    access_world: LeakWorld, browser: TestClient
) -> None:
    csrf = open_session(browser, "leser-vr1")
    foreign = {"X-CSRF-Token": csrf, "Origin": "https://boese.example"}
    assert browser.post("/v1/search", json=SEARCH, headers=foreign).status_code == 403
    own = {"X-CSRF-Token": csrf, "Origin": "http://testserver"}
    assert browser.post("/v1/search", json=SEARCH, headers=own).status_code == 200
    signin = browser.post(
        "/v1/auth/session",
        json={"name": "leser-vr1", "password": TEST_PASSWORD},
        headers={"Origin": "https://boese.example"},
    )
    assert signin.status_code == 403


def test_a_header_credential_wins_over_the_cookie_and_needs_no_csrf_token(
    access_world: LeakWorld, browser: TestClient
) -> None:
    open_session(browser, "leser-vr1")
    response = browser.post("/v1/search", json=SEARCH, headers=access_world.headers["leser-vr2"])
    assert response.status_code == 200
    assert found_stems(access_world, response.json()) == EXPECTED["leser-vr2"]


def test_sign_out_ends_the_session_and_a_form_may_carry_the_token(
    access_world: LeakWorld, browser: TestClient
) -> None:
    csrf = open_session(browser, "leser-vr2")
    assert browser.delete("/v1/auth/session").status_code == 403  # no token: not signed out
    session = browser.cookies.get(SESSION_COOKIE)
    assert session and browser.get("/v1/auth/me").json()["name"] == "leser-vr2"
    signed_out = browser.request(
        "DELETE",
        "/v1/auth/session",
        content=f"csrf_token={csrf}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert signed_out.status_code == 204
    assert SESSION_COOKIE not in browser.cookies
    replayed = TestClient(access_world.client.app, cookies={SESSION_COOKIE: session})
    stale = replayed.get("/v1/auth/me")
    assert stale.status_code == 401
    assert "sign in again" in stale.json()["error"]["message"]
    assert replayed.delete("/v1/auth/session").status_code == 204  # only clears the cookies


def test_a_disabled_account_loses_its_browser_session_at_once(
    access_world: LeakWorld, browser: TestClient
) -> None:
    accounts = accounts_of(access_world)
    accounts.create_account("sitzung-dora", roles=["reader"], rings=["vr2"], password=TEST_PASSWORD)
    open_session(browser, "sitzung-dora")
    assert browser.get("/v1/auth/me").json()["name"] == "sitzung-dora"
    accounts.set_active("sitzung-dora", False)
    assert browser.get("/v1/auth/me").status_code == 401


def test_sign_ins_and_sign_outs_are_audited_without_unknown_names(
    access_world: LeakWorld, browser: TestClient
) -> None:
    accounts = accounts_of(access_world)
    accounts.create_account("sitzung-emil", roles=["reader"], rings=[], password=TEST_PASSWORD)
    wrong = {"name": "sitzung-emil", "password": "falsches-passwort"}
    assert browser.post("/v1/auth/session", json=wrong).status_code == 401
    typo = {"name": "mein-passwort-1234", "password": "falsches-passwort"}
    assert browser.post("/v1/auth/token", json=typo).status_code == 401
    csrf = open_session(browser, "sitzung-emil")
    assert browser.delete("/v1/auth/session", headers={"X-CSRF-Token": csrf}).status_code == 204

    entries = accounts.audit.entries(limit=10)
    mine = [(e.action, e.actor, e.after) for e in reversed(entries) if e.target == "sitzung-emil"]
    assert [action for action, _, _ in mine][-3:] == [
        "auth.sign_in_failed",
        "auth.sign_in",
        "auth.sign_out",
    ]
    failed, signed_in, signed_out = mine[-3:]
    assert failed[1] == "anonymous" and failed[2] == {"method": "session", "active": True}
    assert signed_in[1] == "account:sitzung-emil" and signed_in[2] is not None
    assert signed_in[2]["method"] == "session"
    assert signed_out[1:] == ("account:sitzung-emil", {"method": "session"})
    assert all("mein-passwort" not in (e.target + str(e.after)) for e in entries)
