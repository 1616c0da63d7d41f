"""Sign-in through an identity provider: a real OIDC provider on loopback, the real app and store.

The provider (`tests.support.oidc_provider`) runs under uvicorn; the service fetches its
discovery document and keys over HTTP and redeems codes at its token endpoint, as it would at
a Keycloak. The browser is httpx: the service's redirects are followed by hand, so every step
of the code flow is seen.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from core.accounts import EXTERNAL_PASSWORD_PREFIX
from core.errors import ForbiddenError, ServiceError, UnauthorizedError
from core.identity import identity_from_claims
from core.settings import OidcSettings
from search_service.app import create_app
from search_service.oidc import OidcProvider, PendingSignIn
from tests.search_service.test_api import assert_error_shape
from tests.support.helpers import TEST_PASSWORD, context_of, make_settings
from tests.support.oidc_provider import (
    CLIENT_ID,
    CLIENT_SECRET,
    LoopbackProvider,
    new_key,
    run_provider,
)
from tests.support.ui_world import free_port
from tests.support.worlds import DOCUMENTS, EXPECTED, GENERIC_QUERY, Dataset, World, open_world

OIDC_DATASET = Dataset("oidc", DOCUMENTS, {"lokal": (["reader"], [])})
OFFICE_GROUP = "/benchlearning/geschaeftsstelle"


def oidc_settings(provider: LoopbackProvider, **changes: Any) -> dict[str, Any]:
    """The service's `oidc` section for this provider (Keycloak-like claims)."""
    return {
        "issuer": provider.issuer,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "role_claim": "realm_access.roles",
        "group_roles": {OFFICE_GROUP: "office"},
        "group_rings": {"/vergleichsringe/vr2": "vr2"},
    } | changes


def person(sub: str, roles: list[str], rings: list[str], **claims: Any) -> dict[str, Any]:
    return {"sub": sub, "realm_access": {"roles": roles}, "rings": rings} | claims


@pytest.fixture(scope="module")
def provider() -> Iterator[LoopbackProvider]:
    with run_provider() as running:
        yield running


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, provider: LoopbackProvider) -> Iterator[World]:
    with open_world(
        tmp_path_factory.mktemp("oidc"), OIDC_DATASET, oidc=oidc_settings(provider)
    ) as opened:
        yield opened


@pytest.fixture
def browser(world: World) -> TestClient:
    """A browser of its own (own cookie jar) on the world's running app."""
    return TestClient(world.client.app)


def provider_sign_in(
    browser: TestClient, provider: LoopbackProvider, who: dict[str, Any], weiter: str = "/"
) -> httpx.Response:
    """The code flow: the service's redirect, the provider's answer, the return to the service."""
    provider.person = who
    start = browser.get("/anmelden/dienstkonto", params={"weiter": weiter}, follow_redirects=False)
    assert start.status_code == 303, start.text
    location = start.headers["location"]
    assert location.startswith(f"{provider.issuer}/authorize?")
    at_provider = httpx.get(location, follow_redirects=False)
    assert at_provider.status_code == 302
    back = urlsplit(at_provider.headers["location"])
    assert back.path == "/anmelden/dienstkonto/antwort"
    return browser.get(f"{back.path}?{back.query}", follow_redirects=False)


def visible_stems(world: World, client: TestClient, headers: dict[str, str]) -> set[str]:
    response = client.post(
        "/v1/search", json={"query": GENERIC_QUERY, "top_k": 50}, headers=headers
    )
    assert response.status_code == 200, response.text
    by_id = {document_id: stem for stem, document_id in world.document_ids.items()}
    return {by_id[hit["document_id"]] for hit in response.json()["results"]}


def session_headers(browser: TestClient) -> dict[str, str]:
    return {"X-CSRF-Token": str(browser.cookies.get("blok_csrf"))}


@pytest.mark.model
def test_code_flow_with_pkce_opens_a_session_and_a_ring_member_sees_only_their_ring(
    world: World, provider: LoopbackProvider, browser: TestClient
) -> None:
    page = browser.get("/anmelden")
    assert "Mit Dienstkonto anmelden" in page.text and 'name="password"' in page.text
    start = browser.get("/anmelden/dienstkonto", follow_redirects=False)
    query = parse_qs(urlsplit(start.headers["location"]).query)
    assert query["code_challenge_method"] == ["S256"] and query["response_type"] == ["code"]
    assert query["client_id"] == [CLIENT_ID] and "openid" in query["scope"][0].split()
    assert query["state"][0] and query["nonce"][0] and "code_verifier" not in query

    returned = provider_sign_in(browser, provider, person("petra", ["reader"], ["VR 1"]), "/ringe")
    assert returned.status_code == 303, returned.text
    assert returned.headers["location"] == "/ringe"
    verifier = provider.token_requests[-1]["code_verifier"]
    assert verifier and verifier not in start.headers["location"]  # only the challenge went out
    me = browser.get("/v1/auth/me").json()
    assert me == {"name": "petra", "kind": "account", "roles": ["reader"], "rings": ["vr1"]}
    assert visible_stems(world, browser, session_headers(browser)) == EXPECTED["leser-vr1"]
    other_ring = browser.get(f"/v1/documents/{world.document_ids['ring-zwei']}")
    missing = browser.get("/v1/documents/" + "0" * 64)
    assert other_ring.status_code == missing.status_code == 404
    assert other_ring.json()["error"]["message"] == missing.json()["error"]["message"]
    assert browser.get(f"/v1/documents/{world.document_ids['ring-eins']}").status_code == 200

    # The account exists for the session, and no password opens it.
    accounts = context_of(world.client).accounts
    stored = accounts.repository.active_password_hash("petra")
    assert stored == EXTERNAL_PASSWORD_PREFIX + provider.issuer
    refused = world.client.post("/v1/auth/token", json={"name": "petra", "password": stored})
    assert refused.status_code == 401
    # A later sign-in brings roles and rings up to date from the provider.
    again = TestClient(world.client.app)
    groups = {"groups": ["/vergleichsringe/vr2"]}
    assert provider_sign_in(again, provider, person("petra", [], [], **groups)).status_code == 403
    again_ok = provider_sign_in(again, provider, person("petra", ["reader"], [], **groups))
    assert again_ok.status_code == 303
    assert again.get("/v1/auth/me").json()["rings"] == ["vr2"]
    assert visible_stems(world, again, session_headers(again)) == EXPECTED["leser-vr2"]
    entries = context_of(world.client).audit.entries(limit=500)
    actions = {(entry.actor, entry.action) for entry in entries if entry.target == "petra"}
    assert {("oidc:petra", "account.create"), ("oidc:petra", "account.set_rings")} <= actions
    assert ("account:petra", "auth.sign_in") in actions


TAMPERED = {
    "wrong nonce": {"nonce": "not-the-one-sent"},
    "wrong issuer": {"iss": "http://127.0.0.1:9/other"},
    "wrong audience": {"aud": "another-client"},
    "expired": {"lifetime": -300},
}


@pytest.mark.model
@pytest.mark.parametrize("change", TAMPERED.values(), ids=TAMPERED.keys())
def test_an_id_token_that_fails_a_check_opens_no_session(
    world: World, provider: LoopbackProvider, browser: TestClient, change: dict[str, Any]
) -> None:
    provider.tamper = dict(change)
    returned = provider_sign_in(browser, provider, person("tamara", ["reader"], []))
    assert returned.status_code == 401
    assert "Anmeldung mit dem Dienstkonto ist fehlgeschlagen" in returned.text
    assert "blok_session" not in browser.cookies
    assert browser.get("/v1/auth/me").json()["kind"] == "anonymous"


@pytest.mark.model
def test_a_foreign_signature_a_wrong_state_or_no_cookie_opens_no_session(
    world: World, provider: LoopbackProvider, browser: TestClient
) -> None:
    provider.sign_with = new_key(provider.key.kid)  # same key id, another key: bad signature
    try:
        assert (
            provider_sign_in(browser, provider, person("tamara", ["reader"], [])).status_code == 401
        )
    finally:
        provider.sign_with = None
    provider.person = person("tamara", ["reader"], [])
    start = browser.get("/anmelden/dienstkonto", follow_redirects=False)
    back = urlsplit(httpx.get(start.headers["location"]).headers["location"])
    code = parse_qs(back.query)["code"][0]
    wrong_state = browser.get(back.path, params={"code": code, "state": "forged"})
    assert wrong_state.status_code == 401
    stranger = TestClient(world.client.app)  # the provider's answer in another browser
    assert stranger.get(f"{back.path}?{back.query}").status_code == 401
    cancelled = browser.get(back.path, params={"error": "access_denied"})
    assert cancelled.status_code == 401
    assert "blok_session" not in browser.cookies and "blok_session" not in stranger.cookies


@pytest.mark.model
def test_no_role_or_a_local_account_of_the_same_name_is_refused(
    world: World, provider: LoopbackProvider, browser: TestClient
) -> None:
    no_role = provider_sign_in(browser, provider, person("ohne-rolle", ["uma_authorization"], []))
    assert no_role.status_code == 403 and "keine Rolle" in no_role.text
    taken = provider_sign_in(browser, provider, person("lokal", ["admin"], []))
    assert taken.status_code == 403 and "lokales Konto" in taken.text
    assert context_of(world.client).accounts.account("lokal").roles == ("reader",)
    assert "blok_session" not in browser.cookies


def test_claims_and_groups_map_to_roles_and_rings() -> None:
    settings = OidcSettings(
        issuer="https://idp.example/realms/bl",
        client_id="blok",
        role_claim="resource_access.blok.roles",
        group_roles={OFFICE_GROUP: "office"},
        group_rings={"/vr/7": "VR 7"},
    )
    claims = {
        "sub": "k.meier",
        "resource_access": {"blok": {"roles": ["Reader", "offline_access"]}},
        "rings": ["VR 3", "kein-ring", "vr3"],
        "groups": ["/vr/7", OFFICE_GROUP, "/sonstige"],
    }
    identity = identity_from_claims(claims, settings)
    assert identity.name == "k.meier"
    assert identity.roles == ("reader", "office")
    assert identity.rings == ("vr3", "vr7")
    assert identity.principal().kind == "oidc"
    with pytest.raises(ForbiddenError):
        identity_from_claims({"sub": "x", "groups": ["/sonstige"]}, settings)
    with pytest.raises(UnauthorizedError):
        identity_from_claims({"sub": "no spaces allowed", "roles": ["reader"]}, settings)


def test_settings_refuse_a_lockout_and_plain_http() -> None:
    with pytest.raises(ValidationError, match=r"needs oidc\.issuer"):
        OidcSettings(local_passwords=False)
    with pytest.raises(ValidationError, match="https"):
        OidcSettings(issuer="http://idp.example", client_id="blok")
    with pytest.raises(ValidationError, match="client_id"):
        OidcSettings(issuer="https://idp.example")


@pytest.mark.model
def test_provider_access_tokens_work_on_the_api_and_keys_are_refetched_after_rotation(
    world: World, provider: LoopbackProvider
) -> None:
    client = world.client
    token = provider.access_token(person("vera", ["reader"], ["vr2"]))
    headers = {"Authorization": f"Bearer {token}"}
    me = client.get("/v1/auth/me", headers=headers).json()
    assert me == {"name": "vera", "kind": "oidc", "roles": ["reader"], "rings": ["vr2"]}
    assert visible_stems(world, client, headers) == EXPECTED["leser-vr2"]
    office = provider.access_token(person("olga", [], [], groups=[OFFICE_GROUP]))
    assert visible_stems(world, client, {"Authorization": f"Bearer {office}"}) == EXPECTED["buero"]

    refused = {
        "wrong audience": provider.access_token({"sub": "vera", "aud": "other"}),
        "wrong issuer": provider.access_token({"sub": "vera", "iss": "https://evil.example"}),
        "expired": provider.access_token(person("vera", ["reader"], []), lifetime=-300),
        "bad signature": provider.access_token(
            person("vera", ["reader"], []), key=new_key(provider.key.kid)
        ),
    }
    for reason, bad in refused.items():
        answer = client.get("/v1/auth/me", headers={"Authorization": f"Bearer {bad}"})
        assert answer.status_code == 401, reason
        assert_error_shape(answer.json(), "unauthorized")
    roleless = provider.access_token({"sub": "vera"})
    answer = client.get("/v1/auth/me", headers={"Authorization": f"Bearer {roleless}"})
    assert answer.status_code == 403

    provider.rotate_key("key-rotated")  # the service learns the new key from the JWKS
    rotated = {"Authorization": f"Bearer {provider.access_token(person('vera', ['reader'], []))}"}
    assert client.get("/v1/auth/me", headers=rotated).json()["name"] == "vera"
    unknown = provider.access_token(person("vera", ["reader"], []), key=new_key("nobody"))
    answer = client.get("/v1/auth/me", headers={"Authorization": f"Bearer {unknown}"})
    assert answer.status_code == 401 and "unknown key" in answer.json()["error"]["message"]

    # An admin's disabling of the person's account refuses their tokens too.
    accounts = context_of(client).accounts
    accounts.sign_in_external("vera", roles=["reader"], rings=[], issuer=provider.issuer)
    accounts.set_active("vera", False)
    assert client.get("/v1/auth/me", headers=rotated).status_code == 401
    # Local tokens and API keys keep working beside the provider's.
    assert client.get("/v1/auth/me", headers=world.headers["lokal"]).json()["name"] == "lokal"


@pytest.mark.model
def test_local_passwords_can_be_switched_off(tmp_path: Path, provider: LoopbackProvider) -> None:
    settings = make_settings(tmp_path, oidc=oidc_settings(provider, local_passwords=False))
    with TestClient(create_app(settings)) as client:
        context_of(client).accounts.create_account(
            "lokal", roles=["reader"], rings=[], password=TEST_PASSWORD
        )
        for path in ("/v1/auth/token", "/v1/auth/session"):
            answer = client.post(path, json={"name": "lokal", "password": TEST_PASSWORD})
            assert answer.status_code == 403
            assert_error_shape(answer.json(), "forbidden")
            assert "identity provider" in answer.json()["error"]["message"]
        page = client.get("/anmelden")
        assert "Mit Dienstkonto anmelden" in page.text and 'name="password"' not in page.text
        assert "Anmeldung mit Passwort ist abgeschaltet" in page.text
        form = client.post("/anmelden", data={"name": "lokal", "password": TEST_PASSWORD})
        assert form.status_code == 403 and "Dienstkonto" in form.text
        assert "blok_session" not in client.cookies
        signed_in = provider_sign_in(client, provider, person("petra", ["reader"], []))
        assert signed_in.status_code == 303
        assert client.get("/v1/auth/me").json()["name"] == "petra"


def test_an_unreachable_provider_is_a_502_cause_and_a_forged_cookie_is_no_sign_in() -> None:
    closed_port = free_port()
    provider = OidcProvider(
        OidcSettings(issuer=f"http://127.0.0.1:{closed_port}", client_id=CLIENT_ID)
    )
    with pytest.raises(ServiceError, match="cannot be reached"):
        asyncio.run(provider.access_token_claims("a.b.c"))
    for forged in ("", "not-base64!", "eyJ4IjogMX0=", "bnVsbA=="):  # "{"x": 1}", "null"
        assert PendingSignIn.from_cookie(forged) is None
    pending = PendingSignIn.start("/ring")
    assert PendingSignIn.from_cookie(pending.cookie_value()) == pending
